import {spawn} from 'node:child_process';
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import type {LoopEvent} from '../../source/core/events.js';
import {Loop} from '../../source/core/loop.js';
import {SearchProposer} from '../../source/proposers/search.js';
import {makeFakeArena} from '../support/fake-arena.js';
import {alive, git, gone, torchPython, type TempArena} from '../support/workspace.js';

// One test per row of the recovery table in docs/ARCHITECTURE.md: the state a
// kill -9 leaves after each step of an experiment is built on disk as that
// step would leave it, then a new loop's setup() must finish the job.

let arena: TempArena | undefined;
afterEach(() => {
	arena?.cleanup();
	arena = undefined;
});

type Ctx = {dir: string; runs: string; worktree: string; train: string; base: string};

/** A session with its baseline recorded, as a loop leaves it after one experiment. */
async function session(): Promise<Ctx> {
	arena = makeFakeArena();
	const loop = new Loop({workspace: arena.dir, proposer: new SearchProposer(), maxExperiments: 1, python: torchPython});
	await loop.setup();
	await loop.run();
	const runs = path.join(arena.dir, 'runs');
	const worktree = path.join(runs, 'worktrees', 'w0');
	return {dir: arena.dir, runs, worktree, train: path.join(worktree, 'train', 'train.py'), base: git(worktree, 'rev-parse', 'HEAD')};
}

/** An edit committed on the session branch, as the loop's commit step leaves it. */
function commitEdit(ctx: Ctx, from: string, to: string): string {
	writeFileSync(ctx.train, readFileSync(ctx.train, 'utf8').replace(from, to));
	git(ctx.worktree, 'commit', '-qam', `${from} -> ${to}`);
	return git(ctx.worktree, 'rev-parse', '--short=7', 'HEAD');
}

function folder(ctx: Ctx, n: number, commit: string, summary: Record<string, unknown>): string {
	const dir = path.join(ctx.runs, `${String(n).padStart(4, '0')}-${commit}`);
	mkdirSync(dir);
	writeFileSync(path.join(dir, 'summary.json'), JSON.stringify({n, commit, description: 'an edit', ...summary}));
	return dir;
}

async function restart(ctx: Ctx): Promise<{warnings: string[]; rows: string[][]; head: string}> {
	const loop = new Loop({workspace: ctx.dir, proposer: new SearchProposer(), maxExperiments: 1, python: torchPython});
	const events: LoopEvent[] = [];
	loop.subscribe(e => events.push(e));
	await loop.setup();
	const rows = readFileSync(path.join(ctx.runs, 'results.tsv'), 'utf8')
		.trim()
		.split('\n')
		.slice(1)
		.map(l => l.split('\t'));
	const warnings = events.flatMap(e => (e.type === 'message' && e.level === 'warn' ? [e.text] : []));
	return {warnings, rows, head: git(ctx.worktree, 'rev-parse', 'HEAD')};
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

	it('killed after the commit, before the run folder: the commit is dropped, it never ran', async () => {
		const ctx = await session();
		const commit = commitEdit(ctx, 'WIDTH = 64', 'WIDTH = 96');
		const after = await restart(ctx);
		expect(after.warnings.some(w => w.includes(`commit ${commit} was made but never ran`))).toBe(true);
		expect(after.rows).toHaveLength(1);
		expect(after.head).toBe(ctx.base);
	});

	it('killed while the run trains: the left-over process is ended, the run recorded as crash, the branch reset', async () => {
		const ctx = await session();
		const commit = commitEdit(ctx, 'WIDTH = 64', 'WIDTH = 96');
		const dir = path.join(ctx.runs, `0002-${commit}`);
		// The run the dead loop left: its own process group, carrying the run's marker in its environment.
		const child = spawn('sleep', ['600'], {detached: true, stdio: 'ignore', env: {...process.env, NIGHTSHIFT_RUN_DIR: dir}});
		child.unref();
		folder(ctx, 2, commit, {status: 'running', pid: child.pid});
		const after = await restart(ctx);
		expect(await gone([child.pid!])).toBe(true);
		expect(after.warnings.some(w => /ended experiment 2's process/.test(w))).toBe(true);
		expect(after.rows.map(r => [r[0], r[3]])).toEqual([
			[ctx.base.slice(0, 7), 'keep'],
			[commit, 'crash'],
		]);
		const summary = JSON.parse(readFileSync(path.join(dir, 'summary.json'), 'utf8')) as {status: string; reason: string};
		expect(summary).toMatchObject({status: 'crash', reason: expect.stringMatching(/interrupted/)});
		expect(after.head).toBe(ctx.base);
	});

	it('a pid that is not the run (reused by another process) is left alone', async () => {
		const ctx = await session();
		const commit = commitEdit(ctx, 'WIDTH = 64', 'WIDTH = 96');
		const stranger = spawn('sleep', ['600'], {detached: true, stdio: 'ignore'});
		try {
			folder(ctx, 2, commit, {status: 'running', pid: stranger.pid});
			const after = await restart(ctx);
			expect(alive(stranger.pid!)).toBe(true);
			expect(after.rows.map(r => r[3])).toEqual(['keep', 'crash']);
		} finally {
			process.kill(-stranger.pid!, 'SIGKILL');
		}
	});

	it('killed after the final summary.json, before the row: the row is appended from summary.json (a discard, then reset)', async () => {
		const ctx = await session();
		const commit = commitEdit(ctx, 'WIDTH = 64', 'WIDTH = 96');
		folder(ctx, 2, commit, {status: 'discard', metric: 1.25, memory_gb: 0.9});
		const after = await restart(ctx);
		expect(after.warnings.some(w => w.includes(`judged discard but not recorded`))).toBe(true);
		expect(after.rows[1]).toEqual([commit, '1.250000', '0.9', 'discard', 'an edit']);
		expect(after.head).toBe(ctx.base);
	});

	it('killed after the final summary.json of a keep, before the row: the row is appended and the branch stays on it', async () => {
		const ctx = await session();
		const commit = commitEdit(ctx, 'WIDTH = 64', 'WIDTH = 96');
		folder(ctx, 2, commit, {status: 'keep', metric: 0.5, memory_gb: 0.9});
		const after = await restart(ctx);
		expect(after.rows[1]!.slice(0, 4)).toEqual([commit, '0.500000', '0.9', 'keep']);
		expect(after.head.slice(0, 7)).toBe(commit);
	});

	it('killed after the row of a discard, before the reset: the branch goes back to the best', async () => {
		const ctx = await session();
		const commit = commitEdit(ctx, 'WIDTH = 64', 'WIDTH = 96');
		folder(ctx, 2, commit, {status: 'discard', metric: 1.25, memory_gb: 0.9});
		writeFileSync(
			path.join(ctx.runs, 'results.tsv'),
			`${readFileSync(path.join(ctx.runs, 'results.tsv'), 'utf8')}${commit}\t1.250000\t0.9\tdiscard\tan edit\n`,
		);
		const after = await restart(ctx);
		expect(after.warnings.some(w => /reset .* to the best commit/.test(w))).toBe(true);
		expect(after.rows).toHaveLength(2);
		expect(after.head).toBe(ctx.base);
	});
});
