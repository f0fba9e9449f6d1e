import type {LogLine, Point} from './snapshot.js';

// What keeps a night of output in bounded memory: the training log as a
// ring of its newest lines, and the loss series thinned as it grows. Both
// are read by the store (state.ts), which publishes copies to the screen.

export const logCapacity = 2000;
export const lossCapacity = 4000;
/** A log line longer than this is cut for the screen (run.log keeps it whole). */
export const lineLimit = 2000;

/** The head of `text`, at most `limit` UTF-16 units, never half a surrogate pair. */
export function clip(text: string, limit: number): string {
	if (text.length <= limit) return text;
	const code = text.charCodeAt(limit - 1);
	return text.slice(0, code >= 0xd800 && code <= 0xdbff ? limit - 1 : limit);
}

/**
 * A bounded ring of lines; the newest replaces the last when that one was
 * partial (a `\r` progress line). Memory is bounded by 1.5 x capacity; the
 * view is always the newest `capacity` lines.
 */
export class LogRing {
	private lines: LogLine[] = [];
	total = 0;

	constructor(readonly capacity = logCapacity) {}

	push(line: LogLine): void {
		const last = this.lines.at(-1);
		if (last?.partial) {
			this.lines[this.lines.length - 1] = line;
			return;
		}
		this.lines.push(line);
		this.total++;
		if (this.lines.length >= this.capacity * 1.5) this.lines = this.lines.slice(-this.capacity);
	}

	clear(): void {
		this.lines = [];
	}

	get length(): number {
		return Math.min(this.lines.length, this.capacity);
	}

	view(): readonly LogLine[] {
		return this.lines.length > this.capacity ? this.lines.slice(-this.capacity) : this.lines.slice();
	}
}

/** Keeps a series bounded by dropping every other point when it fills: the shape stays, memory does not grow. */
export function pushPoint(series: Point[], point: Point): Point[] {
	if (!Number.isFinite(point.loss) || !Number.isFinite(point.step)) return series;
	series.push(point);
	if (series.length > lossCapacity) return series.filter((_, i) => i % 2 === 0 || i === series.length - 1);
	return series;
}
