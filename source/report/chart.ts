import type {ChartPoint, ProgressChart} from '../core/plot.js';
import type {Direction} from '../core/types.js';
import type {ReportExperiment} from './data.js';

// The progress chart's data, as autoresearch's progress.png draws it: the
// metric of every experiment, the kept ones marked, the running best as a
// step line. The y range runs from just past the best to just past the
// baseline, where the story is; a discard far worse than the baseline (or a
// crash, which has no value) is drawn on the worse edge instead of
// flattening everything else. The SVG and the PNG both draw this.

/** The margin around the best-to-baseline span, as a share of it. */
const margin = 0.15;

export function progressChart(experiments: readonly ReportExperiment[], metric: string, direction: Direction): ProgressChart {
	const points: ChartPoint[] = experiments.map(e => ({
		n: e.n,
		value: e.status === 'crash' ? null : e.metric,
		status: e.status,
		description: e.description,
	}));
	const best = points.filter(p => p.status === 'keep' && p.value !== null).map(p => ({n: p.n, value: p.value!}));
	const values = points.flatMap(p => (p.value === null ? [] : [p.value]));
	const ns = points.map(p => p.n);
	const x: [number, number] = ns.length === 0 ? [0, 1] : [Math.min(...ns), Math.max(...ns)];
	const kept = points.filter(p => p.status === 'keep').length;
	return {
		title: `nightshift: ${points.length} experiment${points.length === 1 ? '' : 's'}, ${Math.max(0, kept - 1)} kept improvement${kept - 1 === 1 ? '' : 's'}`,
		metric,
		direction,
		points,
		best,
		x,
		y: yRange(values, best[0]?.value, direction),
	};
}

function yRange(values: readonly number[], baseline: number | undefined, direction: Direction): [number, number] {
	if (values.length === 0) return [0, 1];
	const lowest = Math.min(...values);
	const highest = Math.max(...values);
	// The good end takes in every value better than the baseline; the bad end stops at the baseline.
	let [low, high] = baseline === undefined ? [lowest, highest] : direction === 'lower' ? [lowest, baseline] : [baseline, highest];
	// Nothing beat the baseline: then every value is the story.
	if (!(high > low)) [low, high] = [lowest, highest];
	if (!(high > low)) {
		const pad = Math.max(Math.abs(low) * 0.01, 1e-6);
		low -= pad;
		high += pad;
	}
	const m = (high - low) * margin;
	return [low - m, high + m];
}
