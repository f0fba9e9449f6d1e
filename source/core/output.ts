import type {Progress, Summary} from './types.js';

export type OutputLine = {
	text: string;
	/** The next line replaces this one (a `\r` progress line, or a line still being written). */
	partial: boolean;
	/** Not ended yet: what a chunk left unterminated (e.g. after a leading `\r`); shown, not parsed. */
	open?: boolean;
};

/** Past this a line is flushed as it is: a run printing without newlines must not grow memory. */
const maxLine = 64 * 1024;

/**
 * Turns a child's raw output into lines as a terminal would show them: `\r`
 * returns to the start of the line and what follows overwrites it. Each `\r`
 * yields the line so far as partial (the next line replaces it); `\n` yields
 * it whole (so `\r\n` gives a partial and then the whole line). Chunks may
 * split anywhere and give the same lines.
 */
export class TerminalLines {
	private line = '';
	private column = 0;

	feed(chunk: string): OutputLine[] {
		const out: OutputLine[] = [];
		let start = 0;
		for (let i = 0; i < chunk.length; i++) {
			const c = chunk.charCodeAt(i);
			if (c !== 13 && c !== 10) continue;
			this.write(chunk.slice(start, i));
			start = i + 1;
			if (c === 13) {
				// Partial even before a \n: whether one follows may be in the next chunk, and the display must not lag.
				if (this.line !== '') out.push({text: this.line, partial: true});
				this.column = 0;
			} else {
				out.push({text: this.line, partial: false});
				this.line = '';
				this.column = 0;
			}
		}
		this.write(chunk.slice(start));
		if (this.line.length > maxLine) {
			out.push({text: this.line, partial: false});
			this.line = '';
			this.column = 0;
		} else if (start < chunk.length && this.line !== '') {
			// `print("\rstep ...", end="")` leaves the newest line unterminated until the next one: show it now.
			out.push({text: this.line, partial: true, open: true});
		}
		return out;
	}

	/** The unterminated rest, at the end of the stream. */
	end(): OutputLine[] {
		if (this.line === '') return [];
		const out = [{text: this.line, partial: false}];
		this.line = '';
		this.column = 0;
		return out;
	}

	private write(text: string): void {
		if (text === '') return;
		if (this.column === this.line.length) this.line += text;
		else this.line = this.line.slice(0, this.column) + text + this.line.slice(this.column + text.length);
		this.column += text.length;
	}
}

const stepPattern = /^\s*step\s+(\d+)\b(?:\s*\(\s*([\d.]+)\s*%\s*\))?/;
const lossPattern = /\bloss:\s*([-+]?(?:nan|inf(?:inity)?|[\d.]+(?:e[-+]?\d+)?))/i;
const remainingPattern = /\bremaining:\s*([\d.]+)\s*s\b/;

function parseLoss(text: string): number {
	const t = text.toLowerCase().replace(/^\+/, '');
	if (t.startsWith('inf')) return Infinity;
	if (t.startsWith('-inf')) return -Infinity;
	return Number(t);
}

/** Reads autoresearch's progress line: `step 00012 (3.4%) | loss: 3.123456 | ... | remaining: 290s`. */
export function parseProgress(text: string): Progress | undefined {
	const step = stepPattern.exec(text);
	if (!step) return undefined;
	const loss = lossPattern.exec(text);
	if (!loss) return undefined;
	const progress: Progress = {step: Number(step[1]), loss: parseLoss(loss[1]!)};
	if (step[2] !== undefined) progress.pct = Number(step[2]);
	const remaining = remainingPattern.exec(text);
	if (remaining) progress.remaining = Number(remaining[1]);
	return progress;
}

const summaryLine = /^([A-Za-z_][\w.-]*):\s+(\S.*?)\s*$/;

function numberOf(raw: string, parsed: number): number {
	if (Number.isFinite(parsed)) return parsed;
	const t = raw.toLowerCase();
	return t.includes('nan') ? Number.NaN : t.startsWith('-') ? -Infinity : Infinity;
}

/**
 * Collects the summary block: `key: value` lines after the last `---` line.
 * Feed it whole lines; it keeps only what follows the latest separator.
 */
export class SummaryReader {
	private current: Summary | undefined;
	/** Every value each key was given in any summary block, in order: a metric printed twice with two values is not a result. */
	private readonly seen = new Map<string, Array<number | string>>();
	failed = false;

	push(line: string): void {
		const text = line.trim();
		if (text === '---') {
			this.current = {};
			return;
		}
		if (text === 'FAIL') this.failed = true;
		if (!this.current) return;
		const m = summaryLine.exec(text);
		if (!m) return;
		const raw = m[2]!;
		const n = Number(raw.replace(/,/g, ''));
		// `nan` and `inf` parse as numbers too (Number('Infinity')), so a non-finite metric is seen as one.
		const value = raw !== '' && (Number.isFinite(n) || /^[-+]?(nan|inf(inity)?)$/i.test(raw)) ? numberOf(raw, n) : raw;
		this.current[m[1]!] = value;
		this.seen.set(m[1]!, [...(this.seen.get(m[1]!) ?? []), value]);
	}

	/** Every key printed with more than one value. */
	allConflicts(): Record<string, Array<number | string>> {
		const out: Record<string, Array<number | string>> = {};
		for (const key of this.seen.keys()) {
			const values = this.conflicts(key);
			if (values) out[key] = values;
		}
		return out;
	}

	/** The distinct values `key` was printed with, when more than one. */
	conflicts(key: string): Array<number | string> | undefined {
		const values = this.seen.get(key) ?? [];
		const distinct = values.filter((v, i) => values.findIndex(w => Object.is(w, v) || w === v) === i);
		return distinct.length > 1 ? distinct : undefined;
	}

	get summary(): Summary | undefined {
		return this.current && Object.keys(this.current).length > 0 ? this.current : undefined;
	}
}

/**
 * Lines, progress and summary from a stream of output chunks. A progress
 * line seen as partial is not counted again when its line ends.
 */
export class OutputParser {
	private lines = new TerminalLines();
	private lastPartial: string | undefined;
	readonly summary = new SummaryReader();
	/** The first progress reading whose loss was not a finite number: a result printed after it is not one. */
	nonFiniteLoss: Progress | undefined;

	constructor(private readonly on: {line?: (line: OutputLine) => void; progress?: (progress: Progress) => void}) {}

	feed(chunk: string): void {
		for (const line of this.lines.feed(chunk)) this.handle(line);
	}

	end(): void {
		for (const line of this.lines.end()) this.handle(line);
	}

	private handle(line: OutputLine): void {
		if (line.open) {
			this.on.line?.(line);
			return;
		}
		const repeat = !line.partial && line.text === this.lastPartial;
		this.lastPartial = line.partial ? line.text : undefined;
		if (!repeat) {
			const progress = parseProgress(line.text);
			if (progress) {
				if (!Number.isFinite(progress.loss)) this.nonFiniteLoss ??= progress;
				this.on.progress?.(progress);
			}
		}
		if (!line.partial) this.summary.push(line.text);
		this.on.line?.(line);
	}
}

/** Parses a whole output at once (tests, resume). */
export function parseOutput(output: string): {summary: Summary | undefined; failed: boolean; progress: Progress[]; parser: OutputParser} {
	const progress: Progress[] = [];
	const parser = new OutputParser({progress: p => progress.push(p)});
	parser.feed(output);
	parser.end();
	return {summary: parser.summary.summary, failed: parser.summary.failed, progress, parser};
}
