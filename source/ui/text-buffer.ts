import {showChar, width as cellsOf} from './text.js';

// The goal editor (and the one-line chat input) as a pure reducer: text,
// cursor and viewport in, the same out. No React, no terminal: every edit is
// a table row in its tests.
//
// Lines are soft-wrapped to the pane's width for display and for moving up
// and down (as a person sees them); the cursor itself is a (line, column)
// position in the text, the column counted in code points.

export type Buffer = {
	lines: string[];
	row: number;
	/** Cursor column in code points. */
	col: number;
	/** Display cell to return to when moving up/down through shorter rows. */
	goal: number;
	/** First visible display row. */
	scroll: number;
	/** Visible rows (set by the pane). */
	height: number;
	/** Cells per display row (set by the pane); a line longer than this wraps. */
	width: number;
	dirty: boolean;
};

export type Action =
	| {type: 'insert'; text: string}
	| {type: 'newline'}
	| {type: 'indent'}
	| {type: 'backspace'}
	| {type: 'delete'}
	| {type: 'deleteWordLeft'}
	| {type: 'deleteToLineStart'}
	| {type: 'deleteToLineEnd'}
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
	/** Moves the view by display rows; the cursor stays inside it. */
	| {type: 'scroll'; rows: number}
	| {type: 'resize'; height?: number; width?: number}
	| {type: 'load'; text: string}
	| {type: 'saved'};

/** One display row: code points [start, end) of text line `row`. */
export type VisualRow = {row: number; start: number; end: number; last: boolean};

const chars = (s: string): string[] => Array.from(s);
export const indentWidth = 4;

/** Cells a character takes on screen, as the editor shows it (tabs as 4 spaces, controls in caret notation). */
export const charCells = (ch: string): number => (ch === '\t' ? indentWidth : cellsOf(showChar(ch, 0)));

export function createBuffer(text: string, height = 10, width = 80): Buffer {
	return {
		lines: splitLines(text),
		row: 0,
		col: 0,
		goal: 0,
		scroll: 0,
		height: Math.max(1, height),
		width: Math.max(2, width),
		dirty: false,
	};
}

export function bufferText(buffer: Buffer): string {
	return buffer.lines.join('\n');
}

function splitLines(text: string): string[] {
	return text.replace(/\r\n?/g, '\n').split('\n');
}

const layoutCache = new WeakMap<string[], Map<number, VisualRow[]>>();

/**
 * The display rows of every line at `width` cells. One cell is kept free at
 * the right for the cursor after a line's last character. Breaks after a
 * space where the row has one, else mid-word.
 */
export function visualRows(lines: string[], width: number): VisualRow[] {
	let byWidth = layoutCache.get(lines);
	const cached = byWidth?.get(width);
	if (cached) return cached;
	const room = Math.max(1, width - 1);
	const out: VisualRow[] = [];
	lines.forEach((line, row) => {
		const cs = chars(line);
		if (cs.length === 0) {
			out.push({row, start: 0, end: 0, last: true});
			return;
		}
		let i = 0;
		while (i < cs.length) {
			const start = i;
			let used = 0;
			let lastBreak = -1;
			while (i < cs.length) {
				const w = charCells(cs[i]!);
				if (used + w > room && i > start) break;
				used += w;
				if (cs[i] === ' ') lastBreak = i + 1;
				i++;
			}
			if (i >= cs.length) {
				out.push({row, start, end: cs.length, last: true});
				break;
			}
			// A space at the break hangs at the end of the row (in the cell kept for the cursor).
			const end = cs[i] === ' ' ? i + 1 : lastBreak > start ? lastBreak : i;
			out.push({row, start, end, last: false});
			i = end;
		}
	});
	if (!byWidth) {
		byWidth = new Map();
		layoutCache.set(lines, byWidth);
	}
	byWidth.set(width, out);
	return out;
}

/** Index of the display row that holds the cursor. */
export function cursorRow(b: Buffer, rows = visualRows(b.lines, b.width)): number {
	let found = -1;
	for (let v = 0; v < rows.length; v++) {
		const r = rows[v]!;
		if (r.row < b.row) continue;
		if (r.row > b.row) break;
		found = v;
		if (b.col < r.end || r.last) return v;
	}
	return Math.max(0, found);
}

/** Cells from the start of a display row to column `col`. */
function cellsTo(line: string[], start: number, col: number): number {
	let x = 0;
	for (let i = start; i < col; i++) x += charCells(line[i]!);
	return x;
}

/** The column in display row `r` nearest to cell `x` (never past the row). */
function colAt(lines: string[], r: VisualRow, x: number): number {
	const line = chars(lines[r.row]!);
	const limit = r.last ? r.end : Math.max(r.start, r.end - 1);
	let used = 0;
	let col = r.start;
	while (col < limit) {
		const w = charCells(line[col]!);
		if (used + w > x) break;
		used += w;
		col++;
	}
	return col;
}

