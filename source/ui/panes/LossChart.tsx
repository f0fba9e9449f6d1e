import asciichart from 'asciichart';
import React from 'react';
import {Frame} from '../frame.js';
import type {Experiment, Point} from '../state.js';
import type {Line, Segment} from '../text.js';

export type ChartMode = 'run' | 'experiments';

export type LossChartProps = {
	mode: ChartMode;
	loss: readonly Point[];
	bestLoss: readonly Point[];
	experiments: readonly Experiment[];
	direction?: 'lower' | 'higher';
	metric?: string;
	runNumber?: number;
	width: number;
	height: number;
	focused: boolean;
};

const labelWidth = 9;

/**
 * Resamples points to `columns` values over [0, stepMax]: each column takes
 * the mean of the points that fall in it, an empty one the value before.
 * Non-finite values never get in (asciichart throws on them).
 */
export function resample(points: readonly Point[], columns: number, stepMax: number): number[] {
	const finite = points.filter(p => Number.isFinite(p.loss) && Number.isFinite(p.step));
	if (finite.length === 0 || columns <= 0 || stepMax <= 0) return [];
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

/** Thins a list of values to at most `columns` by averaging neighbours. */
function squeeze(values: number[], columns: number): number[] {
	if (values.length <= columns) return values;
	return resample(
		values.map((loss, i) => ({step: i + 1, loss})),
		columns,
		values.length,
	);
}

const markers = {[asciichart.cyan]: 'cyan', [asciichart.lightgray]: 'gray', [asciichart.green]: 'green', [asciichart.yellow]: 'yellow'} as Record<string, string>;
// eslint-disable-next-line no-control-regex
const coloredCell = /\u001b\[(\d+)m([^\u001b]*)\u001b\[0m/g;

/** asciichart colours cells with ANSI codes; turn them into segments the frame can measure and drop. */
function toSegments(row: string): Line {
	const line: Segment[] = [];
	let last = 0;
	for (const m of row.matchAll(coloredCell)) {
		if (m.index > last) line.push({text: row.slice(last, m.index)});
		line.push({text: m[2]!, color: markers[`\u001b[${m[1]}m`]});
		last = m.index + m[0].length;
	}
	if (last < row.length) line.push({text: row.slice(last)});
	return line;
}

function plotLines(series: number[][], colors: string[], rows: number): Line[] {
	const present = series.map((s, i) => ({s, color: colors[i]!})).filter(x => x.s.length > 0);
	if (present.length === 0 || rows < 2) return [];
	const all = present.flatMap(x => x.s);
	const min = Math.min(...all);
	const max = Math.max(...all);
	const flat = max - min < 1e-12;
	const chart = asciichart.plot(
		present.map(x => x.s),
		{
			height: rows - 1,
			colors: present.map(x => x.color),
			format: (x: number) => (Math.abs(x) >= 1000 ? x.toExponential(1) : x.toFixed(3)).padStart(labelWidth - 1),
			...(flat ? {min: min - 0.5, max: max + 0.5} : {}),
		},
	);
	return chart.split('\n').map(toSegments);
}

export function chartLines(props: Omit<LossChartProps, 'focused'>): {lines: Line[]; info: string} {
	const rows = Math.max(0, props.height - 3);
	const columns = Math.max(1, props.width - 2 - labelWidth - 1);
	if (props.mode === 'run') {
		const stepMax = Math.max(props.loss.at(-1)?.step ?? 0, props.bestLoss.at(-1)?.step ?? 0);
		const current = resample(props.loss, columns, stepMax);
		const best = resample(props.bestLoss, columns, stepMax);
		const legend: Line = [{text: '── this run', color: 'cyan'}, {text: '  '}, {text: '── best run', color: 'gray'}];
		if (current.length === 0 && best.length === 0) {
			return {lines: [[{text: 'waiting for the first step…', dim: true}]], info: 'loss by step · m: experiments'};
		}
		return {
			lines: [legend, ...plotLines([best, current], [asciichart.lightgray, asciichart.cyan], rows)],
			info: `loss by step${props.runNumber ? `, #${props.runNumber}` : ''} · m: experiments`,
		};
	}
	const judged = props.experiments.filter(e => e.metric !== null && Number.isFinite(e.metric));
	const crashes = props.experiments.length - judged.length;
	const better = (a: number, b: number) => (props.direction === 'higher' ? a > b : a < b);
	const running: number[] = [];
	for (const e of judged) running.push(running.length === 0 || better(e.metric!, running.at(-1)!) ? e.metric! : running.at(-1)!);
	const metrics = squeeze(judged.map(e => e.metric!), columns);
	const best = squeeze(running, columns);
	const kept = judged.filter(e => e.status === 'keep').length;
	const legend: Line = [
		{text: '── every result', color: 'yellow'},
		{text: '  '},
		{text: '── running best', color: 'green'},
		{text: `  ${kept} kept · ${judged.length - kept} discarded · ${crashes} crashed`, dim: true},
	];
	if (metrics.length === 0) return {lines: [[{text: 'no results yet', dim: true}]], info: `${props.metric ?? 'metric'} by experiment · m: loss`};
	return {
		lines: [legend, ...plotLines([metrics, best], [asciichart.yellow, asciichart.green], rows)],
		info: `${props.metric ?? 'metric'} by experiment · m: loss`,
	};
}

export function LossChart(props: LossChartProps) {
	const {lines, info} = chartLines(props);
	return <Frame title={props.mode === 'run' ? 'Loss' : 'Progress'} info={info} width={props.width} height={props.height} focused={props.focused} lines={lines} />;
}
