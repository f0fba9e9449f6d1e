import stringWidth from 'string-width';
import {describe, expect, it} from 'vitest';
import {RowDiff, rowUpdate} from '../../source/ui/terminal-diff.js';

// RowDiff must leave exactly the screen Ink's own bytes would: a small
// terminal emulator (cursor moves, erase, SGR, wide characters) takes both
// streams, frame after frame, and their screens are compared cell by cell.

const ESC = '\u001b';

class Screen {
	cells: string[][];
	row = 0;
	col = 0;
	style = '';

	constructor(
		readonly rows: number,
		readonly cols: number,
	) {
		this.cells = Array.from({length: rows}, () => Array.from({length: cols}, () => ' |'));
	}

	write(data: string): void {
		let i = 0;
		const segmenter = new Intl.Segmenter();
		while (i < data.length) {
			if (data[i] === ESC) {
				const m = /^\u001b\[(\?)?([0-9;]*)([A-Za-z])/.exec(data.slice(i));
				if (!m) throw new Error(`unknown sequence at ${JSON.stringify(data.slice(i, i + 10))}`);
				this.control(m[1] === '?', m[2]!, m[3]!);
				i += m[0].length;
				continue;
			}
			if (data[i] === '\r') {
				this.col = 0;
				i++;
				continue;
			}
			if (data[i] === '\n') {
				this.row++;
				this.col = 0;
				i++;
				continue;
			}
			let end = data.indexOf(ESC, i);
			for (const stop of ['\r', '\n']) {
				const at = data.indexOf(stop, i);
				if (at !== -1 && (end === -1 || at < end)) end = at;
			}
			if (end === -1) end = data.length;
			for (const {segment} of segmenter.segment(data.slice(i, end))) {
				const w = stringWidth(segment);
				if (w === 0) continue;
				// A blank shows no colour, boldness or dimness: only what paints the cell (inverse, underline, a background) tells it apart.
				const shown = segment === ' ' && !this.style.split(',').some(c => /^(7|4|9|4[0-7]|10[0-7])$/.test(c)) ? '' : this.style;
				this.cells[this.row]![this.col] = `${segment}|${shown}`;
				if (w === 2) this.cells[this.row]![this.col + 1] = `|${this.style}`;
				this.col += w;
			}
			i = end;
		}
	}

	private control(privateMode: boolean, params: string, final: string): void {
		if (privateMode) return;
		const n = params === '' ? 1 : Number(params);
		if (final === 'J') this.cells = this.cells.map(r => r.map(() => ' |'));
		else if (final === 'H') this.row = this.col = 0;
		else if (final === 'A') this.row = Math.max(0, this.row - n);
		else if (final === 'E') {
			this.row += n;
			this.col = 0;
		} else if (final === 'G') this.col = n - 1;
		else if (final === 'K') for (let c = this.col; c < this.cols; c++) this.cells[this.row]![c] = ' |';
		else if (final === 'm') {
			// The test's own SGR model: the set of codes in force, reset by 0, closed by 22/39/27.
			const codes = params === '' ? ['0'] : params.split(';');
			let set = new Set(this.style === '' ? [] : this.style.split(','));
			for (const c of codes) {
				if (c === '0') set = new Set();
				else if (c === '22') {
					set.delete('1');
					set.delete('2');
				} else if (c === '39') {
					for (const x of [...set]) if (/^(3[0-7]|9[0-7])$/.test(x)) set.delete(x);
				} else if (c === '27') set.delete('7');
				else {
					if (/^(3[0-7]|9[0-7])$/.test(c)) for (const x of [...set]) if (/^(3[0-7]|9[0-7])$/.test(x)) set.delete(x);
					set.add(c);
				}
			}
			this.style = [...set].sort().join(',');
		} else throw new Error(`unexpected CSI ${params}${final}`);
	}

	text(): string {
		return this.cells.map(r => r.join(' ')).join('\n');
	}
}

/** Ink's incremental frame from one screen to the next (log-update.js's createIncremental, without a cursor). */
function inkFrame(previous: string[], next: string[]): string {
	let out = `${ESC}[${previous.length - 1}A`;
	for (let i = 0; i < next.length; i++) {
		const last = i === next.length - 1;
		if (next[i] === previous[i]) {
			if (!last) out += `${ESC}[E`;
			continue;
		}
		out += `${ESC}[1G${next[i]}${ESC}[K${last ? '' : '\n'}`;
	}
	return out;
}

const color = (c: number, text: string) => `${ESC}[${c}m${text}${ESC}[39m`;
const bold = (text: string) => `${ESC}[1m${text}${ESC}[22m`;

function randomRow(seed: number): string {
	const parts = [
		'│',
		bold(`running #${seed % 7}`),
		` ${seed % 60}:${String(seed % 59).padStart(2, '0')} left`,
		color(32, ` · best ${(1 + seed / 1000).toFixed(4)}`),
		seed % 5 === 0 ? ' 日本語' : '',
		seed % 3 === 0 ? color(36, '▶ step') : ' step',
		// Blanks in a style that does not show, before text in that style.
		seed % 4 === 0 ? `${ESC}[2m${' '.repeat(seed % 5)}dim${ESC}[22m` : `${' '.repeat(seed % 3)}`,
		// A chart's padding: dim blanks growing, then a mark in colour; a cursor in inverse.
		`${ESC}[2m${' '.repeat(seed % 6)}${ESC}[22m${color(36, '╰')}`,
		seed % 9 === 0 ? `${ESC}[7m ${ESC}[27m` : ' ',
		` ${seed % 11 === 0 ? 'x'.repeat(seed % 13) : String(seed)}`,
		'│',
	];
	return parts.join('');
}

describe('RowDiff', () => {
	it('sends only the cells that changed, with their style', () => {
		const before = `${bold('running #2')} 9:58 left${color(32, ' · best 1.0500')}`;
		const after = `${bold('running #2')} 9:57 left${color(32, ' · best 1.0500')}`;
		expect(rowUpdate(before, after)).toBe(`${ESC}[15G${ESC}[0m7${ESC}[0m`);
		// The new cells carry the style in force where they start.
		expect(rowUpdate(`${color(36, 'ab')}c`, `${color(36, 'aX')}c`)).toBe(`${ESC}[2G${ESC}[0m${ESC}[36mX${ESC}[39m${ESC}[0m`);
		// Shorter: to the end, then erased.
		expect(rowUpdate('abcdef', 'abc')).toBe(`${ESC}[4G${ESC}[0m${ESC}[0m${ESC}[K`);
		// A wide character before the change: the whole row (its column is not ours to guess).
		expect(rowUpdate('日本 1', '日本 2')).toBeUndefined();
	});

	it('leaves the screen exactly as Ink would, frame after frame', () => {
		const rows = 12;
		const cols = 60;
		const ink = new Screen(rows, cols);
		const ours = new Screen(rows, cols);
		const diff = new RowDiff(() => rows);
		let screen = Array.from({length: rows}, (_, i) => randomRow(i));
		// The first frame is a whole one: passed on as it is, and remembered row by row.
		const first = screen.join('\n');
		ink.write(first);
		expect(diff.rewrite(first)).toBe(first);
		ours.write(first);
		let inkBytes = 0;
		let ourBytes = 0;
		let seed = 1;
		for (let f = 0; f < 300; f++) {
			const next = screen.slice();
			for (let k = 0; k < 1 + (f % 4); k++) {
				seed = (seed * 48271) % 2147483647;
				next[seed % rows] = randomRow(seed % 997);
			}
			// Now and then a whole frame after a clear (Ink does so on a resize).
			const frame = f % 50 === 49 ? `${ESC}[2J${ESC}[3J${ESC}[H${next.join('\n')}` : inkFrame(screen, next);
			screen = next;
			for (const part of [`${ESC}[?2026h`, frame, `${ESC}[?2026l`]) {
				const rewritten = diff.rewrite(part);
				ink.write(part);
				ours.write(rewritten);
				inkBytes += part.length;
				ourBytes += rewritten.length;
			}
			expect(ours.text(), `frame ${f}`).toBe(ink.text());
		}
		expect(ourBytes).toBeLessThan(inkBytes);
	});

	it('forgets every row on anything but an incremental frame', () => {
		const diff = new RowDiff();
		diff.rewrite(`${ESC}[1A${ESC}[1Gabc${ESC}[K\n${ESC}[1Gdef${ESC}[K`);
		expect(diff.rewrite(`${ESC}[1A${ESC}[1Gabd${ESC}[K\n${ESC}[E`)).toBe(`${ESC}[1A${ESC}[3G${ESC}[0md${ESC}[0m\n${ESC}[E`);
		// A full redraw (a resize): passed through, and the rows are unknown again.
		const full = `${ESC}[2K${ESC}[1A${ESC}[2K${ESC}[Gxyz\nuvw`;
		expect(diff.rewrite(full)).toBe(full);
		expect(diff.rewrite(`${ESC}[1A${ESC}[1Gxyq${ESC}[K`)).toBe(`${ESC}[1A${ESC}[1Gxyq${ESC}[K`);
	});
});
