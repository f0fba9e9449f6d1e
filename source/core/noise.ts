import {gain, improves} from './metric.js';
import type {ArenaRules} from './types.js';

// The run-to-run spread of the metric, measured, and what it allows to be
// called an improvement. The same code run twice does not score the same
// (on a time budget the machine's load decides how many steps fit), so one
// number against one number keeps noise. Here a candidate is kept only when
// it beats the best by more than the noise can explain: at once when its
// first run is far beyond it, after re-runs when it is close.

/** How the noise is read. The values are the benchmark's (npm run bench:research), not taste. */
export const noiseRule = {
	/** Within this many standard deviations of the difference, a first run is noise: discarded. */
	margin: 2,
	/** Beyond this many, a first run is kept at once. Between the two, it is re-run. */
	clear: 4,
	/** The mean of a re-run candidate must beat the best's mean by this many standard deviations of the difference of means. */
	confirmed: 2,
};

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
 * The verdict on a candidate's runs so far against the reference. `sigma`
 * is the noise of one run (undefined: not measured, or `judge: single`).
 * `confirmable`: re-runs are still allowed (false once the candidate has had
 * them); a close first run then asks for them.
 */
export function decide(
	values: readonly number[],
	reference: Reference,
	sigma: number | undefined,
	rules: Pick<ArenaRules, 'direction' | 'minImprovement' | 'judge'>,
	confirmable: boolean,
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
	if (runs === 1 && confirmable) {
		const band = noiseRule.margin * spread;
		if (!beyond(Math.max(band, minimum))) {
			return {
				kind: 'discard',
				delta,
				band,
				reason: better > 0 ? `better by ${plain(better)}, within the noise (±${plain(band)})` : `not better (noise ±${plain(band)})`,
			};
		}
		if (beyond(Math.max(noiseRule.clear * spread, minimum))) {
			return {kind: 'keep', delta, band, reason: `better by ${plain(better)}, clear of the noise (±${plain(band)})`};
		}
		return {kind: 'confirm', delta, band, reason: `better by ${plain(better)}, close to the noise (±${plain(band)}): re-running it`};
	}
	const band = noiseRule.confirmed * spread;
	if (beyond(Math.max(band, minimum))) {
		return {kind: 'keep', delta, band, reason: `better by ${plain(better)} over ${runs} runs, clear of the noise (±${plain(band)})`};
	}
	return {kind: 'discard', delta, band, reason: `better by ${plain(better)} over ${runs} runs, within the noise (±${plain(band)})`};
}
