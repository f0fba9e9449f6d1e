// The goal editor as a pure reducer: text, cursor and viewport in, the same
// out. No React, no terminal: every edit is a table row in its tests.

export type Buffer = {
	lines: string[];
	row: number;
	/** Cursor column in code points. */
	col: number;
	/** Column to return to when moving up/down through shorter lines. */
	goal: number;
	/** First visible line. */
	scroll: number;
	/** Visible lines (set by the pane). */
	height: number;
	dirty: boolean;
};

export type Action =
	| {type: 'insert'; text: string}
	| {type: 'newline'}
	| {type: 'backspace'}
	| {type: 'delete'}
	| {type: 'left'}
	| {type: 'right'}
	| {type: 'up'}
	| {type: 'down'}
	| {type: 'home'}
	| {type: 'end'}
	| {type: 'wordLeft'}
	| {type: 'wordRight'}
	| {type: 'pageUp'}
	| {type: 'pageDown'}
	| {type: 'top'}
	| {type: 'bottom'}
	| {type: 'resize'; height: number}
	| {type: 'load'; text: string}
	| {type: 'saved'};

const chars = (s: string): string[] => Array.from(s);

export function createBuffer(text: string, height = 10): Buffer {
	return {lines: splitLines(text), row: 0, col: 0, goal: 0, scroll: 0, height: Math.max(1, height), dirty: false};
}

export function bufferText(buffer: Buffer): string {
	return buffer.lines.join('\n');
}

function splitLines(text: string): string[] {
	return text.replace(/\r\n?/g, '\n').split('\n');
}

/** Keeps the cursor inside the viewport. */
function follow(b: Buffer): Buffer {
	let scroll = b.scroll;
	if (b.row < scroll) scroll = b.row;
	if (b.row >= scroll + b.height) scroll = b.row - b.height + 1;
	scroll = Math.max(0, Math.min(scroll, Math.max(0, b.lines.length - 1)));
	return scroll === b.scroll ? b : {...b, scroll};
}

function at(b: Buffer, row: number, col: number, keepGoal = false): Buffer {
	const r = Math.max(0, Math.min(row, b.lines.length - 1));
	const length = chars(b.lines[r]!).length;
	const c = Math.max(0, Math.min(col, length));
	return follow({...b, row: r, col: c, goal: keepGoal ? b.goal : c});
}

function edit(b: Buffer, lines: string[], row: number, col: number): Buffer {
	return follow({...b, lines, row, col, goal: col, dirty: true});
}

const isWord = (c: string | undefined): boolean => c !== undefined && /[\p{L}\p{N}_]/u.test(c);

export function reduce(b: Buffer, action: Action): Buffer {
	const line = chars(b.lines[b.row]!);
	switch (action.type) {
		case 'insert': {
			const text = action.text.replace(/\r\n?/g, '\n').replace(/\t/g, '    ');
			if (text === '') return b;
			const parts = text.split('\n');
			const before = line.slice(0, b.col).join('');
			const after = line.slice(b.col).join('');
			const lines = [...b.lines];
			if (parts.length === 1) {
				lines[b.row] = before + parts[0] + after;
				return edit(b, lines, b.row, b.col + chars(parts[0]!).length);
			}
			const inserted = [before + parts[0], ...parts.slice(1, -1), parts.at(-1)! + after];
			lines.splice(b.row, 1, ...inserted);
			return edit(b, lines, b.row + parts.length - 1, chars(parts.at(-1)!).length);
		}
		case 'newline':
			return reduce(b, {type: 'insert', text: '\n'});
		case 'backspace': {
			if (b.col > 0) {
				const lines = [...b.lines];
				lines[b.row] = [...line.slice(0, b.col - 1), ...line.slice(b.col)].join('');
				return edit(b, lines, b.row, b.col - 1);
			}
			if (b.row === 0) return b;
			const previous = b.lines[b.row - 1]!;
			const lines = [...b.lines];
			lines.splice(b.row - 1, 2, previous + b.lines[b.row]);
			return edit(b, lines, b.row - 1, chars(previous).length);
		}
		case 'delete': {
			if (b.col < line.length) {
				const lines = [...b.lines];
				lines[b.row] = [...line.slice(0, b.col), ...line.slice(b.col + 1)].join('');
				return edit(b, lines, b.row, b.col);
			}
			if (b.row === b.lines.length - 1) return b;
			const lines = [...b.lines];
			lines.splice(b.row, 2, b.lines[b.row]! + b.lines[b.row + 1]);
			return edit(b, lines, b.row, b.col);
		}
		case 'left':
			if (b.col > 0) return at(b, b.row, b.col - 1);
			return b.row > 0 ? at(b, b.row - 1, chars(b.lines[b.row - 1]!).length) : b;
		case 'right':
			if (b.col < line.length) return at(b, b.row, b.col + 1);
			return b.row < b.lines.length - 1 ? at(b, b.row + 1, 0) : b;
		case 'up':
			return b.row > 0 ? at(b, b.row - 1, b.goal, true) : at(b, 0, 0);
		case 'down':
			return b.row < b.lines.length - 1 ? at(b, b.row + 1, b.goal, true) : at(b, b.row, line.length);
		case 'home':
			return at(b, b.row, 0);
		case 'end':
			return at(b, b.row, line.length);
		case 'wordLeft': {
			if (b.col === 0) return reduce(b, {type: 'left'});
			let c = b.col;
			while (c > 0 && !isWord(line[c - 1])) c--;
			while (c > 0 && isWord(line[c - 1])) c--;
			return at(b, b.row, c);
		}
		case 'wordRight': {
			if (b.col >= line.length) return reduce(b, {type: 'right'});
			let c = b.col;
			while (c < line.length && !isWord(line[c])) c++;
			while (c < line.length && isWord(line[c])) c++;
			return at(b, b.row, c);
		}
		case 'pageUp':
			return {...at(b, b.row - b.height, b.goal, true), scroll: Math.max(0, b.scroll - b.height)};
		case 'pageDown': {
			const moved = at(b, b.row + b.height, b.goal, true);
			return follow({...moved, scroll: Math.min(Math.max(0, b.lines.length - b.height), b.scroll + b.height)});
		}
		case 'top':
			return at(b, 0, 0);
		case 'bottom':
			return at(b, b.lines.length - 1, chars(b.lines.at(-1)!).length);
		case 'resize':
			return follow({...b, height: Math.max(1, action.height)});
		case 'load':
			return at({...b, lines: splitLines(action.text), dirty: false}, b.row, b.col);
		case 'saved':
			return {...b, dirty: false};
	}
}
