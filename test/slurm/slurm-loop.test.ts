import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest';
import type {LoopEvent} from '../../source/core/events.js';
import {Loop} from '../../source/core/loop.js';
import {runFolderName} from '../../source/core/results.js';
import {jobName} from '../../source/core/slurm-commands.js';
import {SlurmExecutor} from '../../source/core/slurm.js';
import {SearchProposer} from '../../source/proposers/search.js';
import {makeFakeArena} from '../support/fake-arena.js';
import {checkInvariants} from '../support/invariants.js';
import {ScriptedProposer, replaceLine} from '../support/scripted-proposer.js';
import {slurmUnavailable, startSlurmCluster, type SlurmCluster} from '../support/slurm-cluster.js';
import {torchPython, type TempArena} from '../support/workspace.js';
import {eventsOf, expectDistinctGpus, gpuProgram, gpuTrain, heldGpus, queue, until} from './standin.js';

// The loop with its experiments run as Slurm jobs on a real single-node
// cluster with two gres GPUs: two workers, each job on a GPU of its own, the
// loop's promises (checkInvariants) holding; a job cancelled from outside
// recorded as a crash with Slurm's reason and run once more; /stop cancelling
// the job.

const unavailable = slurmUnavailable();
if (unavailable) console.warn(`test/slurm: ${unavailable}`);

type Summary = {reason?: string; commit_full: string; role?: string; status: string};

function summaryOf(runs: string, n: number, commit: string): Summary {
	return JSON.parse(readFileSync(path.join(runs, runFolderName(n, commit), 'summary.json'), 'utf8'));
}

describe.skipIf(unavailable !== undefined)(`the loop through Slurm${unavailable ? ` (${unavailable})` : ''}`, () => {
	let cluster: SlurmCluster;
	let arena: TempArena | undefined;
	beforeAll(async () => {
		cluster = await startSlurmCluster({gpus: 2});
	});
	afterAll(async () => {
		await cluster?.stop();
	});
	afterEach(() => {
		arena?.cleanup();
		arena = undefined;
	});

	/** The job of run `n` once Slurm runs it. */
	async function runningJob(runs: string, n: number, commit: string): Promise<string> {
		const name = jobName(path.join(runs, runFolderName(n, commit)));
		let id: string | undefined;
		await until(`the job of #${n} running`, () => {
			id = queue(cluster).find(j => j.name === name && j.state === 'RUNNING')?.id;
			return id !== undefined;
		});
		return id!;
	}

	it('runs a session of 2 workers as Slurm jobs, a GPU each; a job cancelled from outside is recorded and run once more', async () => {
		arena = makeFakeArena(gpuProgram, gpuTrain);
		const runs = path.join(arena.dir, 'runs');
		const hold = mkdtempSync(path.join(tmpdir(), 'nightshift-hold-'));
		const loop = new Loop({
			workspace: arena.dir,
			python: torchPython,
			killGraceSeconds: 1,
			proposer: new SearchProposer(),
			maxExperiments: 9,
			workers: 2,
			executor: new SlurmExecutor({partition: cluster.partition, env: cluster.env}),
			env: {STANDIN_SLEEP: '1.5', STANDIN_HOLD: hold},
		});
		const events: LoopEvent[] = [];
		let target: {n: number; commit: string} | undefined;
		const cancelled: number[] = [];
		let cancelling = Promise.resolve();
		loop.subscribe(event => {
			events.push(event);
			if (event.type !== 'run-start' || event.role !== 'candidate') return;
			// The first candidate, and its run again: each cancelled from outside once it runs.
			const first = target === undefined;
			if (first) target = {n: event.n, commit: event.commit};
			if (first || (event.commit === target!.commit && cancelled.length === 1)) {
				cancelled.push(event.n);
				// Held running (before its job starts) until it is cancelled.
				writeFileSync(path.join(hold, String(event.n)), '');
				cancelling = cancelling.then(async () => {
					cluster.client('scancel', await runningJob(runs, event.n, event.commit));
					rmSync(path.join(hold, String(event.n)), {force: true});
				});
			}
		});
		try {
			await loop.setup();
			await loop.run();
			await cancelling;
		} finally {
			rmSync(hold, {recursive: true, force: true});
		}

		const rows = checkInvariants(arena.dir);
		expect(rows.filter(r => r[3] !== 'rerun').length).toBeGreaterThanOrEqual(9);
		expect(eventsOf(events, 'session')[0]).toMatchObject({executor: 'slurm', workers: [{name: 'w0'}, {name: 'w1'}]});
		// Cancelled from outside: a crash with Slurm's reason, run again once as a new experiment, and not a third time.
		expect(cancelled).toHaveLength(2);
		const again = rows.filter(r => r[0] === target!.commit);
		expect(again.map(r => r[3])).toEqual(['crash', 'crash']);
		for (const n of cancelled)
			expect(summaryOf(runs, n, target!.commit).reason).toMatch(/^Slurm job \d+ was cancelled from outside nightshift \(CANCELLED/);
		expect(eventsOf(events, 'run-start').filter(e => e.commit === target!.commit)).toHaveLength(2);
		expect(eventsOf(events, 'message').some(m => m.text.includes(`experiment ${cancelled[0]}: Slurm job`))).toBe(true);
		// Both workers ran experiments, and no two runs ever held one GPU at once.
		expect(new Set(eventsOf(events, 'run-start').map(e => e.worker))).toEqual(new Set(['w0', 'w1']));
		const held = heldGpus(runs);
		expect(held.length).toBeGreaterThanOrEqual(7);
		for (const h of held) expect(['0', '1']).toContain(h.gpu);
		expect(expectDistinctGpus(held)).toBeGreaterThan(0);
		expect(queue(cluster)).toEqual([]);
	});

	it('/stop cancels the running job: squeue no longer lists it, and it is recorded as stopped', async () => {
		arena = makeFakeArena(gpuProgram, gpuTrain);
		const runs = path.join(arena.dir, 'runs');
		const proposer = new ScriptedProposer([
			r => ({description: 'train for a minute', edits: [replaceLine(r, 'SLEEP = 0.0', 'SLEEP = 60.0')]}),
		]);
		const loop = new Loop({
			workspace: arena.dir,
			python: torchPython,
			killGraceSeconds: 1,
			proposer,
			maxExperiments: 2,
			executor: new SlurmExecutor({partition: cluster.partition, env: cluster.env}),
		});
		const events: LoopEvent[] = [];
		loop.subscribe(e => events.push(e));
		await loop.setup();
		const done = loop.run();
		await until('the candidate to start', () => eventsOf(events, 'run-start').some(e => e.role === 'candidate'));
		const start = eventsOf(events, 'run-start').find(e => e.role === 'candidate')!;
		const id = await runningJob(runs, start.n, start.commit);
		loop.stopRun();
		await done;
		await until('squeue to drop the job', () => !queue(cluster).some(j => j.id === id), 15_000);
		const end = eventsOf(events, 'run-end').find(e => e.n === start.n)!;
		expect(end.record.status).toBe('crash');
		expect(end.reason).toBe('stopped by hand');
		expect(readFileSync(path.join(runs, runFolderName(start.n, start.commit), 'run.log'), 'utf8')).toContain(
			`stopped by the user (Slurm job ${id} cancelled)`,
		);
		checkInvariants(arena.dir);
	});
});
