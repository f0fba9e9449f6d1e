import stringWidth from 'string-width';

// Text measured by what a terminal shows: wide characters take two cells.
// Every line a pane draws is cut or padded to its exact width, so borders
// stay straight whatever the text holds.

export type Segment = {text: string; color?: string; bold?: boolean; dim?: boolean; inverse?: boolean};
export type Line = Segment[];

export const width = (s: string): number => stringWidth(s);

/** Cuts `text` to at most `cells` display cells, marking a cut with `…`. */
export function cut(text: string, cells: number): string {
	if (cells <= 0) return '';
	if (stringWidth(text) <= cells) return text;
	let out = '';
	let used = 0;
	for (const ch of text) {
		const w = stringWidth(ch);
		if (used + w > cells - 1) break;
		out += ch;
		used += w;
	}
	return out + '…';
}

/** Breaks text into lines of at most `cells` cells (at spaces where it can). */
export function wrap(text: string, cells: number): string[] {
	if (cells <= 0) return [];
	const out: string[] = [];
	for (const paragraph of text.split('\n')) {
		let line = '';
		let used = 0;
		const words = paragraph.split(/(\s+)/);
		for (const word of words) {
			const w = stringWidth(word);
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
			if (line !== '') {
				out.push(line);
				line = '';
				used = 0;
			}
			for (const ch of word) {
				const cw = stringWidth(ch);
				if (used + cw > cells) {
					out.push(line);
					line = '';
					used = 0;
				}
				line += ch;
				used += cw;
			}
		}
		out.push(line);
	}
	return out;
}

/** A line cut to `cells` and padded with spaces to exactly `cells`. */
export function fitLine(line: Line, cells: number): Line {
	const out: Line = [];
	let used = 0;
	for (const segment of line) {
		if (used >= cells) break;
		const room = cells - used;
		const text = stringWidth(segment.text) > room ? cut(segment.text, room) : segment.text;
		out.push({...segment, text});
		used += stringWidth(text);
	}
	if (used < cells) out.push({text: ' '.repeat(cells - used)});
	return out;
}

export const plain = (text: string, style: Omit<Segment, 'text'> = {}): Line => [{text, ...style}];
