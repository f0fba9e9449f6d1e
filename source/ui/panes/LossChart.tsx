import asciichart from 'asciichart';
import {memo, useRef} from 'react';
import type {Direction, Status} from '../../core/types.js';
import {Frame, useTheme} from '../frame.js';
import {paneTitles} from '../keys.js';
import type {Experiment, Point} from '../snapshot.js';
import type {Line, Segment} from '../text.js';

// The loss of the running experiment by step against the best run's curve;
// `m` switches to the metric across experiments (every result, the running
// best, and a strip of marks: kept, discarded, crashed), autoresearch's
// progress.png in text. asciichart draws one column per value and throws on
// NaN or an empty series: values are filtered and resampled to the width.

export type ChartMode = 'run' | 'experiments';

export type LossChartProps = {
	mode: ChartMode;
	loss: readonly Point[];
	bestLoss: readonly Point[];
	experiments: readonly Experiment[];
	direction?: Direction;
	metric?: string;
	runNumber?: number;
	width: number;
	height: number;
	focused: boolean;
};

/** Cells taken by the value labels and the axis: 8 for the label, a space, the axis. */
const labelWidth = 8;
const gutter = labelWidth + 2;

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
export type RangeMemory = {range?: Range};

/**
 * The plot as lines; series that are empty are left out; nothing to plot
 * gives no lines. With `memory`, the range of the last frame is kept while
 * the values still fit in it and fill a good part of it: a new point then
 * changes a column or two, not every row (what goes over SSH).
 */
export function plot(series: number[][], colors: string[], rows: number, unicode = true, memory?: RangeMemory): Line[] {
	const present = series.map((s, i) => ({s: s.filter(Number.isFinite), color: colors[i]!})).filter(x => x.s.length > 0);
	if (present.length === 0 || rows < 2) return [];
	let min = Infinity;
	let max = -Infinity;
	for (const {s} of present) for (const v of s) ((min = Math.min(min, v)), (max = Math.max(max, v)));
	const previous = memory?.range;
	if (previous && min >= previous.min && max <= previous.max && max - min >= 0.3 * (previous.max - previous.min)) {
		min = previous.min;
		max = previous.max;
	} else {
		const flat = max - min < 1e-12 * Math.max(1, Math.abs(max));
		// Room on the side the values ran out of (a loss going down), so the next points fit too.
		const span = max - min;
		if (flat) ((min -= 0.5), (max += 0.5));
		else if (previous) {
			if (min < previous.min) min -= span * 0.5;
			if (max > previous.max) max += span * 0.5;
		}
		// Snap the range outward to a grid, so the labels are steady while the values move inside it.
		const unit = niceStep((max - min) / Math.max(1, rows - 1));
		min = Math.floor(min / unit) * unit;
		max = Math.ceil(max / unit) * unit;
		if (memory) memory.range = {min, max};
	}
	const chart = asciichart.plot(
		present.map(x => x.s),
		{
			height: rows - 1,
			min,
			max,
			colors: present.map(x => x.color),
			format: labelFormat(min, max, rows - 1),
			...(unicode ? {} : {symbols: asciiSymbols}),
		},
	);
	return chart.split('\n').map(toSegments);
}

const marks: Record<Status, {char: string; ascii: string; color: string}> = {
	keep: {char: '●', ascii: '+', color: 'green'},
	discard: {char: '·', ascii: '.', color: 'yellow'},
	crash: {char: '✗', ascii: 'x', color: 'red'},
	rerun: {char: '·', ascii: '.', color: 'gray'},
};

/** Per column, which experiments it shows: each stretched over `factor` columns, or several squeezed into one. */
function columnsFor(count: number, columns: number): {factor: number; buckets: number[][]} {
	if (count <= columns) {
		const factor = Math.max(1, Math.min(4, Math.floor(columns / Math.max(1, count))));
		const buckets: number[][] = [];
		for (let i = 0; i < count; i++) for (let f = 0; f < factor; f++) buckets.push([i]);
		return {factor, buckets};
	}
	const buckets: number[][] = Array.from({length: columns}, () => []);
	for (let i = 0; i < count; i++) buckets[Math.min(columns - 1, Math.floor((i * columns) / count))]!.push(i);
	return {factor: 0, buckets};
}