/** Keeps the cursor inside the viewport. */
function follow(b: Buffer): Buffer {
	const rows = visualRows(b.lines, b.width);
	const v = cursorRow(b, rows);
	let scroll = b.scroll;
	if (v < scroll) scroll = v;
	if (v >= scroll + b.height) scroll = v - b.height + 1;
	scroll = Math.max(0, Math.min(scroll, Math.max(0, rows.length - 1)));
	return scroll === b.scroll ? b : {...b, scroll};
}

/** The display cell of the cursor within its row (the up/down goal). */
function cursorX(b: Buffer): number {
	const rows = visualRows(b.lines, b.width);
	const r = rows[cursorRow(b, rows)]!;
	return cellsTo(chars(b.lines[b.row]!), r.start, b.col);
}

function at(b: Buffer, row: number, col: number, keepGoal = false): Buffer {
	const r = Math.max(0, Math.min(row, b.lines.length - 1));
	const length = chars(b.lines[r]!).length;
	const c = Math.max(0, Math.min(col, length));
	const moved = {...b, row: r, col: c};
	return follow(keepGoal ? moved : {...moved, goal: cursorX(moved)});
}

/** Moves the cursor `delta` display rows, keeping its goal cell. */
function vertical(b: Buffer, delta: number): Buffer {
	const rows = visualRows(b.lines, b.width);
	const v = cursorRow(b, rows);
	const target = v + delta;
	if (target < 0) return at(b, 0, 0);
	if (target >= rows.length) return at(b, b.lines.length - 1, chars(b.lines.at(-1)!).length);
	const r = rows[target]!;
	return follow({...b, row: r.row, col: colAt(b.lines, r, b.goal)});
}

function edit(b: Buffer, lines: string[], row: number, col: number): Buffer {
	const next = {...b, lines, row, col, dirty: true};
	return follow({...next, goal: cursorX(next)});
}

const isWord = (c: string | undefined): boolean => c !== undefined && /[\p{L}\p{N}_]/u.test(c);

export function reduce(b: Buffer, action: Action): Buffer {
	const line = chars(b.lines[b.row]!);
	switch (action.type) {
		case 'insert': {
			const text = action.text.replace(/\r\n?/g, '\n');
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
		case 'indent':
			return reduce(b, {type: 'insert', text: ' '.repeat(indentWidth - (cellsTo(line, 0, b.col) % indentWidth))});
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
		case 'deleteWordLeft': {
			if (b.col === 0) return reduce(b, {type: 'backspace'});
			let c = b.col;
			while (c > 0 && !isWord(line[c - 1])) c--;
			while (c > 0 && isWord(line[c - 1])) c--;
			const lines = [...b.lines];
			lines[b.row] = [...line.slice(0, c), ...line.slice(b.col)].join('');
			return edit(b, lines, b.row, c);
		}
		case 'deleteToLineStart': {
			if (b.col === 0) return b;
			const lines = [...b.lines];
			lines[b.row] = line.slice(b.col).join('');
			return edit(b, lines, b.row, 0);
		}
		case 'deleteToLineEnd': {
			if (b.col >= line.length) return reduce(b, {type: 'delete'});
			const lines = [...b.lines];
			lines[b.row] = line.slice(0, b.col).join('');
			return edit(b, lines, b.row, b.col);
		}
		case 'left':
			if (b.col > 0) return at(b, b.row, b.col - 1);
			return b.row > 0 ? at(b, b.row - 1, chars(b.lines[b.row - 1]!).length) : b;
		case 'right':
			if (b.col < line.length) return at(b, b.row, b.col + 1);
			return b.row < b.lines.length - 1 ? at(b, b.row + 1, 0) : b;
		case 'up':
			return vertical(b, -1);
		case 'down':
			return vertical(b, 1);
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
		case 'pageUp': {
			const total = visualRows(b.lines, b.width).length;
			const moved = vertical(b, -b.height);
			return follow({...moved, scroll: Math.max(0, Math.min(b.scroll - b.height, total - 1))});
		}
		case 'pageDown': {
			const total = visualRows(b.lines, b.width).length;
			const moved = vertical(b, b.height);
			return follow({...moved, scroll: Math.max(0, Math.min(b.scroll + b.height, total - b.height))});
		}
		case 'scroll': {
			const rows = visualRows(b.lines, b.width);
			const scroll = Math.max(0, Math.min(b.scroll + action.rows, rows.length - b.height));
			if (scroll === b.scroll) return b;
			const v = cursorRow(b, rows);
			// Drag the cursor along when it would leave the view.
			const target = Math.max(scroll, Math.min(v, scroll + b.height - 1));
			const moved = target === v ? b : {...b, row: rows[target]!.row, col: colAt(b.lines, rows[target]!, b.goal)};
			return {...moved, scroll};
		}
		case 'top':
			return at(b, 0, 0);
		case 'bottom':
			return at(b, b.lines.length - 1, chars(b.lines.at(-1)!).length);
		case 'resize': {
			const next = {...b, height: Math.max(1, action.height ?? b.height), width: Math.max(2, action.width ?? b.width)};
			return follow({...next, goal: cursorX(next)});
		}
		case 'load':
			return at({...b, lines: splitLines(action.text), dirty: false}, b.row, b.col);
		case 'saved':
			return {...b, dirty: false};
	}
}
