import asciichart from 'asciichart';
import type {Point} from './snapshot.js';
import type {Line, Segment} from './text.js';

// Charts in text: asciichart draws one column per value and throws on NaN
// or an empty series, so values are filtered and resampled to the width
// here. The value range is chosen so that the picture is steady (a new
// point changes a column, not every row: what goes over SSH) and fits the
// data: a range is kept while the values fill most of it, and grows by what
// the values need (plus, for a run, where its trend is heading), so that
// little of the height is ever empty.

/** Cells taken by the value labels and the axis: 8 for the label, a space, the axis. */
export const labelWidth = 8;
export const gutter = labelWidth + 2;

/**
 * Resamples points to at most `columns` values over [0, stepMax]: each column
 * takes the mean of the points in it, an empty one the value before. A run
 * still going fills only its share of the width. Non-finite values never get in.
 */
export function resample(points: readonly Point[], columns: number, stepMax: number): number[] {
	const finite = points.filter(p => Number.isFinite(p.loss) && Number.isFinite(p.step));
	if (finite.length === 0 || columns <= 0) return [];
	if (!(stepMax > 0)) return [finite.at(-1)!.loss];
	const lastStep = finite.at(-1)!.step;
	const used = Math.max(1, Math.min(columns, Math.ceil((lastStep / stepMax) * columns)));
	const sums = new Array<number>(used).fill(0);
	const counts = new Array<number>(used).fill(0);
	for (const p of finite) {
		const c = Math.min(used - 1, Math.max(0, Math.floor((p.step / stepMax) * columns - 1e-9)));
		sums[c]! += p.loss;
		counts[c]!++;
	}
	const out: number[] = [];
	let previous = finite[0]!.loss;
	for (let c = 0; c < used; c++) {
		const value = counts[c]! > 0 ? sums[c]! / counts[c]! : previous;
		out.push(value);
		previous = value;
	}
	return out;
}

