import {execFileSync} from 'node:child_process';
import {readFileSync} from 'node:fs';
import path from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import type {LoopEvent} from '../../source/core/events.js';
import {Loop, type LoopOptions} from '../../source/core/loop.js';
import type {ProposalRequest} from '../../source/core/proposer.js';
import {SearchProposer} from '../../source/proposers/search.js';
import {fakeProgram, fakeTrain, makeFakeArena} from '../support/fake-arena.js';
import {checkInvariants} from '../support/invariants.js';
import {ScriptedProposer, replaceLine} from '../support/scripted-proposer.js';
import {makeSimArena, simKnobs, type Knob} from '../support/sim-arena.js';
import {torchPython, type TempArena} from '../support/workspace.js';

// Verdicts on a loop that runs for real: a metric that is pure noise keeps
// (almost) nothing, a longer budget is never mistaken for a better idea, no
// idea runs twice, and a number that cannot be right is a crash.

let arena: TempArena | undefined;
afterEach(() => {
	arena?.cleanup();
	arena = undefined;
});

async function run(
	options: Omit<LoopOptions, 'workspace'>,
	dir: string,
	untilRuns?: number,
	during?: (loop: Loop, event: LoopEvent) => void,
) {
	const loop = new Loop({workspace: dir, python: torchPython, killGraceSeconds: 1, ...options});
	const events: LoopEvent[] = [];
	let runs = 0;
	loop.subscribe(e => {
		events.push(e);
		during?.(loop, e);
		if (e.type === 'run-start' && untilRuns !== undefined && ++runs === untilRuns) void loop.quit('finish');
	});
	await loop.setup();
	await loop.run();
	const rows = readFileSync(path.join(dir, 'runs', 'results.tsv'), 'utf8')
		.trim()
		.split('\n')
		.slice(1)
		.map(l => l.split('\t'));
	return {events, rows, loop};
}

/** The same knobs as the simulated arena's, none of which matters. */
const pointless: Knob[] = simKnobs.map(k => ({...k, kind: 'none', weight: 0}));

