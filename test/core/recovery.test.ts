import {spawn} from 'node:child_process';
import {appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import type {LoopEvent} from '../../source/core/events.js';
import {Loop} from '../../source/core/loop.js';
import {SearchProposer} from '../../source/proposers/search.js';
import {makeFakeArena} from '../support/fake-arena.js';
import {ScriptedProposer} from '../support/scripted-proposer.js';
import {alive, git, gone, torchPython, type TempArena} from '../support/workspace.js';

// One test per row of the recovery table in docs/ARCHITECTURE.md: the state a
// kill -9 leaves after each step of an experiment is built on disk as that
// step would leave it, then a new loop's setup() (and run(), where the table
// says the experiment runs again) must finish the job.

let arena: TempArena | undefined;
afterEach(() => {
	arena?.cleanup();
	arena = undefined;
});

type Ctx = {dir: string; runs: string; worktree: string; train: string; base: string; branch: string};

/** A session with its baseline recorded, as a loop leaves it after one experiment. */
async function session(): Promise<Ctx> {
	arena = makeFakeArena();
	const loop = new Loop({workspace: arena.dir, proposer: new SearchProposer(), maxExperiments: 1, python: torchPython});
	await loop.setup();
	await loop.run();
	const runs = path.join(arena.dir, 'runs');
	const worktree = path.join(runs, 'worktrees', 'w0');
	const branch = (JSON.parse(readFileSync(path.join(runs, 'session.json'), 'utf8')) as {branch: string}).branch;
	return {
		dir: arena.dir,
		runs,
		worktree,
		train: path.join(worktree, 'train', 'train.py'),
		base: git(arena.dir, 'rev-parse', branch),
		branch,
	};
}

/** An edit committed in the worker's worktree, as the loop's commit step leaves it (the branch does not move). */
function commitEdit(ctx: Ctx, from: string, to: string): {short: string; full: string} {
	writeFileSync(ctx.train, readFileSync(ctx.train, 'utf8').replace(from, to));
	git(ctx.worktree, 'commit', '-qam', `${from} -> ${to}`);
	return {short: git(ctx.worktree, 'rev-parse', '--short=7', 'HEAD'), full: git(ctx.worktree, 'rev-parse', 'HEAD')};
}

function folder(ctx: Ctx, n: number, commit: {short: string; full: string}, summary: Record<string, unknown>): string {
	const dir = path.join(ctx.runs, `${String(n).padStart(4, '0')}-${commit.short}`);
	mkdirSync(dir);
	writeFileSync(
		path.join(dir, 'summary.json'),
		JSON.stringify({
			n,
			commit: commit.short,
			commit_full: commit.full,
			parent_full: ctx.base,
			description: 'an edit',
			role: 'candidate',
			group: n,
			budget_seconds: 1,
			...summary,
		}),
	);
	return dir;
}

const rowsOf = (ctx: Ctx): string[][] =>
	readFileSync(path.join(ctx.runs, 'results.tsv'), 'utf8')
		.trim()
		.split('\n')
		.slice(1)
		.map(l => l.split('\t'));

async function restart(ctx: Ctx, runTo?: number): Promise<{warnings: string[]; rows: string[][]; head: string; events: LoopEvent[]}> {
	const loop = new Loop({
		workspace: ctx.dir,
		proposer: new ScriptedProposer([]),
		maxExperiments: runTo ?? 1,
		python: torchPython,
	});
	const events: LoopEvent[] = [];
	loop.subscribe(e => events.push(e));
	await loop.setup();
	if (runTo !== undefined) await loop.run();
	const warnings = events.flatMap(e => (e.type === 'message' && e.level === 'warn' ? [e.text] : []));
	return {warnings, rows: rowsOf(ctx), head: git(ctx.dir, 'rev-parse', ctx.branch), events};
}

describe('recovery after kill -9, one row of the recovery table each', () => {
	it('killed after writing an edit, before the commit: the dirty worktree is reset, that edit never ran', async () => {
		const ctx = await session();
		writeFileSync(ctx.train, readFileSync(ctx.train, 'utf8').replace('WIDTH = 64', 'WIDTH = 96'));
		const after = await restart(ctx);
		expect(after.warnings.some(w => /applied but never committed/.test(w))).toBe(true);
		expect(git(ctx.worktree, 'status', '--porcelain', '--untracked-files=no')).toBe('');
		expect(readFileSync(ctx.train, 'utf8')).toContain('WIDTH = 64');
		expect(after.rows).toHaveLength(1);
		expect(after.head).toBe(ctx.base);
	});

	it('killed after the commit, before the run folder: the commit is dropped, it never ran, the branch never moved', async () => {
		const ctx = await session();
		const commit = commitEdit(ctx, 'WIDTH = 64', 'WIDTH = 96');
		const after = await restart(ctx);
		expect(after.warnings.some(w => w.includes(`commit ${commit.short} was made but never ran`))).toBe(true);
		expect(after.rows).toHaveLength(1);
		expect(after.head).toBe(ctx.base);
		expect(git(ctx.worktree, 'rev-parse', 'HEAD')).toBe(ctx.base);
	});

	it('killed while the run trains: the left-over process is ended, the run set aside, and the experiment runs again under its number', async () => {
		const ctx = await session();
		const commit = commitEdit(ctx, 'WIDTH = 64', 'WIDTH = 96');
		const dir = path.join(ctx.runs, `0002-${commit.short}`);
		// The run the dead loop left: its own process group, carrying the run's marker in its environment.
		const child = spawn('sleep', ['600'], {detached: true, stdio: 'ignore', env: {...process.env, NIGHTSHIFT_RUN_DIR: dir}});
		child.unref();
		folder(ctx, 2, commit, {status: 'running', pid: child.pid});
		writeFileSync(path.join(dir, 'run.log'), 'step 00001 (10.0%) | loss: 2.000000\n');
		const after = await restart(ctx, 2);
		expect(await gone([child.pid!])).toBe(true);
		expect(after.warnings.some(w => /ended experiment 2's process/.test(w))).toBe(true);
		expect(after.warnings.some(w => /experiment 2 .* was interrupted; it will run again/.test(w))).toBe(true);
		// The partial log is kept aside; the experiment ran again, as #2, on the same commit, and was judged.
		expect(readFileSync(path.join(ctx.runs, 'interrupted', `0002-${commit.short}`, 'run.log'), 'utf8')).toContain('step 00001');
		expect(after.rows.map(r => [r[0], r[3]])).toEqual([
			[ctx.base.slice(0, 7), 'keep'],
			[commit.short, 'keep'],
		]);
		const summary = JSON.parse(readFileSync(path.join(dir, 'summary.json'), 'utf8')) as {status: string; interrupted: number};
		expect(summary).toMatchObject({status: 'keep', interrupted: 1});
		expect(after.head).toBe(commit.full);
	});

	it('a pid that is not the run (reused by another process) is left alone', async () => {
		const ctx = await session();
		const commit = commitEdit(ctx, 'WIDTH = 64', 'WIDTH = 96');
		const stranger = spawn('sleep', ['600'], {detached: true, stdio: 'ignore'});
		try {
			folder(ctx, 2, commit, {status: 'running', pid: stranger.pid});
			const after = await restart(ctx);
			expect(alive(stranger.pid!)).toBe(true);
			expect(after.rows.map(r => r[3])).toEqual(['keep']);
			expect(existsSync(path.join(ctx.runs, 'interrupted', `0002-${commit.short}`))).toBe(true);
		} finally {
			process.kill(-stranger.pid!, 'SIGKILL');
		}
	});

	it('killed between the runs of an experiment: its measured run stays and it is judged on from there', async () => {
		const ctx = await session();
		const commit = commitEdit(ctx, 'WIDTH = 64', 'WIDTH = 96');
		folder(ctx, 2, commit, {status: 'measured', run_metric: 1.5, metric_name: 'val_bpb'});
		const after = await restart(ctx, 2);
		const ends = after.events.filter(e => e.type === 'run-end');
		expect(ends).toHaveLength(1);
		// Judged on the run it had (1.5, worse than the baseline): it did not run again.
		expect(after.events.filter(e => e.type === 'run-start')).toHaveLength(0);
		expect(after.rows.map(r => [r[0], r[3]])).toEqual([
			[ctx.base.slice(0, 7), 'keep'],
			[commit.short, 'discard'],
		]);
	});

	it('killed after the verdict in summary.json, before the rows: the rows are appended from the run folders', async () => {
		const ctx = await session();
		const commit = commitEdit(ctx, 'WIDTH = 64', 'WIDTH = 96');
		folder(ctx, 2, commit, {status: 'discard', metric: 1.25, run_metric: 1.2, memory_gb: 0.9, runs: 2});
		folder(ctx, 3, commit, {status: 'rerun', group: 2, metric: 1.3, run_metric: 1.3, memory_gb: 0.9});
		const after = await restart(ctx);
		expect(after.warnings.some(w => w.includes(`judged discard but not recorded`))).toBe(true);
		expect(after.rows.slice(1)).toEqual([
			[commit.short, '1.250000', '0.9', 'discard', 'an edit'],
			[commit.short, '1.300000', '0.9', 'rerun', 're-run of #2'],
		]);
		expect(after.head).toBe(ctx.base);
	});

	it('killed between a re-run saying `measured` and the verdict of its experiment: the re-run is recorded as one', async () => {
		const ctx = await session();
		const commit = commitEdit(ctx, 'WIDTH = 64', 'WIDTH = 96');
		folder(ctx, 2, commit, {status: 'discard', metric: 1.25, run_metric: 1.2, memory_gb: 0.9, runs: 2});
		folder(ctx, 3, commit, {status: 'measured', group: 2, role: 'confirm', run_metric: 1.3, memory_gb: 0.9});
		const after = await restart(ctx);
		expect(after.rows.map(r => r[3])).toEqual(['keep', 'discard', 'rerun']);
	});

	it('killed after the rows of a keep, before the branch moved: the branch is moved to it', async () => {
		const ctx = await session();
		const commit = commitEdit(ctx, 'WIDTH = 64', 'WIDTH = 96');
		folder(ctx, 2, commit, {status: 'keep', metric: 0.5, memory_gb: 0.9});
		appendFileSync(path.join(ctx.runs, 'results.tsv'), `${commit.short}\t0.500000\t0.9\tkeep\tan edit\n`);
		const after = await restart(ctx);
		expect(after.warnings.some(w => /moved .* to the best commit/.test(w))).toBe(true);
		expect(after.rows).toHaveLength(2);
		expect(after.head).toBe(commit.full);
	});

	it('killed while appending a row: the torn line is set aside and the row recorded again from its folder', async () => {
		const ctx = await session();
		const commit = commitEdit(ctx, 'WIDTH = 64', 'WIDTH = 96');
		folder(ctx, 2, commit, {status: 'discard', metric: 1.25, memory_gb: 0.9});
		appendFileSync(path.join(ctx.runs, 'results.tsv'), `${commit.short}\t1.2500`);
		const after = await restart(ctx);
		expect(after.warnings.some(w => /torn line/.test(w))).toBe(true);
		expect(after.rows).toEqual([after.rows[0], [commit.short, '1.250000', '0.9', 'discard', 'an edit']]);
		const aside = readdirSync(ctx.runs).filter(f => f.startsWith('results.torn-'));
		expect(aside).toHaveLength(1);
		expect(readFileSync(path.join(ctx.runs, aside[0]!), 'utf8')).toBe(`${commit.short}\t1.2500\n`);
	});
});
