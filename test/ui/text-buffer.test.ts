import {describe, expect, it} from 'vitest';
import {bufferText, createBuffer, cursorRow, reduce, visualRows, type Action, type Buffer} from '../../source/ui/text-buffer.js';

// The goal editor's reducer, as a table: (text, cursor, width, actions) -> (text, cursor).

type Row = [
	name: string,
	text: string,
	start: [row: number, col: number],
	actions: Action[],
	expected: string,
	cursor: [number, number],
	width?: number,
];

const rows: Row[] = [
	// Inserting and deleting
	['insert in the middle', 'abc', [0, 1], [{type: 'insert', text: 'X'}], 'aXbc', [0, 2]],
	['insert into an empty buffer', '', [0, 0], [{type: 'insert', text: 'hi'}], 'hi', [0, 2]],
	['newline splits the line', 'abcd', [0, 2], [{type: 'newline'}], 'ab\ncd', [1, 0]],
	['newline at the end adds an empty line', 'ab', [0, 2], [{type: 'newline'}], 'ab\n', [1, 0]],
	['backspace deletes left', 'abc', [0, 2], [{type: 'backspace'}], 'ac', [0, 1]],
	['backspace at a line start joins it to the one above', 'ab\ncd', [1, 0], [{type: 'backspace'}], 'abcd', [0, 2]],
	['backspace at the very start does nothing', 'ab', [0, 0], [{type: 'backspace'}], 'ab', [0, 0]],
	['delete deletes right', 'abc', [0, 1], [{type: 'delete'}], 'ac', [0, 1]],
	['delete at a line end joins the next line', 'ab\ncd', [0, 2], [{type: 'delete'}], 'abcd', [0, 2]],
	['delete at the very end does nothing', 'ab', [0, 2], [{type: 'delete'}], 'ab', [0, 2]],
	['delete word left', 'foo bar baz', [0, 11], [{type: 'deleteWordLeft'}], 'foo bar ', [0, 8]],
	['delete word left over spaces', 'foo bar   ', [0, 10], [{type: 'deleteWordLeft'}], 'foo ', [0, 4]],
	['delete word left at a line start joins', 'ab\ncd', [1, 0], [{type: 'deleteWordLeft'}], 'abcd', [0, 2]],
	['delete to the line start', 'abc def', [0, 4], [{type: 'deleteToLineStart'}], 'def', [0, 0]],
	['delete to the line end', 'abc def', [0, 3], [{type: 'deleteToLineEnd'}], 'abc', [0, 3]],
	['delete to the line end at its end joins', 'ab\ncd', [0, 2], [{type: 'deleteToLineEnd'}], 'abcd', [0, 2]],
	// Paste
	['multi-line paste lands the cursor after it', 'ab', [0, 1], [{type: 'insert', text: 'X\nYY\nZ'}], 'aX\nYY\nZb', [2, 1]],
	['paste with CRLF keeps tabs as they are', '', [0, 0], [{type: 'insert', text: 'a\r\n\tb'}], 'a\n\tb', [1, 2]],
	['paste of a lone CR is a line break', 'x', [0, 1], [{type: 'insert', text: '\ry'}], 'x\ny', [1, 1]],
	['paste ending in a newline', 'ab', [0, 2], [{type: 'insert', text: 'c\n'}], 'abc\n', [1, 0]],
	// Indent
	['indent to the next stop of 4', 'ab', [0, 2], [{type: 'indent'}], 'ab  ', [0, 4]],
	['indent at a stop is a full stop', 'abcd', [0, 4], [{type: 'indent'}, {type: 'insert', text: 'x'}], 'abcd    x', [0, 9]],
	// Moving
	['left wraps to the previous line', 'ab\ncd', [1, 0], [{type: 'left'}], 'ab\ncd', [0, 2]],
	['right wraps to the next line', 'ab\ncd', [0, 2], [{type: 'right'}], 'ab\ncd', [1, 0]],
	['left at the very start stays', 'ab', [0, 0], [{type: 'left'}], 'ab', [0, 0]],
	['right at the very end stays', 'ab', [0, 2], [{type: 'right'}], 'ab', [0, 2]],
	['up keeps the column through a short line', 'abcdef\nab\nabcdef', [2, 5], [{type: 'up'}, {type: 'up'}], 'abcdef\nab\nabcdef', [0, 5]],
	['down keeps the column through an empty line', 'abcdef\n\nabcdef', [0, 4], [{type: 'down'}, {type: 'down'}], 'abcdef\n\nabcdef', [2, 4]],
	[
		'typing after up sets a new column',
		'abcdef\nab\nabcdef',
		[2, 5],
		[{type: 'up'}, {type: 'insert', text: 'X'}, {type: 'down'}],
		'abcdef\nabX\nabcdef',
		[2, 3],
	],
	['up on the first line goes to its start', 'abc\nd', [0, 2], [{type: 'up'}], 'abc\nd', [0, 0]],
	['down on the last line goes to its end', 'ab\ncd', [1, 0], [{type: 'down'}], 'ab\ncd', [1, 2]],
	[
		'home and end',
		'  abc',
		[0, 3],
		[{type: 'home'}, {type: 'insert', text: '>'}, {type: 'end'}, {type: 'insert', text: '<'}],
		'>  abc<',
		[0, 7],
	],
	[
		'word right',
		'foo bar_baz  qux',
		[0, 0],
		[{type: 'wordRight'}, {type: 'wordRight'}, {type: 'insert', text: '|'}],
		'foo bar_baz|  qux',
		[0, 12],
	],
	['word left', 'foo bar', [0, 7], [{type: 'wordLeft'}, {type: 'insert', text: '|'}], 'foo |bar', [0, 5]],
	['word left at a line start goes up', 'ab\ncd', [1, 0], [{type: 'wordLeft'}], 'ab\ncd', [0, 2]],
	['top and bottom', 'a\nb\nc', [1, 0], [{type: 'bottom'}], 'a\nb\nc', [2, 1]],
	['top', 'a\nb\nc', [2, 1], [{type: 'top'}], 'a\nb\nc', [0, 0]],
	// Wide characters and emoji count as one position each
	['wide characters', '日本語', [0, 3], [{type: 'backspace'}, {type: 'left'}, {type: 'insert', text: 'x'}], '日x本', [0, 2]],
	['emoji', 'a🚀b', [0, 2], [{type: 'backspace'}], 'ab', [0, 1]],
	['up keeps the display column over wide characters', 'abcd\n日本', [0, 4], [{type: 'down'}], 'abcd\n日本', [1, 2]],
	['down from the middle of a wide character lands before it', 'abc\n日本', [0, 3], [{type: 'down'}], 'abc\n日本', [1, 1]],
	// Soft wrap (width 6: 5 cells of text a row, one kept for the cursor)
	['down moves by display row within a wrapped line', 'aaaaa bbbbb', [0, 1], [{type: 'down'}], 'aaaaa bbbbb', [0, 7], 6],
	['up from a wrapped row', 'aaaaa bbbbb\nx', [1, 0], [{type: 'up'}], 'aaaaa bbbbb\nx', [0, 6], 6],
	['a long word breaks mid-word', 'abcdefghijkl', [0, 0], [{type: 'down'}, {type: 'down'}], 'abcdefghijkl', [0, 10], 6],
	[
		'end of a wrapped line is its real end',
		'aaaaa bbbbb',
		[0, 0],
		[{type: 'end'}, {type: 'insert', text: '!'}],
		'aaaaa bbbbb!',
		[0, 12],
		6,
	],
];

