import {describe, expect, it} from 'vitest';
import {bufferText, createBuffer, reduce, type Action, type Buffer} from '../../source/ui/text-buffer.js';

type Row = [name: string, text: string, start: [row: number, col: number], actions: Action[], expected: string, cursor: [number, number]];

const rows: Row[] = [
	['insert in the middle', 'abc', [0, 1], [{type: 'insert', text: 'X'}], 'aXbc', [0, 2]],
	['newline splits the line', 'abcd', [0, 2], [{type: 'newline'}], 'ab\ncd', [1, 0]],
	['backspace joins lines', 'ab\ncd', [1, 0], [{type: 'backspace'}], 'abcd', [0, 2]],
	['backspace at the very start does nothing', 'ab', [0, 0], [{type: 'backspace'}], 'ab', [0, 0]],
	['delete joins the next line', 'ab\ncd', [0, 2], [{type: 'delete'}], 'abcd', [0, 2]],
	['delete at the very end does nothing', 'ab', [0, 2], [{type: 'delete'}], 'ab', [0, 2]],
	['multi-line paste lands the cursor after it', 'ab', [0, 1], [{type: 'insert', text: 'X\nYY\nZ'}], 'aX\nYY\nZb', [2, 1]],
	['paste with CRLF and tabs', '', [0, 0], [{type: 'insert', text: 'a\r\n\tb'}], 'a\n    b', [1, 5]],
	['up keeps the column through a short line', 'abcdef\nab\nabcdef', [2, 5], [{type: 'up'}, {type: 'up'}], 'abcdef\nab\nabcdef', [0, 5]],
	['down on the last line goes to its end', 'ab\ncd', [1, 0], [{type: 'down'}], 'ab\ncd', [1, 2]],
	['left wraps to the previous line', 'ab\ncd', [1, 0], [{type: 'left'}], 'ab\ncd', [0, 2]],
	['right wraps to the next line', 'ab\ncd', [0, 2], [{type: 'right'}], 'ab\ncd', [1, 0]],
	['home and end', '  abc', [0, 3], [{type: 'home'}, {type: 'insert', text: '>'}, {type: 'end'}, {type: 'insert', text: '<'}], '>  abc<', [0, 7]],
	['word moves', 'foo bar_baz  qux', [0, 0], [{type: 'wordRight'}, {type: 'wordRight'}, {type: 'insert', text: '|'}], 'foo bar_baz|  qux', [0, 12]],
	['word left', 'foo bar', [0, 7], [{type: 'wordLeft'}, {type: 'insert', text: '|'}], 'foo |bar', [0, 5]],
	['wide characters count as one', '日本語', [0, 3], [{type: 'backspace'}, {type: 'left'}, {type: 'insert', text: 'x'}], '日x本', [0, 2]],
	['emoji is one character', 'a🚀b', [0, 2], [{type: 'backspace'}], 'ab', [0, 1]],
	['top and bottom', 'a\nb\nc', [1, 0], [{type: 'bottom'}], 'a\nb\nc', [2, 1]],
];

function at(text: string, row: number, col: number, height = 3): Buffer {
	return {...createBuffer(text, height), row, col, goal: col};
}

describe('text buffer', () => {
	it.each(rows)('%s', (_name, text, [row, col], actions, expected, [erow, ecol]) => {
		const result = actions.reduce(reduce, at(text, row, col));
		expect(bufferText(result)).toBe(expected);
		expect([result.row, result.col]).toEqual([erow, ecol]);
	});

	it('scrolls to keep the cursor in view, and pages', () => {
		const text = Array.from({length: 20}, (_, i) => `line ${i}`).join('\n');
		let b = createBuffer(text, 5);
		for (let i = 0; i < 7; i++) b = reduce(b, {type: 'down'});
		expect(b.row).toBe(7);
		expect(b.scroll).toBe(3);
		b = reduce(b, {type: 'pageDown'});
		expect(b.row).toBe(12);
		expect(b.row).toBeGreaterThanOrEqual(b.scroll);
		expect(b.row).toBeLessThan(b.scroll + 5);
		b = reduce(b, {type: 'top'});
		expect([b.row, b.scroll]).toEqual([0, 0]);
		b = reduce(b, {type: 'resize', height: 2});
		b = reduce(reduce(reduce(b, {type: 'down'}), {type: 'down'}), {type: 'down'});
		expect(b.scroll).toBe(2);
	});

	it('tracks unsaved changes', () => {
		let b = createBuffer('a');
		expect(b.dirty).toBe(false);
		b = reduce(b, {type: 'insert', text: 'b'});
		expect(b.dirty).toBe(true);
		b = reduce(b, {type: 'saved'});
		expect(b.dirty).toBe(false);
		b = reduce(b, {type: 'load', text: 'new\ntext'});
		expect(bufferText(b)).toBe('new\ntext');
	});
});
