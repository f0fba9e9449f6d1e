import stringWidth from 'string-width';

// Text measured by what a terminal shows: wide characters (CJK, most emoji)
// take two cells, combining marks none. Every line a pane draws is cut or
// padded to its exact width, so borders stay straight whatever the text holds.
// Measuring follows string-width, which Ink itself lays out with: the screen
// and our arithmetic agree.

export type Segment = {text: string; color?: string; bold?: boolean; dim?: boolean; inverse?: boolean};
export type Line = Segment[];

const printableAscii = /^[\x20-\x7e]*$/;
const segmenter = new Intl.Segmenter();

/** Display cells of `s` (ASCII fast path: most log lines are plain ASCII). */
export const width = (s: string): number => (printableAscii.test(s) ? s.length : stringWidth(s));

/** Grapheme clusters with their cell widths. */
function* clusters(text: string): Generator<[string, number]> {
	for (const {segment} of segmenter.segment(text)) yield [segment, stringWidth(segment)];
}

/** The longest head of `text` that fits in `cells` cells. */
function head(text: string, cells: number): string {
	if (printableAscii.test(text)) return text.slice(0, Math.max(0, cells));
	let out = '';
	let used = 0;
	for (const [g, w] of clusters(text)) {
		if (used + w > cells) break;
		out += g;
		used += w;
	}
	return out;
}

/** Cuts `text` to at most `cells` display cells, marking a cut with `…` (or `mark`: `...` on a plain terminal). */
export function cut(text: string, cells: number, mark = '…'): string {
	if (cells <= 0) return '';
	if (width(text) <= cells) return text;
	const m = width(mark) < cells ? mark : '';
	return head(text, cells - width(m)) + m;
}

/** Keeps the head and the tail of `text` within `cells` cells, `…` where the middle was. */
export function cutMiddle(text: string, cells: number): string {
	if (cells <= 0) return '';
	if (width(text) <= cells) return text;
	if (cells < 3) return cut(text, cells);
	const tail = Math.floor((cells - 1) / 2);
	const kept = cutLeft(text, tail + 1).slice(1);
	return head(text, cells - 1 - width(kept)) + '…' + kept;
}

/** Keeps the END of `text` within `cells` cells, marking a cut with `…` at the start. */
export function cutLeft(text: string, cells: number): string {
	if (cells <= 0) return '';
	if (width(text) <= cells) return text;
	const parts = [...clusters(text)];
	let out = '';
	let used = 0;
	for (let i = parts.length - 1; i >= 0; i--) {
		const [g, w] = parts[i]!;
		if (used + w > cells - 1) break;
		out = g + out;
		used += w;
	}
	return '…' + out;
}

/** Breaks text into lines of at most `cells` cells (at spaces where it can). */
export function wrap(text: string, cells: number): string[] {
	if (cells <= 0) return [];
	const out: string[] = [];
	for (const paragraph of text.split('\n')) {
		if (width(paragraph) <= cells) {
			out.push(paragraph);
			continue;
		}
		let line = '';
		let used = 0;
		for (const word of paragraph.split(/(\s+)/)) {
			if (word === '') continue;
			const w = width(word);
			if (used + w <= cells) {
				line += word;
				used += w;
				continue;
			}
			if (/^\s+$/.test(word)) {
				out.push(line);
				line = '';
				used = 0;
				continue;
			}
			if (line !== '' && w <= cells) {
				out.push(line);
				line = word;
				used = w;
				continue;
			}
			for (const [g, gw] of clusters(word)) {
				if (used + gw > cells) {
					out.push(line);
					line = '';
					used = 0;
				}
				line += g;
				used += gw;
			}
		}
		out.push(line);
	}
	return out;
}

const asciiFor: Record<string, string> = {
	'·': '-',
	'—': '-',
	'–': '-',
	'…': '...',
	'▸': '>',
	'▶': '>',
	'★': '*',
	'●': '+',
	'✓': '+',
	'✗': 'x',
	'■': 's',
	'↻': 'r',
	'↑': '^',
	'↓': 'v',
	'←': '<',
	'→': '->',
	'±': '+-',
	'×': 'x',
	'°': '',
	Δ: 'd',
	'─': '-',
	'═': '=',
	'│': '|',
	'║': '|',
};

/**
 * Text for a terminal that shows ASCII only (TERM=dumb): the marks the
 * screen uses in their ASCII forms, anything else outside ASCII as `?` per
 * cell it would take (so a cut lands where it would have).
 */
export function toAscii(text: string): string {
	if (printableAscii.test(text)) return text;
	let out = '';
	for (const [g, w] of clusters(text)) {
		if (printableAscii.test(g)) out += g;
		else out += asciiFor[g] ?? '?'.repeat(w);
	}
	return out;
}

/** A line cut to `cells` and padded with spaces to exactly `cells` (`ascii`: for a plain terminal, marks and all). */
export function fitLine(line: Line, cells: number, ascii = false): Line {
	const source = ascii ? line.map(s => (printableAscii.test(s.text) ? s : {...s, text: toAscii(s.text)})) : line;
	const mark = ascii ? '...' : '…';
	const out: Line = [];
	let used = 0;
	for (let i = 0; i < source.length; i++) {
		const segment = source[i]!;
		if (used >= cells) break;
		const room = cells - used;
		const w = width(segment.text);
		// Only the segment that overflows gets the `…`; a later one that would not fit is dropped.
		const text = w > room ? cut(segment.text, room, mark) : segment.text;
		out.push(text === segment.text ? segment : {...segment, text});
		used += w > room ? width(text) : w;
	}
	if (used < cells) out.push({text: ' '.repeat(cells - used)});
	return out;
}

export const plain = (text: string, style: Omit<Segment, 'text'> = {}): Line => [{text, ...style}];

/** Pads or cuts to exactly `cells` cells, left-aligned. */
export function pad(text: string, cells: number): string {
	const cutText = cut(text, cells);
	return cutText + ' '.repeat(Math.max(0, cells - width(cutText)));
}

/** Right-aligned within `cells` cells. */
export function padStart(text: string, cells: number): string {
	const cutText = cut(text, cells);
	return ' '.repeat(Math.max(0, cells - width(cutText))) + cutText;
}

/**
 * How one character of a file is shown in the editor: tabs as spaces up to
 * the next stop of 4, control characters in caret notation (`^[` for ESC),
 * so that nothing in program.md reaches the terminal as a control sequence.
 */
export function showChar(ch: string, column: number): string {
	if (ch === '\t') return ' '.repeat(4 - (column % 4));
	const c = ch.codePointAt(0)!;
	if (c < 0x20) return '^' + String.fromCharCode(c + 0x40);
	if (c === 0x7f) return '^?';
	if ((c >= 0x80 && c <= 0x9f) || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069)) return `<${c.toString(16)}>`;
	return ch;
}