describe('verdicts', () => {
	it('a metric that is pure noise: over 20 experiments at most one keep after the baseline', async () => {
		arena = makeSimArena({noise: 0.05, seed: 11, knobs: pointless});
		const {rows} = await run({proposer: new SearchProposer(), maxExperiments: 21}, arena.dir);
		const experiments = rows.filter(r => r[3] !== 'rerun');
		expect(experiments).toHaveLength(21);
		expect(experiments.slice(1).filter(r => r[3] === 'keep').length).toBeLessThanOrEqual(1);
		// The baseline ran 3 times (its mean is the reference); every re-run is in results.tsv.
		expect(rows.slice(0, 3).map(r => r[3])).toEqual(['keep', 'rerun', 'rerun']);
		expect(rows[0]![4]).toBe('baseline [mean of 3 runs]');
		checkInvariants(arena.dir);
	});

	it('the judge of before keeps noise on the same arena (the contrast the noise-aware judge fixes)', async () => {
		arena = makeSimArena({noise: 0.05, seed: 11, knobs: pointless, rules: {judge: 'single', baseline_runs: 1}});
		const {rows} = await run({proposer: new SearchProposer(), maxExperiments: 21}, arena.dir);
		expect(rows.slice(1).filter(r => r[3] === 'keep').length).toBeGreaterThan(1);
	});

	it('a budget change: the best is re-run at the new budget first, and nothing is kept for the budget’s sake', async () => {
		// No knob matters and there is no noise: only the budget changes the metric (longer is better).
		arena = makeSimArena({noise: 0, seed: 3, knobs: pointless, budgetGain: 0.1, rules: {baseline_runs: 1}});
		let changed = false;
		const {events, rows} = await run({proposer: new SearchProposer(), maxExperiments: 8}, arena.dir, undefined, (loop, e) => {
			if (!changed && e.type === 'run-end' && e.n === 3) {
				changed = true;
				loop.setBudget(4);
			}
		});
		const starts = events.flatMap(e => (e.type === 'run-start' ? [e] : []));
		const after = starts.findIndex(s => s.budgetSeconds === 4);
		expect(after).toBeGreaterThan(0);
		// The first run at the new budget is the best, re-run: the reference the later ones are judged against.
		expect(starts[after]).toMatchObject({role: 'reference', description: 're-run of #1'});
		expect(rows.filter(r => r[3] === 'keep').map(r => r[4])).toEqual(['baseline']);
		// Runs at the new budget say so in results.tsv; the re-run of the best is recorded as one.
		expect(rows.some(r => r[3] === 'rerun' && r[4] === 're-run of #1 [budget 4s]')).toBe(true);
		expect(rows.filter(r => r[3] === 'discard' && r[4]!.endsWith('[budget 4s]')).length).toBeGreaterThan(0);
		// It outlives a restart: the next loop starts at the budget set by hand.
		const restarted = new Loop({workspace: arena.dir, proposer: new SearchProposer(), maxExperiments: 8});
		const session = new Promise<LoopEvent>(resolve => restarted.subscribe(e => e.type === 'session' && resolve(e)));
		await restarted.setup();
		expect(await session).toMatchObject({budgetSeconds: 4, budgetOverride: true});
	});

	it('no idea runs twice: the search never proposes the same files again', async () => {
		arena = makeSimArena({noise: 0.05, seed: 5, rules: {baseline_runs: 1}});
		const {rows} = await run({proposer: new SearchProposer(), maxExperiments: 25}, arena.dir);
		const files = rows
			.filter(r => r[3] !== 'rerun')
			.map(r => execFileSync('git', ['show', `${r[0]}:arena/train.py`], {cwd: arena!.dir, encoding: 'utf8'}));
		expect(new Set(files).size).toBe(files.length);
	});

	it('a model that proposes an experiment again is told which one and asked again', async () => {
		arena = makeFakeArena();
		const wider = (r: ProposalRequest) => ({description: 'wider', edits: [replaceLine(r, 'WIDTH = 64', 'WIDTH = 128')]});
		const sameAgain = (r: ProposalRequest) => ({description: 'wider again', edits: [replaceLine(r, 'WIDTH = 128', 'WIDTH = 64')]});
		const faster = (r: ProposalRequest) => ({
			description: 'faster',
			edits: [replaceLine(r, 'LEARNING_RATE = 0.01', 'LEARNING_RATE = 0.02')],
		});
		// The second proposal turns the kept change back: the files become the baseline's, which ran already.
		const proposer = new ScriptedProposer([wider, sameAgain, faster]);
		const {events, rows} = await run({proposer, maxExperiments: 3}, arena.dir);
		const refused = events.flatMap(e => (e.type === 'proposal-failed' ? [e.reason] : []));
		expect(refused).toEqual([expect.stringMatching(/exactly as experiment #1 \(baseline\) had them: that idea was tried as #1/)]);
		expect(rows.map(r => r[4])).toEqual(['baseline', 'wider', 'faster']);
	});

	it('a proposal is checked against what runs and what is prepared, not only what was recorded', async () => {
		arena = makeFakeArena();
		const seen: ProposalRequest[] = [];
		const wider = (r: ProposalRequest) => {
			seen.push(r);
			return {description: 'WIDTH 64 -> 128', edits: [replaceLine(r, 'WIDTH = 64', 'WIDTH = 128')]};
		};
		const faster = (r: ProposalRequest) => ({
			description: 'faster',
			edits: [replaceLine(r, 'LEARNING_RATE = 0.01', 'LEARNING_RATE = 0.02')],
		});
		const proposer = new ScriptedProposer([wider, wider, faster], true);
		const {rows, events} = await run({proposer, maxExperiments: 3, workers: 2}, arena.dir);
		// Two workers: the second request sees the first prepared, and the same edit is refused rather than run twice.
		expect(seen[1]!.inFlight.map(f => f.description)).toContain('WIDTH 64 -> 128');
		const refused = events.flatMap(e => (e.type === 'proposal-failed' && /exactly as experiment/.test(e.reason) ? [e.reason] : []));
		expect(refused).toEqual([expect.stringMatching(/that idea is (prepared|running) as #2/)]);
		expect(rows.filter(r => r[4] === 'WIDTH 64 -> 128')).toHaveLength(1);
		expect(rows.map(r => r[4]).sort()).toEqual(['WIDTH 64 -> 128', 'baseline', 'faster']);
	});
});

describe('a number that cannot be right is a crash, never a keep', () => {
	const summaryWith = (lines: string) => fakeTrain.replace('print(f"val_bpb:          {val:.6f}")', lines);
	const cases: Array<[string, string, RegExp]> = [
		[
			'a bits-per-byte below zero',
			summaryWith('print("val_bpb:          -1.000000")'),
			/val_bpb -1 is outside what it can be \(\[0, Infinity\]/,
		],
		[
			'the metric printed twice with different values',
			summaryWith('print(f"val_bpb:          {val:.6f}")\nprint("val_bpb:          0.500000")'),
			/printed more than once, with different values/,
		],
		[
			'a loss that went NaN before a finite metric and exit 0',
			fakeTrain.replace('print()\nval = ', 'print("step 00003 (60.0%) | loss: nan | lrm: 1.00")\nprint()\nval = '),
			/the loss was NaN at step 3/,
		],
	];
	for (const [what, train, reason] of cases) {
		it(what, async () => {
			arena = makeFakeArena(fakeProgram, fakeTrain);
			const proposer = new ScriptedProposer([
				() => ({description: what, edits: [{path: 'train/train.py', search: fakeTrain, replace: train}]}),
			]);
			const {events, rows} = await run({proposer, maxExperiments: 2}, arena.dir);
			expect(rows.map(r => r[3])).toEqual(['keep', 'crash']);
			const end = events.flatMap(e => (e.type === 'run-end' && e.n === 2 ? [e] : []))[0]!;
			expect(end.reason).toMatch(reason);
		});
	}

	it('a range program.md gives is obeyed, and results.tsv writes huge numbers with six fixed decimals', async () => {
		arena = makeFakeArena(fakeProgram.replace('baseline_runs: 1', 'baseline_runs: 1\nmetric_range: [0, 1e309]'), fakeTrain);
		const huge = summaryWith('print("val_bpb:          1e308")');
		const proposer = new ScriptedProposer([
			() => ({description: 'huge', edits: [{path: 'train/train.py', search: fakeTrain, replace: huge}]}),
		]);
		const {rows} = await run({proposer, maxExperiments: 2}, arena.dir);
		expect(rows[1]![1]).toMatch(/^1\d{308}\.000000$/);
		expect(rows[1]![3]).toBe('discard');
	});
});
