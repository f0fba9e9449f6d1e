import asciichart from 'asciichart';
import {memo, useRef} from 'react';
import type {Direction, Status} from '../../core/types.js';
import {gutter, plot, resample, stepAxis, trendTarget, type RangeMemory} from '../chart.js';
import {Frame, useTheme} from '../frame.js';
import {paneTitles} from '../keys.js';
import type {Experiment, Point} from '../snapshot.js';
import type {Line} from '../text.js';

export {niceCeil, plot, resample, stepAxis, type Range, type RangeMemory} from '../chart.js';

// The loss of the running experiment by step against the best run's curve;
// `m` switches to the metric across experiments (every result, the running
// best, and a strip of marks: kept, discarded, crashed), autoresearch's
// progress.png in text. The plotting itself, and how the value range is
// chosen: chart.ts.

export type ChartMode = 'run' | 'experiments';

export type LossChartProps = {
	mode: ChartMode;
	loss: readonly Point[];
	bestLoss: readonly Point[];
	experiments: readonly Experiment[];
	direction?: Direction;
	metric?: string;
	runNumber?: number;
	/** The worker the chart follows, when there are several. */
	worker?: string | undefined;
	width: number;
	height: number;
	focused: boolean;
};

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
	results: readonly Experiment[],
	direction: Direction | undefined,
	columns: number,
	rows: number,
	unicode: boolean,
	memory?: RangeMemory,
): {lines: Line[]; legend: Line} {
	// Re-runs are more runs of an experiment already shown, not experiments of their own.
	const experiments = results.filter(e => e.status !== 'rerun');
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
		const info = `loss by step${props.runNumber ? `, #${props.runNumber}` : ''}${props.worker ? ` (${props.worker})` : ''} · ${other}`;
		// Each run is fitted afresh; without a best curve to frame it, the run's trend says where it is heading.
		if (memory && memory.run.run !== props.runNumber) memory.run = props.runNumber === undefined ? {} : {run: props.runNumber};
		const target = best.length === 0 ? trendTarget(props.loss) : undefined;
		const lines = plot([best, current], [asciichart.lightgray, asciichart.cyan], rows, unicode, memory?.run, target);
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
	const memory = useRef({run: {}, experiments: {}});
	const {lines, info} = chartLines(props, theme.unicode, memory.current);
	const title = props.mode === 'run' ? paneTitles.chart : 'Progress';
	return <Frame title={title} info={info} width={props.width} height={props.height} focused={props.focused} lines={lines} />;
});
