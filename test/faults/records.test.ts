import {spawn} from 'node:child_process';
import {appendFileSync, existsSync, readdirSync, readFileSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import {GitError, git as coreGit, onGitNotice} from '../../source/core/workspace.js';
import {checkInvariants, resultRows, sessionProcesses} from '../support/invariants.js';
import {faultTrain, makeFaultArena, messages, runLoop, startLoop, until, widen} from '../support/faults.js';
import {replaceLine, ScriptedProposer} from '../support/scripted-proposer.js';
import {SearchProposer} from '../../source/proposers/search.js';
import {git, gone, type TempArena} from '../support/workspace.js';

// What the loop writes must survive what the model says and what a kill
// leaves: a NUL byte in the model's text (git refuses such a commit
// message; it stopped the loop and left the worktree dirty), a torn last
// line of results.tsv (killed mid-append), a stale index.lock in the
// worktree (a git process killed with the loop; it killed the loop at the
// first commit with git's text and a stack trace).

let arena: TempArena | undefined;
afterEach(() => {
	arena?.cleanup();
	arena = undefined;
});

describe('records', () => {
	it("a NUL byte (and escape sequences) in the model's text: committed cleanly, the loop goes on, the worktree stays clean", async () => {
		arena = makeFaultArena();
		const proposer = new ScriptedProposer([
			r => ({
				...widen(r),
				description: 'wider\0 model\u001b[31m red\u0007',
				rationale: 'because\0 it\u001b]0;title\u0007 helps',
			}),
			r => ({description: 'faster', edits: [replaceLine(r, 'LEARNING_RATE = 0.01', 'LEARNING_RATE = 0.02')]}),
		]);
		const {events} = await runLoop(arena.dir, {proposer, maxExperiments: 3});
		expect(messages(events, 'error')).toEqual([]);
		const runs = path.join(arena.dir, 'runs');
		const rows = resultRows(runs);
		expect(rows).toHaveLength(3);
		expect(rows[1]![4]).toMatch(/^wider model red$/);
		const commit = readFileSync(
			path.join(
				runs,
				readdirSync(runs).find(f => f.startsWith('0002-'))!,
				'summary.json',
			),
			'utf8',
		);
		const full = (JSON.parse(commit) as {commit_full: string}).commit_full;
		const message = git(arena.dir, 'log', '-1', '--format=%B', full);
		expect([...message].filter(c => c !== '\n' && (c < ' ' || c === '\u007f'))).toEqual([]);
		expect(message).toMatch(/^wider model red\n\nbecause it helps/);
		checkInvariants(arena.dir);
	});

	it('a torn last line of results.tsv (killed mid-append) is set aside and the row recorded again from its run folder', async () => {
		arena = makeFaultArena();
		await runLoop(arena.dir, {proposer: new SearchProposer(), maxExperiments: 3});
		const runs = path.join(arena.dir, 'runs');
		const file = path.join(runs, 'results.tsv');
		const text = readFileSync(file, 'utf8');
		const lines = text.trimEnd().split('\n');
		const last = lines.pop()!;
		// As a kill mid-write leaves it: the last row cut half-way, no newline.
		writeFileSync(file, lines.join('\n') + '\n' + last.slice(0, Math.floor(last.length / 2)));
		const {events} = await runLoop(arena.dir, {proposer: new SearchProposer(), maxExperiments: 4});
		expect(messages(events, 'warn').join('\n')).toMatch(/results\.tsv ended in a torn line; it is kept in results\.torn-.*\.tsv/);
		const rows = resultRows(runs);
		expect(rows).toHaveLength(4);
		expect(rows[2]!.join('\t')).toBe(last);
		expect(readdirSync(runs).filter(f => /^results\.torn-/.test(f))).toHaveLength(1);
		checkInvariants(arena.dir);
	});

	it('a stale index.lock in the worktree (its git killed) is removed, saying so, and the loop goes on', async () => {
		arena = makeFaultArena();
		await runLoop(arena.dir, {proposer: new SearchProposer(), maxExperiments: 1});
		const lock = path.join(arena.dir, '.git', 'worktrees', 'w0', 'index.lock');
		writeFileSync(lock, '');
		const {events} = await runLoop(arena.dir, {proposer: new SearchProposer(), maxExperiments: 3});
		expect(messages(events, 'warn').join('\n')).toMatch(/removed a stale git lock, .*worktrees\/w0\/index\.lock/);
		expect(messages(events, 'error')).toEqual([]);
		expect(existsSync(lock)).toBe(false);
		expect(resultRows(path.join(arena.dir, 'runs'))).toHaveLength(3);
		checkInvariants(arena.dir);
	});

	it('a lock held by a live git process in that worktree is left alone, and the error says which process', async () => {
		arena = makeFaultArena();
		const worktree = path.join(arena.dir, 'runs', 'worktrees', 'w0');
		git(arena.dir, 'worktree', 'add', '-q', '--detach', worktree);
		const lock = path.join(arena.dir, '.git', 'worktrees', 'w0', 'index.lock');
		appendFileSync(lock, '');
		// A git at work in the worktree: waits on its stdin for as long as the test wants.
		const busy = spawn('git', ['cat-file', '--batch'], {cwd: worktree, stdio: ['pipe', 'ignore', 'ignore']});
		try {
			await new Promise(r => setTimeout(r, 200));
			const attempt = coreGit(worktree, ['add', '-A']);
			await expect(attempt).rejects.toThrow(GitError);
			await expect(coreGit(worktree, ['add', '-A'])).rejects.toThrow(
				new RegExp(`index\\.lock exists and git \\(pid ${busy.pid}\\) is at work there`),
			);
			expect(existsSync(lock)).toBe(true);
		} finally {
			busy.stdin.end();
			busy.kill('SIGKILL');
		}
		expect(await gone([busy.pid!])).toBe(true);
		const said: string[] = [];
		const stop = onGitNotice(text => said.push(text));
		try {
			await coreGit(worktree, ['add', '-A']);
		} finally {
			stop();
		}
		expect(existsSync(lock)).toBe(false);
		expect(said).toEqual([expect.stringMatching(/^removed a stale git lock, .*index\.lock/)]);
	});

	it('a baseline run killed -9 from outside (the OOM killer, say): its own crash row, the baseline again under a new number, the session goes on', async () => {
		arena = makeFaultArena({baseline_runs: 2}, faultTrain.replace('SLEEP = 0.0', 'SLEEP = 2.0'));
		const runs = path.join(arena.dir, 'runs');
		const proposer = new ScriptedProposer([r => widen(r)]);
		const {events, done} = await startLoop(arena.dir, {proposer, maxExperiments: 3});
		// The first baseline run's processes, killed as the kernel would: SIGKILL, not from the loop.
		await until(() => events.some(e => e.type === 'run-start') && sessionProcesses(runs).length > 0, 20_000, 'the first run');
		for (const pid of sessionProcesses(runs)) process.kill(pid, 'SIGKILL');
		await done;
		const rows = checkInvariants(arena.dir);
		expect(rows.map(r => [r[3], r[4]])).toEqual([
			['crash', 'baseline'],
			['keep', 'baseline [mean of 2 runs]'],
			['rerun', 're-run of #2'],
			['keep', 'WIDTH 128'],
		]);
		const folders = readdirSync(runs).filter(f => /^\d{4,}-/.test(f));
		const killed = folders.find(f => f.startsWith('0001-'))!;
		expect(JSON.parse(readFileSync(path.join(runs, killed, 'summary.json'), 'utf8'))).toMatchObject({
			status: 'crash',
			reason: expect.stringMatching(/^killed from outside \(.*SIGKILL.*\); the baseline runs again$/),
		});
		expect(messages(events, 'warn')).toContainEqual(
			expect.stringMatching(/^the baseline run #1 was killed from outside .*; running it again$/),
		);
		// The baseline's verdict is under its new number and is the mean of the two runs that finished.
		expect(
			events.some(e => e.type === 'run-end' && e.record.description.startsWith('baseline') && e.record.status === 'keep' && e.n === 2),
		).toBe(true);
	});
});