function at(text: string, row: number, col: number, width = 80, height = 3): Buffer {
	const b = createBuffer(text, height, width);
	return reduce({...b, row, col}, {type: 'resize'});
}

describe('text buffer', () => {
	it.each(rows)('%s', (_name, text, [row, col], actions, expected, [erow, ecol], width) => {
		const result = actions.reduce(reduce, at(text, row, col, width));
		expect(bufferText(result)).toBe(expected);
		expect([result.row, result.col]).toEqual([erow, ecol]);
	});

	it('wraps lines to the width, after spaces where it can', () => {
		const rows = visualRows(['aaaaa bbbbb cc', '', 'x'], 7);
		expect(rows.map(r => [r.row, r.start, r.end])).toEqual([
			[0, 0, 6],
			[0, 6, 12],
			[0, 12, 14],
			[1, 0, 0],
			[2, 0, 1],
		]);
		// A wide character never straddles a break: 日 takes 2 of the 4 cells a row has.
		expect(visualRows(['日本語日本'], 5).map(r => r.end - r.start)).toEqual([2, 2, 1]);
	});

	it('scrolls to keep the cursor in view, pages, and scrolls the view by rows', () => {
		const text = Array.from({length: 20}, (_, i) => `line ${i}`).join('\n');
		let b = createBuffer(text, 5, 40);
		for (let i = 0; i < 7; i++) b = reduce(b, {type: 'down'});
		expect(b.row).toBe(7);
		expect(b.scroll).toBe(3);
		b = reduce(b, {type: 'pageDown'});
		expect(b.row).toBe(12);
		expect(b.row).toBeGreaterThanOrEqual(b.scroll);
		expect(b.row).toBeLessThan(b.scroll + 5);
		b = reduce(b, {type: 'pageUp'});
		expect(b.row).toBe(7);
		b = reduce(b, {type: 'top'});
		expect([b.row, b.scroll]).toEqual([0, 0]);
		// The view moves; the cursor is dragged along to stay inside it.
		b = reduce(b, {type: 'scroll', rows: 6});
		expect(b.scroll).toBe(6);
		expect(b.row).toBe(6);
		b = reduce(b, {type: 'scroll', rows: 100});
		expect(b.scroll).toBe(15);
		b = reduce(b, {type: 'scroll', rows: -100});
		expect(b.scroll).toBe(0);
		expect(b.row).toBeLessThan(5);
		// A smaller pane keeps the cursor in view.
		b = reduce(reduce(b, {type: 'bottom'}), {type: 'resize', height: 2});
		expect(b.scroll).toBe(18);
		expect(cursorRow(b)).toBe(19);
	});

	it('counts display rows, not lines, when scrolling wrapped text', () => {
		let b = createBuffer(`${'word '.repeat(20)}\nlast`, 3, 11);
		b = reduce(b, {type: 'bottom'});
		expect(b.row).toBe(1);
		expect(cursorRow(b)).toBe(visualRows(b.lines, b.width).length - 1);
		expect(b.scroll).toBe(cursorRow(b) - 2);
	});

	it('tracks unsaved changes; loading keeps the cursor where it can', () => {
		let b = createBuffer('a\nbc');
		expect(b.dirty).toBe(false);
		b = reduce(b, {type: 'insert', text: 'b'});
		expect(b.dirty).toBe(true);
		b = reduce(b, {type: 'saved'});
		expect(b.dirty).toBe(false);
		b = reduce(reduce(b, {type: 'bottom'}), {type: 'load', text: 'new\ntext'});
		expect(bufferText(b)).toBe('new\ntext');
		expect([b.row, b.col]).toEqual([1, 2]);
		b = reduce(b, {type: 'load', text: 'x'});
		expect([b.row, b.col]).toEqual([0, 1]);
		expect(b.dirty).toBe(false);
	});
});