/** The metric across experiments: every result, the running best, and the marks strip aligned under them. */
export function progressLines(
	experiments: readonly Experiment[],
	direction: Direction | undefined,
	columns: number,
	rows: number,
	unicode: boolean,
	memory?: RangeMemory,
): {lines: Line[]; legend: Line} {
	const better = (a: number, b: number) => (direction === 'higher' ? a > b : a < b);
	const value: number[] = [];
	const best: number[] = [];
	let last: number | undefined;
	let running: number | undefined;
	for (const e of experiments) {
		const m = e.metric !== null && Number.isFinite(e.metric) ? e.metric : undefined;
		if (m !== undefined) last = m;
		if (m !== undefined && e.status === 'keep' && (running === undefined || better(m, running))) running = m;
		// A crash has no value: the line stays where it was, its mark says what happened.
		value.push(last ?? Number.NaN);
		best.push(running ?? Number.NaN);
	}
	const dash = unicode ? '──' : '--';
	const counts = {keep: 0, discard: 0, crash: 0, rerun: 0};
	for (const e of experiments) counts[e.status]++;
	const legend: Line = [
		{text: `${dash} every result`, color: 'yellow'},
		{text: '  '},
		{text: `${dash} best kept`, color: 'green'},
		{text: `  ${counts.keep} kept · ${counts.discard} discarded · ${counts.crash} crashed`, dim: true},
	];
	const start = value.findIndex(Number.isFinite);
	if (start === -1) return {lines: [], legend};
	const shown = experiments.slice(start);
	const {buckets} = columnsFor(shown.length, columns);
	const mean = (xs: number[], series: number[]) => {
		const vs = xs.map(i => series[start + i]!).filter(Number.isFinite);
		return vs.length ? vs.reduce((a, b) => a + b, 0) / vs.length : Number.NaN;
	};
	const fill = (series: number[]) => {
		const out: number[] = [];
		for (const b of buckets) {
			const v = mean(b, series);
			out.push(Number.isFinite(v) ? v : (out.at(-1) ?? Number.NaN));
		}
		return out.filter(Number.isFinite);
	};
	const lines = plot([fill(value), fill(best)], [asciichart.yellow, asciichart.green], rows - 1, unicode, memory);
	if (lines.length === 0) return {lines, legend};
	const strip: Line = [{text: ' '.repeat(gutter - 1)}];
	let previous: number[] | undefined;
	for (const b of buckets) {
		const status: Status = b.some(i => shown[i]!.status === 'keep')
			? 'keep'
			: b.some(i => shown[i]!.status === 'crash')
				? 'crash'
				: 'discard';
		// A stretched experiment gets its mark once, in its first column.
		const first = previous === undefined || previous[0] !== b[0] || b.length > 1;
		previous = b;
		strip.push(first ? {text: unicode ? marks[status].char : marks[status].ascii, color: marks[status].color} : {text: ' '});
	}
	return {lines: [...lines, strip], legend};
}

export function chartLines(
	props: Omit<LossChartProps, 'focused'>,
	unicode = true,
	memory?: {run: RangeMemory; experiments: RangeMemory},
): {lines: Line[]; info: string} {
	const rows = Math.max(0, props.height - 3);
	const columns = Math.max(1, props.width - 2 - gutter);
	const other = props.mode === 'run' ? 'm: experiments' : 'm: loss';
	if (props.mode === 'run') {
		const stepMax = stepAxis(props.loss, props.bestLoss);
		const current = resample(props.loss, columns, stepMax);
		const best = resample(props.bestLoss, columns, stepMax);
		const info = `loss by step${props.runNumber ? `, #${props.runNumber}` : ''} · ${other}`;
		const lines = plot([best, current], [asciichart.lightgray, asciichart.cyan], rows, unicode, memory?.run);
		if (lines.length === 0)
			return {lines: [[{text: props.runNumber ? 'waiting for the first step…' : 'no run in progress', dim: true}]], info};
		const dash = unicode ? '──' : '--';
		const legend: Line = [
			{text: `${dash} this run`, color: 'cyan'},
			...(best.length ? [{text: '  '}, {text: `${dash} best run`, color: 'gray'}] : []),
		];
		return {lines: [legend, ...lines], info};
	}
	const info = `${props.metric ?? 'metric'} by experiment · ${other}`;
	const {lines, legend} = progressLines(props.experiments, props.direction, columns, rows, unicode, memory?.experiments);
	if (lines.length === 0) return {lines: [legend, [{text: 'no results yet', dim: true}]], info};
	return {lines: [legend, ...lines], info};
}

export const LossChart = memo(function LossChart(props: LossChartProps) {
	const theme = useTheme();
	const memory = useRef({run: {} as RangeMemory, experiments: {} as RangeMemory});
	const {lines, info} = chartLines(props, theme.unicode, memory.current);
	const title = props.mode === 'run' ? paneTitles.chart : 'Progress';
	return <Frame title={title} info={info} width={props.width} height={props.height} focused={props.focused} lines={lines} />;
});
