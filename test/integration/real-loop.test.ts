import {existsSync, readFileSync, readdirSync} from 'node:fs';
import path from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {SearchProposer} from '../../source/proposers/search.js';
import type {LoopEvent} from '../../source/core/events.js';
import {Loop} from '../../source/core/loop.js';
import {ScriptedProposer, replaceLine} from '../support/scripted-proposer.js';
import {copyBundledArena, git, gone, torchPython, type TempArena} from '../support/workspace.js';
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';

// The real train/train.py on the CPU with a budget of seconds, real git, real
// processes. The data cache is shared by the tests in this file and removed after.

let cache: string;
beforeAll(() => {
	cache = mkdtempSync(path.join(tmpdir(), 'nightshift-cache-'));
});
afterAll(() => rmSync(cache, {recursive: true, force: true}));

async function run(arena: TempArena, proposer: ConstructorParameters<typeof Loop>[0]['proposer'], maxExperiments: number) {
	const loop = new Loop({
		workspace: arena.dir,
		proposer,
		maxExperiments,
		python: torchPython,
		env: {NIGHTSHIFT_CACHE: cache},
		killGraceSeconds: 1,
	});
	const events: LoopEvent[] = [];
	loop.subscribe(e => events.push(e));
	await loop.setup();
	await loop.run();
	const rows = readFileSync(path.join(arena.dir, 'runs', 'results.tsv'), 'utf8')
		.trim()
		.split('\n')
		.map(l => l.split('\t'));
	return {events, rows};
}

describe('the loop on the real arena', () => {
	it('runs the baseline and search experiments: results, branch and run folders agree', async () => {
		const arena = copyBundledArena({budget: 3, baseline_runs: 1});
		try {
			const {rows, events} = await run(arena, new SearchProposer({device: 'cpu'}), 3);
			expect(rows[0]).toEqual(['commit', 'val_bpb', 'memory_gb', 'status', 'description']);
			expect(rows).toHaveLength(4);
			let best = Infinity;
			const kept: string[] = [];
			for (const [commit, metric, , status] of rows.slice(1)) {
				expect(status).not.toBe('crash');
				expect(status).toBe(Number(metric) < best ? 'keep' : 'discard');
				if (status === 'keep') {
					best = Number(metric);
					kept.push(commit!);
				}
			}
			const session = JSON.parse(readFileSync(path.join(arena.dir, 'runs', 'session.json'), 'utf8')) as {branch: string; base: string};
			const onBranch = git(arena.dir, 'rev-list', '--reverse', `${session.base}..${session.branch}`)
				.split('\n')
				.filter(Boolean)
				.map(c => c.slice(0, 7));
			expect(onBranch).toEqual(kept.slice(1));
			for (const folder of readdirSync(path.join(arena.dir, 'runs')).filter(f => /^\d{4}-/.test(f))) {
				const dir = path.join(arena.dir, 'runs', folder);
				for (const file of ['run.log', 'diff.patch', 'summary.json']) expect(existsSync(path.join(dir, file))).toBe(true);
				const summary = JSON.parse(readFileSync(path.join(dir, 'summary.json'), 'utf8')) as {summary: Record<string, number>};
				for (const key of [
					'val_bpb',
					'training_seconds',
					'total_seconds',
					'peak_vram_mb',
					'mfu_percent',
					'total_tokens_M',
					'num_steps',
					'num_params_M',
					'depth',
				]) {
					expect(typeof summary.summary[key]).toBe('number');
				}
				expect(readFileSync(path.join(dir, 'run.log'), 'utf8')).toMatch(/step \d{5} \([\d.]+%\) \| loss: [\d.]+.*\r/);
			}
			expect(events.some(e => e.type === 'progress')).toBe(true);
		} finally {
			arena.cleanup();
		}
	});

	it('records a syntax error, a NaN and a hang past the timeout as crashes, reverts them, and leaves no process', async () => {
		// Unsandboxed: the pid file is written outside the run folder and its pids are this machine's (test/faults covers the sandbox).
		const arena = copyBundledArena({budget: 2, timeout: 12, baseline_runs: 1, sandbox: 'off'});
		const pidFile = path.join(arena.dir, 'hang.pid');
		try {
			const lr = (r: Parameters<typeof replaceLine>[0]) => {
				const line = r.files['train/train.py']!.split('\n').find(l => /^LEARNING_RATE\s*=/.test(l))!;
				return {path: 'train/train.py', search: line, replace: line.replace(/=\s*[^#]+/, '= 1e6  ')};
			};
			const proposer = new ScriptedProposer([
				r => ({
					description: 'syntax error',
					edits: [replaceLine(r, '# --- hyperparameters ---', 'def broken(:\n# --- hyperparameters ---')],
				}),
				r => ({description: 'learning rate 1e6', edits: [lr(r)]}),
				r => ({
					description: 'hang',
					edits: [
						replaceLine(
							r,
							'# --- hyperparameters ---',
							`import os as _os, subprocess as _sp, time as _time\n_c = _sp.Popen(["sleep", "600"])\nopen(${JSON.stringify(pidFile)}, "w").write(f"{_os.getpid()} {_c.pid}")\n_time.sleep(600)\n# --- hyperparameters ---`,
						),
					],
				}),
			]);
			const {rows, events} = await run(arena, proposer, 4);
			expect(rows.slice(1).map(r => [r[3], r[4]])).toEqual([
				['keep', 'baseline'],
				['crash', 'syntax error'],
				['crash', 'learning rate 1e6'],
				['crash', 'hang'],
			]);
			const reasons = events.flatMap(e => (e.type === 'run-end' ? [e.reason] : []));
			expect(reasons.slice(1)).toEqual([
				expect.stringMatching(/exit status/),
				expect.stringMatching(/FAIL/),
				expect.stringMatching(/timeout/),
			]);
			expect(await gone(readFileSync(pidFile, 'utf8').split(' ').map(Number))).toBe(true);
			const session = JSON.parse(readFileSync(path.join(arena.dir, 'runs', 'session.json'), 'utf8')) as {branch: string; base: string};
			expect(git(arena.dir, 'rev-parse', session.branch)).toBe(session.base);
			expect(git(arena.dir, 'status', '--porcelain', '--untracked-files=no')).toBe('');
		} finally {
			arena.cleanup();
		}
	});
});
