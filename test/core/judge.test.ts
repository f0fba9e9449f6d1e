import {describe, expect, it} from 'vitest';
import {judge} from '../../source/core/judge.js';
import type {RunResult} from '../../source/core/executor.js';
import type {Reference} from '../../source/core/noise.js';
import type {ArenaRules, Direction} from '../../source/core/types.js';

const rules = (direction: Direction, minImprovement: number): ArenaRules => ({
	editable: ['train.py'],
	command: 'python train.py',
	cwd: '.',
	metric: 'val_bpb',
	direction,
	budgetSeconds: 60,
	timeoutSeconds: 180,
	minImprovement,
	judge: 'noise',
	baselineRuns: 3,
	confirmRuns: 2,
});

const finished = (metric: number): RunResult => ({
	exitCode: 0,
	signal: undefined,
	killed: undefined,
	spawnError: undefined,
	summary: {val_bpb: metric, peak_vram_mb: 2048},
	conflicts: {},
	failed: false,
	seconds: 60,
	tail: [],
	pid: 1,
});

/** The best measured once, with no noise estimate: one number against one number. */
const best = (metric: number): Reference => ({mean: metric, runs: 1});

describe('the judge', () => {
	// One row per case: direction, min_improvement, the best so far, the new result, the verdict.
	const table: Array<[Direction, number, number, number, 'keep' | 'discard']> = [
		['lower', 0, 1.0, 0.99, 'keep'],
		['lower', 0, 1.0, 1.01, 'discard'],
		['lower', 0, 1.0, 1.0, 'discard'], // a tie is not an improvement
		['lower', 0.01, 1.0, 0.995, 'discard'], // better, but by less than min_improvement
		['lower', 0.01, 1.0, 0.99, 'discard'], // exactly min_improvement is not more than it
		['lower', 0.01, 1.0, 0.98, 'keep'],
		['higher', 0, 0.5, 0.6, 'keep'],
		['higher', 0, 0.5, 0.4, 'discard'],
		['higher', 0, 0.5, 0.5, 'discard'],
		['higher', 0.2, 0.5, 0.6, 'discard'],
		['higher', 0.2, 0.5, 0.75, 'keep'],
	];
	for (const [direction, min, was, now, verdict] of table) {
		it(`${direction} is better, min_improvement ${min}: ${was} -> ${now} is ${verdict}`, () => {
			const result = judge(finished(now), rules(direction, min), best(was));
			expect(result.status).toBe(verdict);
			expect(result.metric).toBe(now);
			expect(result.memoryGb).toBe(2);
		});
	}

	it('keeps the first result (the baseline): there is nothing to beat', () => {
		expect(judge(finished(3), rules('lower', 0), undefined)).toMatchObject({status: 'keep', reason: 'baseline'});
	});

	it('calls every way of not finishing a crash, with its reason', () => {
		const r = rules('lower', 0);
		expect(judge({...finished(1), spawnError: 'cannot run `uv`'}, r, best(2)).reason).toBe('cannot run `uv`');
		expect(judge({...finished(1), killed: 'timeout'}, r, best(2)).reason).toMatch(/180 s timeout/);
		expect(judge({...finished(1), killed: 'stop'}, r, best(2)).reason).toMatch(/by hand/);
		expect(judge({...finished(1), failed: true}, r, best(2)).reason).toMatch(/FAIL/);
		expect(judge({...finished(1), exitCode: 3}, r, best(2)).reason).toMatch(/exit status 3/);
		expect(judge({...finished(1), exitCode: undefined, signal: 'SIGKILL'}, r, best(2)).reason).toMatch(/SIGKILL/);
		expect(judge({...finished(1), summary: {val_bpb: Number.NaN}}, r, best(2)).reason).toMatch(/no finite val_bpb/);
		expect(judge({...finished(1), summary: undefined}, r, best(2)).reason).toMatch(/no summary block/);
		for (const crash of [{spawnError: 'x'}, {killed: 'timeout' as const}, {failed: true}, {exitCode: 1}]) {
			expect(judge({...finished(0.5), ...crash}, r, best(2))).toMatchObject({status: 'crash', metric: null});
		}
	});
});
