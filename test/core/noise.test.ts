import {describe, expect, it} from 'vitest';
import {decide, noiseRule, pooledSigma, type Reference} from '../../source/core/noise.js';

// The noise-aware judge's rule, one case a row. The best's mean over 3 runs
// is 1.0 (lower is better), the noise of one run 0.1: the difference between
// one candidate run and the best then has a standard deviation of
// 0.1 * sqrt(1 + 1/3) = 0.1155, and the rule's thresholds are multiples of it.

const reference: Reference = {mean: 1, runs: 3};
const sigma = 0.1;
const rules = {direction: 'lower' as const, minImprovement: 0, judge: 'noise' as const};
const spread1 = sigma * Math.sqrt(1 + 1 / 3);
const spread3 = sigma * Math.sqrt(1 / 3 + 1 / 3);

describe('the noise-aware judge', () => {
	const table: Array<[string, number[], number, 'keep' | 'discard' | 'confirm']> = [
		['a first run worse than the best', [1.05], 5, 'discard'],
		['a first run better, but inside the noise', [1 - 0.5 * spread1], 5, 'discard'],
		['a first run better, close to the noise: confirmation', [1 - 2 * spread1], 5, 'confirm'],
		['a first run far beyond the noise: kept at once', [1 - 6.5 * spread1], 5, 'keep'],
		['a first run well beyond the noise, not far: confirmation', [1 - 4.5 * spread1], 5, 'confirm'],
		['a close first run with no re-runs allowed: judged by the keep threshold, discarded', [1 - 1.2 * spread1], 1, 'discard'],
		['a first run with no re-runs allowed, beyond the keep threshold: kept', [1 - 2 * spread1], 1, 'keep'],
		['confirmed and clear: kept', [0.78, 0.8, 0.76], 5, 'keep'],
		['confirmed and not clear, out of re-runs: discarded', [1 - 1.2 * spread3, 1 - 1.2 * spread3, 1 - 1.2 * spread3], 3, 'discard'],
		['confirmed, still close, re-runs left: one more', [1 - 1.2 * spread3, 1 - 1.2 * spread3, 1 - 1.2 * spread3], 5, 'confirm'],
		['re-runs that fell back into the noise: given up early', [0.85, 1.05, 1.08], 5, 'discard'],
	];
	for (const [what, values, maxRuns, verdict] of table) {
		it(`${what} -> ${verdict}`, () => {
			const decision = decide(values, reference, sigma, rules, maxRuns);
			expect(decision.kind).toBe(verdict);
			expect(decision.delta).toBeCloseTo(values.reduce((a, b) => a + b, 0) / values.length - 1, 10);
			expect(decision.band).toBeGreaterThan(0);
		});
	}

	it('uses the thresholds it documents', () => {
		expect(noiseRule).toMatchObject({screen: 0.75, clear: 6, keep: 1.5});
	});

	it('works the other way round when higher is better, and never keeps less than min_improvement', () => {
		const up = {...rules, direction: 'higher' as const};
		expect(decide([1 + 6.5 * spread1], reference, sigma, up, 5).kind).toBe('keep');
		expect(decide([1 - 6.5 * spread1], reference, sigma, up, 5).kind).toBe('discard');
		expect(decide([1 - 6.5 * spread1], reference, sigma, {...rules, minImprovement: 1}, 5).kind).toBe('discard');
	});

	it('without a noise estimate (or judge: single) compares one number with one number', () => {
		expect(decide([0.999], reference, undefined, rules, 5)).toMatchObject({kind: 'keep', band: undefined});
		expect(decide([0.999], reference, sigma, {...rules, judge: 'single'}, 5)).toMatchObject({kind: 'keep', band: undefined});
		expect(decide([1], reference, undefined, rules, 5).kind).toBe('discard');
	});

	it('pools the spread of every group of repeated runs', () => {
		expect(pooledSigma([[1], [2]])).toBeUndefined();
		const pooled = pooledSigma([
			[1, 3],
			[10, 12, 14],
		])!;
		// Squares: 1 + 1 from the first group, 4 + 0 + 4 from the second; 1 + 2 degrees of freedom.
		expect(pooled.dof).toBe(3);
		expect(pooled.sigma).toBeCloseTo(Math.sqrt(10 / 3), 10);
	});
});