const colorName: Record<string, string> = {
	[asciichart.cyan]: 'cyan',
	[asciichart.lightgray]: 'gray',
	[asciichart.green]: 'green',
	[asciichart.yellow]: 'yellow',
};
// eslint-disable-next-line no-control-regex
const coloredCell = /\u001b\[(\d+)m([^\u001b]*)\u001b\[0m/g;

/** asciichart colours cells with ANSI codes; turn them into segments the frame measures (and drops without colour). */
function toSegments(row: string): Line {
	const line: Segment[] = [];
	let last = 0;
	for (const m of row.matchAll(coloredCell)) {
		if (m.index > last) line.push({text: row.slice(last, m.index), dim: true});
		const color = colorName[`\u001b[${m[1]}m`];
		line.push({text: m[2]!, ...(color ? {color} : {})});
		last = m.index + m[0].length;
	}
	if (last < row.length) line.push({text: row.slice(last), dim: true});
	return line;
}

/** Axis labels with as many decimals as the range needs to tell rows apart. */
function labelFormat(min: number, max: number, rows: number): (x: number) => string {
	const step = (max - min) / Math.max(1, rows);
	const big = Math.max(Math.abs(min), Math.abs(max));
	const decimals = step > 0 ? Math.max(3, Math.min(5, Math.ceil(-Math.log10(step)) + 1)) : 3;
	return (x: number) => {
		const text = big >= 1e5 || (big > 0 && big < 1e-3) ? x.toExponential(1) : x.toFixed(decimals);
		return text.length > labelWidth ? x.toPrecision(3).slice(0, labelWidth) : text.padStart(labelWidth);
	};
}

/** The smallest "nice" number (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 times a power of ten) at or above `x`. */
export function niceCeil(x: number): number {
	if (!(x > 0) || !Number.isFinite(x)) return 1;
	const power = 10 ** Math.floor(Math.log10(x));
	for (const m of [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (m * power >= x * (1 - 1e-12)) return m * power;
	return 10 * power;
}

/** A nice step (1, 2 or 5 times a power of ten) near `x`. */
function niceStep(x: number): number {
	const power = 10 ** Math.floor(Math.log10(x));
	const m = x / power;
	return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * power;
}

/**
 * The step the x axis ends at: where the run is projected to end (its step
 * over the share of the budget gone), or the best run's end, rounded up to a
 * nice number so the axis does not move with every new point.
 */
export function stepAxis(loss: readonly Point[], bestLoss: readonly Point[]): number {
	const last = loss.at(-1);
	const bestEnd = bestLoss.at(-1)?.step ?? 0;
	let end = Math.max(bestEnd, last?.step ?? 0);
	if (last?.frac !== undefined && last.frac >= 0.05 && last.frac <= 1) end = Math.max(end, last.step / last.frac);
	return end > 0 ? niceCeil(end) : 0;
}

const asciiSymbols: [string, string, string, string, string, string, string, string, string, string] = [
	'+',
	'|',
	'-',
	'-',
	'-',
	'`',
	'.',
	'.',
	"'",
	'|',
];

/** The value range a chart drew last time; kept so the next frame can draw in the same one. */
export type Range = {min: number; max: number};
/** `run`: whose values the range was fitted to (a new run fits afresh); `target`: where the values are heading. */
export type RangeMemory = {range?: Range; run?: number};

/** A kept range must be this full of values; below it, it is fitted again (never a third of the height empty). */
const fillKept = 0.75;
/** Room added on the side the values ran out of, as a share of their span. */
const headroom = 0.1;

/**
 * The range to draw `values` in. Kept from `memory` while they fit in it and
 * fill most of it; else fitted to them, with a little room on the side they
 * ran out of (and up to `target`, where a run's trend is heading), and
 * snapped outward to a fine grid so the labels are steady.
 */
export function chooseRange(min: number, max: number, rows: number, memory?: RangeMemory, target?: number): Range {
	// The trend's destination counts as a value, but at most three spans away (a guess must not flatten the curve).
	if (target !== undefined && Number.isFinite(target) && max > min) {
		const span = max - min;
		if (target < min) min = Math.max(target, min - 3 * span);
		if (target > max) max = Math.min(target, max + 3 * span);
	}
	const previous = memory?.range;
	// (A hair of tolerance: a value on the edge computed two ways must not refit the chart.)
	const eps = previous ? 1e-6 * (previous.max - previous.min) : 0;
	if (previous && min >= previous.min - eps && max <= previous.max + eps && max - min >= fillKept * (previous.max - previous.min))
		return previous;
	const flat = max - min < 1e-12 * Math.max(1, Math.abs(max));
	if (flat) {
		min -= 0.5;
		max += 0.5;
	} else {
		const span = max - min;
		if (previous && min < previous.min) min -= span * headroom;
		if (previous && max > previous.max) max += span * headroom;
	}
	const unit = niceStep((max - min) / Math.max(1, 2 * (rows - 1)));
	const range = {min: Math.floor(min / unit) * unit, max: Math.ceil(max / unit) * unit};
	if (memory) memory.range = range;
	return range;
}

/**
 * Where a run's values are heading by the end of its budget: its last value
 * plus its recent slope (per share of the budget) times the share left.
 * Undefined until there is a trend to read.
 */
export function trendTarget(points: readonly Point[]): number | undefined {
	const last = points.at(-1);
	if (!last || last.frac === undefined || last.frac <= 0 || last.frac >= 1 || points.length < 2) return undefined;
	const from = points[Math.max(0, Math.floor(points.length * 0.75) - 1)]!;
	if (from.frac === undefined || last.frac - from.frac <= 0) return undefined;
	const slope = (last.loss - from.loss) / (last.frac - from.frac);
	return last.loss + slope * (1 - last.frac);
}

/**
 * The plot as lines; series that are empty are left out; nothing to plot
 * gives no lines. With `memory`, the range of the last frame is kept while
 * the values still fit in it and fill most of it (chooseRange).
 */
export function plot(series: number[][], colors: string[], rows: number, unicode = true, memory?: RangeMemory, target?: number): Line[] {
	const present = series.map((s, i) => ({s: s.filter(Number.isFinite), color: colors[i]!})).filter(x => x.s.length > 0);
	if (present.length === 0 || rows < 2) return [];
	let min = Infinity;
	let max = -Infinity;
	for (const {s} of present) {
		for (const v of s) {
			min = Math.min(min, v);
			max = Math.max(max, v);
		}
	}
	const range = chooseRange(min, max, rows, memory, target);
	const chart = asciichart.plot(
		present.map(x => x.s),
		{
			height: rows - 1,
			min: range.min,
			max: range.max,
			colors: present.map(x => x.color),
			format: labelFormat(range.min, range.max, rows - 1),
			...(unicode ? {} : {symbols: asciiSymbols}),
		},
	);
	return chart.split('\n').map(toSegments);
}
