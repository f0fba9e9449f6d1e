import type {ArenaRules, Direction} from './types.js';

// The one place that knows which way a metric is better and how a metric is
// written: the judge, the prompt, the screen and the printer all ask here, so
// they can never disagree about what "better" means.

/** The values a metric can take: program.md's `metric_range`, else [0, ∞) for what counts bits, losses or perplexity, else anything. */
export function metricRange(rules: Pick<ArenaRules, 'metric' | 'metricRange'>): [number, number] {
	if (rules.metricRange) return rules.metricRange;
	if (/bpb|bits|loss|perplexity|ppl|nll|mse|mae/i.test(rules.metric)) return [0, Infinity];
	return [-Infinity, Infinity];
}

/** Fixed six decimals as autoresearch writes them, also where JavaScript would switch to an exponent (1e21 and up). */
export function fixed6(value: number): string {
	if (!Number.isFinite(value) || Math.abs(value) < 1e21) return value.toFixed(6);
	return `${BigInt(Math.round(value)).toString()}.000000`;
}

/** True when `a` is strictly better than `b`. */
export function better(direction: Direction): (a: number, b: number) => boolean {
	return direction === 'lower' ? (a, b) => a < b : (a, b) => a > b;
}

/** A sort comparator that puts the best value first. */
export function bestFirst(direction: Direction): (a: number, b: number) => number {
	return direction === 'lower' ? (a, b) => a - b : (a, b) => b - a;
}

/** How much `value` improves on `reference`: positive when better, whatever the direction. */
export function gain(direction: Direction, value: number, reference: number): number {
	return direction === 'lower' ? reference - value : value - reference;
}

/**
 * True when `value` beats `best` by more than `by`: `value < best - by` when
 * lower is better (written so, not as a difference, so that 0.99 does not beat
 * 1.0 by more than 0.01 through rounding).
 */
export function improves(value: number, best: number, direction: Direction, by: number): boolean {
	return direction === 'lower' ? value < best - by : value > best + by;
}

/**
 * A metric as text. `full`: six decimals, as autoresearch writes results.tsv;
 * `short`: four decimals (two from 100 up, exponent form for the extremes),
 * enough to tell results apart in a narrow pane. No value is `-`.
 */
export function formatMetric(value: number | null | undefined, style: 'full' | 'short' = 'full'): string {
	if (value === null || value === undefined || !Number.isFinite(value)) return '-';
	if (style === 'full') return fixed6(value);
	const abs = Math.abs(value);
	if (abs !== 0 && (abs >= 1e5 || abs < 1e-3)) return value.toExponential(2);
	return value.toFixed(abs >= 100 ? 2 : 4);
}

/** A signed difference (`+0.012000`, `-0.003100`), in the same styles. */
export function formatDelta(value: number, style: 'full' | 'short' = 'full'): string {
	const text = formatMetric(Math.abs(value), style);
	return `${value < 0 ? '-' : '+'}${text}`;
}
