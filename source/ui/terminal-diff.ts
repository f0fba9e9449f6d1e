import stringWidth from 'string-width';

// What goes over SSH. Ink rewrites a whole terminal row when anything in it
// changed, and a row crosses panes: a countdown that moves a digit resends
// the status line, a new loss point resends every row of the chart and the
// Experiments table beside it. RowDiff sits between Ink and the terminal,
// remembers what each row holds, and turns Ink's row rewrite into the
// smallest one that leaves the same screen: the cursor to the first cell
// that changed, the style there, the cells up to the last change.
//
// It only touches what it understands: Ink's incremental frame (cursor up
// to the top, then per row either "next line" or "column 1, the row, erase
// to the end"), rows of plain text and SGR styles, narrow cells before the
// change (so the column it moves to is the terminal's too). Anything else
// (a full redraw, a resize, a cursor shown) goes through as it is and makes
// it forget every row.

/* eslint-disable no-control-regex -- these patterns are terminal sequences: ESC is what they match. */

/** `look`: the style as far as it shows (a blank in a dim style looks plain); `sgr`: the style in force, to set it again. */
type Cell = {text: string; width: number; look: string; sgr: string; offset: number};

const sgr = /\u001b\[([0-9;]*)m/y;
/** Text whose every UTF-16 unit is one narrow cell: ASCII, Latin, punctuation, arrows, box drawing, blocks, braille (no combining marks, nothing wide). */
const narrow = /^[\x20-\x7e\u00a0-\u02ff\u2010-\u2027\u2030-\u205e\u2190-\u21ff\u2500-\u259f\u2800-\u28ff]*$/;
const segmenter = new Intl.Segmenter();

/** The active SGR state as the codes that set it again (after a reset), e.g. `36;1`. */
class Style {
	private fg = '';
	private bg = '';
	private flags = new Set<number>();

	apply(params: string): void {
		const codes = params === '' ? [0] : params.split(';').map(Number);
		for (let i = 0; i < codes.length; i++) {
			const c = codes[i]!;
			if (c === 0) {
				this.fg = this.bg = '';
				this.flags.clear();
			} else if (c === 38 || c === 48) {
				const n = codes[i + 1] === 5 ? 2 : codes[i + 1] === 2 ? 4 : 0;
				const value = codes.slice(i, i + 2 + n).join(';');
				if (c === 38) this.fg = value;
				else this.bg = value;
				i += 1 + n;
			} else if ((c >= 30 && c <= 37) || (c >= 90 && c <= 97)) this.fg = String(c);
			else if ((c >= 40 && c <= 47) || (c >= 100 && c <= 107)) this.bg = String(c);
			else if (c === 39) this.fg = '';
			else if (c === 49) this.bg = '';
			else if (c === 22) {
				this.flags.delete(1);
				this.flags.delete(2);
			} else if (c >= 23 && c <= 29) this.flags.delete(c - 20);
			else this.flags.add(c);
		}
	}

	get key(): string {
		return [...[...this.flags].sort((a, b) => a - b).map(String), this.fg, this.bg].filter(Boolean).join(';');
	}

	/** A space in this style looks like any blank: no background, no inverse, underline or strike-through to show. */
	get blank(): boolean {
		return this.bg === '' && !this.flags.has(7) && !this.flags.has(4) && !this.flags.has(9);
	}
}

/** A row as cells: each grapheme with its width, the style it is drawn in, and where it starts in the row's text. */
export function cellsOf(row: string): Cell[] {
	const cells: Cell[] = [];
	const style = new Style();
	let key = '';
	let blank = true;
	let i = 0;
	while (i < row.length) {
		if (row.charCodeAt(i) === 0x1b) {
			sgr.lastIndex = i;
			const m = sgr.exec(row);
			if (!m) return [];
			style.apply(m[1]!);
			key = style.key;
			blank = style.blank;
			i = sgr.lastIndex;
			continue;
		}
		let end = row.indexOf('\u001b', i);
		if (end === -1) end = row.length;
		const text = row.slice(i, end);
		if (narrow.test(text)) {
			// A dim space and a plain one look the same: compared as equal, a chart's padding is not sent again.
			for (let j = 0; j < text.length; j++)
				cells.push({text: text[j]!, width: 1, look: blank && text[j] === ' ' ? '' : key, sgr: key, offset: i + j});
		} else {
			for (const {segment, index} of segmenter.segment(text))
				cells.push({text: segment, width: stringWidth(segment), look: blank && segment === ' ' ? '' : key, sgr: key, offset: i + index});
		}
		i = end;
	}
	return cells;
}

const same = (a: Cell | undefined, b: Cell | undefined): boolean =>
	a !== undefined && b !== undefined && a.text === b.text && a.look === b.look;

/** The bytes that turn row `before` into row `after` on the screen, the cursor at the row's start; undefined: write it whole. */
export function rowUpdate(before: string, after: string): string | undefined {
	if (before === after) return '';
	const a = cellsOf(before);
	const b = cellsOf(after);
	if (a.length === 0 || b.length === 0) return undefined;
	let p = 0;
	while (p < a.length && p < b.length && same(a[p], b[p])) p++;
	// The column we move to must be the terminal's: only narrow cells before it.
	for (let i = 0; i < p; i++) if (b[i]!.width !== 1) return undefined;
	if (p === b.length && p === a.length) return '';
	let endB = b.length;
	let tail = '';
	if (a.length === b.length) {
		let q = b.length - 1;
		while (q > p && same(a[q], b[q])) q--;
		const width = (cells: Cell[]): number => cells.slice(p, q + 1).reduce((w, c) => w + c.width, 0);
		// The cells after the change stay where they were only if the changed ones take the same room.
		if (width(a) === width(b)) endB = q + 1;
		else tail = '\u001b[K';
	} else tail = '\u001b[K';
	const start = b[p];
	const text = start === undefined ? '' : after.slice(start.offset, endB < b.length ? b[endB]!.offset : after.length);
	const style = start && start.sgr ? `\u001b[${start.sgr}m` : '';
	return `\u001b[${p + 1}G\u001b[0m${style}${text}\u001b[0m${tail}`;
}

const frame = /^(\u001b\[\?2026h)?(\u001b\[\d+A)([\s\S]*?)(\u001b\[\?2026l)?$/;
/** A whole frame: after a clear (or Ink erasing its last frame), every row, plain text and SGR only. */
const whole = /^(?:\u001b\[2J\u001b\[3J\u001b\[H|(?:\u001b\[2K(?:\u001b\[1A)?)+\u001b\[G)?((?:[^\u001b]|\u001b\[[0-9;]*m)*)$/;
/** Private modes that leave the screen as it is (synchronized updates, the cursor, bracketed paste; not 1049, the other screen). */
const harmless = /^(?:\u001b\[\?(?:2026|25|2004)[hl])+$/;
const rowWrite = /\u001b\[1G((?:[^\u001b\n]|\u001b\[[0-9;]*m)*)\u001b\[K(\r?\n)?/y;

export class RowDiff {
	private rows = new Map<number, string>();

	/** `height`: the screen's rows (a whole frame is known by having as many), when known. */
	constructor(private readonly height: () => number | undefined = () => undefined) {}

	/** Ink's output chunk as the fewest bytes that draw the same screen. */
	rewrite(chunk: string): string {
		if (harmless.test(chunk)) return chunk;
		const m = frame.exec(chunk);
		if (!m) return this.whole(chunk);
		const body = m[3]!;
		let out = (m[1] ?? '') + m[2]!;
		let row = 0;
		let i = 0;
		while (i < body.length) {
			if (body.startsWith('\u001b[E', i)) {
				out += '\u001b[E';
				row++;
				i += 3;
				continue;
			}
			rowWrite.lastIndex = i;
			const w = rowWrite.exec(body);
			if (!w) return this.forget(chunk);
			const after = w[1]!;
			const before = this.rows.get(row);
			this.rows.set(row, after);
			const update = before === undefined ? undefined : rowUpdate(before, after);
			out += update === undefined ? `\u001b[1G${after}\u001b[K` : update;
			if (w[2]) {
				out += w[2];
				row++;
			}
			i = rowWrite.lastIndex;
		}
		return out + (m[4] ?? '');
	}

	/** A whole frame is remembered row by row; anything else is passed on, and every row forgotten. */
	private whole(chunk: string): string {
		this.rows.clear();
		const rows = whole.exec(chunk)?.[1]?.split('\n');
		if (rows && rows.length > 1 && rows.length === this.height()) rows.forEach((row, i) => this.rows.set(i, row.replace(/\r$/, '')));
		return chunk;
	}

	private forget(chunk: string): string {
		this.rows.clear();
		return chunk;
	}
}
