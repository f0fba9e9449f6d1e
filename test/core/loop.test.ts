import {existsSync, readFileSync, readdirSync} from 'node:fs';
import path from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import {SearchProposer} from '../../source/proposers/search.js';
import type {LoopEvent} from '../../source/core/events.js';
import {Loop, type LoopOptions} from '../../source/core/loop.js';
import {makeFakeArena} from '../support/fake-arena.js';
import {ScriptedProposer, replaceLine} from '../support/scripted-proposer.js';
import {git, gone, torchPython, type TempArena} from '../support/workspace.js';

let arena: TempArena | undefined;
afterEach(() => {
	arena?.cleanup();
	arena = undefined;
});

async function runLoop(options: Omit<LoopOptions, 'workspace' | 'python'>, dir: string) {
	const loop = new Loop({workspace: dir, python: torchPython, killGraceSeconds: 1, ...options});
	const events: LoopEvent[] = [];
	loop.subscribe(e => events.push(e));
	await loop.setup();
	await loop.run();
	return {loop, events};
}

function readResults(dir: string): string[][] {
	return readFileSync(path.join(dir, 'runs', 'results.tsv'), 'utf8')
		.trim()
		.split('\n')
		.map(l => l.split('\t'));
}

describe('the loop on a stand-in arena', () => {
	it('keeps exactly what beats the best, and the branch holds exactly the kept commits', async () => {
		arena = makeFakeArena();
		const {events} = await runLoop({proposer: new SearchProposer(), maxExperiments: 6}, arena.dir);
		const rows = readResults(arena.dir);
		expect(rows[0]).toEqual(['commit', 'val_bpb', 'memory_gb', 'status', 'description']);
		expect(rows).toHaveLength(7);
		let best = Infinity;
		const kept: string[] = [];
		for (const [commit, metric, , status] of rows.slice(1)) {
			const value = Number(metric);
			expect(status).toBe(value < best ? 'keep' : 'discard');
			if (value < best) {
				best = value;
				kept.push(commit!);
			}
		}
		expect(rows[1]![4]).toBe('baseline');
		const session = JSON.parse(readFileSync(path.join(arena.dir, 'runs', 'session.json'), 'utf8')) as {branch: string; base: string};
		const onBranch = git(arena.dir, 'rev-list', '--reverse', `${session.base}..${session.branch}`)
			.split('\n')
			.filter(Boolean)
			.map(c => c.slice(0, 7));
		// The baseline is the session's start commit; every later keep is one commit on the branch.
		expect(onBranch).toEqual(kept.slice(1));
		const folders = readdirSync(path.join(arena.dir, 'runs')).filter(f => /^\d{4}-/.test(f));
		expect(folders).toHaveLength(6);
		for (const folder of folders) {
			for (const file of ['run.log', 'diff.patch', 'summary.json'])
				expect(existsSync(path.join(arena.dir, 'runs', folder, file))).toBe(true);
			const summary = JSON.parse(readFileSync(path.join(arena.dir, 'runs', folder, 'summary.json'), 'utf8')) as Record<string, unknown>;
			expect(['keep', 'discard']).toContain(summary['status']);
			expect(readFileSync(path.join(arena.dir, 'runs', folder, 'run.log'), 'utf8')).toContain('val_bpb:');
		}
		// The user's checkout is untouched: still on main, clean, runs/ ignored.
		expect(git(arena.dir, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('main');
		expect(git(arena.dir, 'status', '--porcelain')).toBe('');
		expect(events.filter(e => e.type === 'progress').length).toBeGreaterThanOrEqual(6 * 5);
	});

	it('records crashes (syntax error, NaN, a hang past the timeout) and reverts each, leaving no process', async () => {
		const program = (await import('../support/fake-arena.js')).fakeProgram.replace('timeout: 20', 'timeout: 3');
		arena = makeFakeArena(program);
		const pidFile = path.join(arena.dir, 'child.pid');
		const proposer = new ScriptedProposer([
			r => ({description: 'syntax error', edits: [replaceLine(r, 'WIDTH = 64', 'WIDTH = (64')]}),
			r => ({description: 'huge learning rate', edits: [replaceLine(r, 'LEARNING_RATE = 0.01', 'LEARNING_RATE = 1e9')]}),
			r => ({
				description: 'hang',
				edits: [
					replaceLine(
						r,
						'SLEEP = 0.0',
						`SLEEP = 0.0\nimport subprocess\nchild = subprocess.Popen(["sleep", "600"])\nopen(${JSON.stringify(pidFile)}, "w").write(f"{os.getpid()} {child.pid}")\ntime.sleep(600)`,
					),
				],
			}),
			r => ({description: 'wider', edits: [replaceLine(r, 'WIDTH = 64', 'WIDTH = 128')]}),
		]);
		// Unsandboxed: the pid file is written outside the run folder and its pids are this machine's (test/faults covers the sandbox).
		const {events} = await runLoop({proposer, maxExperiments: 5, sandbox: 'off'}, arena.dir);
		const rows = readResults(arena.dir).slice(1);
		expect(rows.map(r => [r[3], r[4]])).toEqual([
			['keep', 'baseline'],
			['crash', 'syntax error'],
			['crash', 'huge learning rate'],
			['crash', 'hang'],
			['keep', 'wider'],
		]);
		expect(rows[1]![1]).toBe('0.000000');
		const ends = events.filter(e => e.type === 'run-end').map(e => e.reason);
		expect(ends[1]).toMatch(/exit status 1/);
		expect(ends[2]).toMatch(/FAIL/);
		expect(ends[3]).toMatch(/timeout/);
		const pids = readFileSync(pidFile, 'utf8').split(' ').map(Number);
		expect(pids).toHaveLength(2);
		expect(await gone(pids)).toBe(true);
		// Every crash was reverted: the file holds only the kept change.
		const session = JSON.parse(readFileSync(path.join(arena.dir, 'runs', 'session.json'), 'utf8')) as {branch: string};
		const train = git(arena.dir, 'show', `${session.branch}:train/train.py`);
		expect(train).toContain('WIDTH = 128');
		expect(train).toContain('LEARNING_RATE = 0.01');
		expect(train).not.toContain('subprocess');
		expect(git(arena.dir, 'rev-list', '--count', `main..${session.branch}`)).toBe('1');
	});

	it('records a failed proposal and goes on', async () => {
		arena = makeFakeArena();
		const proposer = new ScriptedProposer([
			() => ({description: 'edits prepare.py', edits: [{path: 'train/prepare.py', search: 'x', replace: 'y'}]}),
			() => ({description: 'escapes', edits: [{path: '../outside.py', search: 'x', replace: 'y'}]}),
			r => ({description: 'wider', edits: [replaceLine(r, 'WIDTH = 64', 'WIDTH = 128')]}),
		]);
		const {events} = await runLoop({proposer, maxExperiments: 2}, arena.dir);
		const failed = events.filter(e => e.type === 'proposal-failed').map(e => (e as {reason: string}).reason);
		expect(failed[0]).toMatch(/not an editable file/);
		expect(failed[1]).toMatch(/leaves the workspace/);
		expect(
			readResults(arena.dir)
				.slice(1)
				.map(r => r[4]),
		).toEqual(['baseline', 'wider']);
	});
});
