import {gain, improves} from './metric.js';
import type {ArenaRules} from './types.js';

// The run-to-run spread of the metric, measured, and what it allows to be
// called an improvement. The same code run twice does not score the same
// (on a time budget the machine's load decides how many steps fit), so one
// number against one number keeps noise. Here a candidate is kept only when
// it beats the best by more than the noise can explain: at once when its
// first run is far beyond it, after re-runs when it is close.

/**
 * How the noise is read, in standard deviations of the difference between a
 * candidate's mean and the best's mean. The values are the benchmark's
 * (npm run bench:research on the simulated arena with a known truth), not taste.
 */
export type NoiseRule = {
	/** A first run must be better by more than this to be worth a re-run; below it, it is noise: discarded. */
	screen: number;
	/** A first run better by more than this is kept at once. */
	clear: number;
	/** After re-runs, the candidate's mean must beat the best's by more than this to be kept. */
	keep: number;
	/** After re-runs, a mean no better than this is given up on before the last re-run. */
	futility: number;
};

export const noiseRule: NoiseRule = {screen: 0.75, clear: 6, keep: 1.5, futility: 0.5};

/** The pooled standard deviation of one run, from groups of runs of the same code at the same budget. */
export function pooledSigma(groups: ReadonlyArray<readonly number[]>): {sigma: number; dof: number} | undefined {
	let squares = 0;
	let dof = 0;
	for (const group of groups) {
		if (group.length < 2) continue;
		const mean = group.reduce((a, b) => a + b, 0) / group.length;
		for (const value of group) squares += (value - mean) ** 2;
		dof += group.length - 1;
	}
	return dof === 0 ? undefined : {sigma: Math.sqrt(squares / dof), dof};
}

export function mean(values: readonly number[]): number {
	return values.reduce((a, b) => a + b, 0) / values.length;
}

/** The best so far, as measured at the budget now compared: the mean of its runs. */
export type Reference = {mean: number; runs: number};

export type Decision = {
	kind: 'keep' | 'discard' | 'confirm';
	/** The candidate's mean less the best's mean (negative is better when lower is better). */
	delta: number;
	/** The noise band around zero that delta had to leave (the margin in the metric's units); undefined without a noise estimate. */
	band: number | undefined;
	reason: string;
};

const plain = (x: number): string => Number(x.toPrecision(3)).toString();

/**
 * The verdict on a candidate's runs so far against the reference: keep,
 * discard, or `confirm` (run it once more). `sigma` is the noise of one run
 * (undefined: not measured, or `judge: single`: one number against one).
 * `maxRuns` caps the runs one candidate may take. A sequential test: a clear
 * first run is kept at once, a first run inside the noise is discarded, and
 * anything between is re-run until its mean is clearly better, clearly not,
 * or out of re-runs.
 */
export function decide(
	values: readonly number[],
	reference: Reference,
	sigma: number | undefined,
	rules: Pick<ArenaRules, 'direction' | 'minImprovement' | 'judge'>,
	maxRuns: number,
	rule: NoiseRule = noiseRule,
): Decision {
	const m = mean(values);
	const delta = m - reference.mean;
	const better = gain(rules.direction, m, reference.mean);
	const minimum = rules.minImprovement;
	const beyond = (by: number): boolean => improves(m, reference.mean, rules.direction, by);
	if (rules.judge === 'single' || sigma === undefined || sigma === 0) {
		const kind = beyond(minimum) ? 'keep' : 'discard';
		return {
			kind,
			delta,
			band: undefined,
			reason: kind === 'keep' ? `better than ${reference.mean.toFixed(6)}` : `not better than ${reference.mean.toFixed(6)}`,
		};
	}
	const runs = values.length;
	// The standard deviation of (candidate mean - best mean), both measured with noise.
	const spread = sigma * Math.sqrt(1 / runs + 1 / reference.runs);
	const over = runs === 1 ? '' : ` over ${runs} runs`;
	if (runs === 1) {
		const band = rule.screen * spread;
		if (!beyond(Math.max(band, minimum))) {
			const why = better > 0 ? `better by ${plain(better)}, within the noise (±${plain(band)})` : `not better (noise ±${plain(band)})`;
			return {kind: 'discard', delta, band, reason: why};
		}
		if (beyond(Math.max(rule.clear * spread, minimum))) {
			return {
				kind: 'keep',
				delta,
				band: rule.clear * spread,
				reason: `better by ${plain(better)}, clear of the noise (±${plain(rule.clear * spread)})`,
			};
		}
		if (maxRuns > 1)
			return {
				kind: 'confirm',
				delta,
				band,
				reason: `better by ${plain(better)}, close to the noise (±${plain(rule.keep * spread)}): re-running it`,
			};
	}
	const band = rule.keep * spread;
	if (beyond(Math.max(band, minimum))) {
		return {kind: 'keep', delta, band, reason: `better by ${plain(better)}${over}, clear of the noise (±${plain(band)})`};
	}
	if (runs >= maxRuns || !beyond(rule.futility * spread)) {
		return {kind: 'discard', delta, band, reason: `better by ${plain(better)}${over}, within the noise (±${plain(band)})`};
	}
	return {
		kind: 'confirm',
		delta,
		band,
		reason: `better by ${plain(better)}${over}, still close to the noise (±${plain(band)}): one more run`,
	};
}
