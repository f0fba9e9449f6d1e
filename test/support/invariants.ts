import {existsSync, readdirSync, readFileSync} from 'node:fs';
import path from 'node:path';
import {expect} from 'vitest';
import {git} from './workspace.js';

// The invariants every fault test checks after the fault and a restart: what
// the loop promises however it was stopped. One checker, so each test says
// the same thing the same way.

const statuses = new Set(['keep', 'discard', 'crash', 'rerun']);

export function resultRows(runs: string): string[][] {
	const file = path.join(runs, 'results.tsv');
	if (!existsSync(file)) return [];
	const text = readFileSync(file, 'utf8');
	expect(text === '' || text.endsWith('\n'), 'results.tsv ends with a whole line').toBe(true);
	const [header, ...lines] = text.trimEnd().split('\n');
	expect(header?.split('\t')).toHaveLength(5);
	return lines.map(l => l.split('\t'));
}

/** Processes whose environment names a run folder under `runs` (a run of this session). */
export function sessionProcesses(runs: string): number[] {
	const pids: number[] = [];
	for (const entry of readdirSync('/proc')) {
		if (!/^\d+$/.test(entry)) continue;
		try {
			const env = readFileSync(`/proc/${entry}/environ`, 'utf8');
			const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
			if (stat.slice(stat.lastIndexOf(')') + 2)[0] === 'Z') continue;
			if (env.split('\0').some(v => v.startsWith(`NIGHTSHIFT_RUN_DIR=${runs}/`))) pids.push(Number(entry));
		} catch {
			// Gone, or not ours to read.
		}
	}
	return pids;
}

/** Files a failed write could leave: fsutil's temp files (`.name.pid.time.tmp`), anywhere under runs/ but the worktrees. */
export function tempFiles(runs: string): string[] {
	const found: string[] = [];
	const walk = (dir: string): void => {
		for (const entry of readdirSync(dir, {withFileTypes: true})) {
			const full = path.join(dir, entry.name);
			if (entry.isDirectory() && entry.name !== 'worktrees') walk(full);
			else if (entry.isFile() && /^\..*\.tmp$/.test(entry.name)) found.push(full);
		}
	};
	if (existsSync(runs)) walk(runs);
	return found;
}

/**
 * Every results row well-formed; the kept rows match the branch's commits one
 * to one (the branch is the baseline plus the keeps, in order); one run folder
 * per row (as many rows of a commit as folders of it, one folder a number); no
 * process of the session left; no temp file left by a failed write; every
 * worktree as committed (a run changed nothing there, or it was put back); no
 * lock held by a process that is gone.
 */
export function checkInvariants(workspace: string, options: {runs?: string; processes?: boolean; worktrees?: boolean} = {}): string[][] {
	const runs = options.runs ?? path.join(workspace, 'runs');
	const rows = resultRows(runs);
	for (const row of rows) {
		expect(row, `row ${row.join('\\t')}`).toHaveLength(5);
		expect(row[0]).toMatch(/^[0-9a-f]{7}$/);
		expect(Number.isFinite(Number(row[1]))).toBe(true);
		expect(row[1]).toMatch(/^-?\d+\.\d{6}$/);
		expect(statuses.has(row[3]!)).toBe(true);
		expect(
			[...row[4]!].filter(c => c < ' ' || c === '\u007f'),
			'no control byte in a description',
		).toEqual([]);
	}
	const session = JSON.parse(readFileSync(path.join(runs, 'session.json'), 'utf8')) as {branch: string; base: string};
	const onBranch = git(workspace, 'rev-list', '--reverse', `${session.base}..${session.branch}`)
		.split('\n')
		.filter(Boolean)
		.map(c => c.slice(0, 7));
	const kept = rows.filter(r => r[3] === 'keep').map(r => r[0]!);
	// The baseline is the session's base commit; every later keep is one commit on the branch.
	expect(onBranch).toEqual(kept.slice(1));
	const folders = readdirSync(runs).filter(f => /^\d{4,}-[0-9a-f]+$/.test(f));
	expect(folders.length, 'one run folder per row').toBe(rows.length);
	const byCommit = new Map<string, number>();
	for (const r of rows) byCommit.set(r[0]!, (byCommit.get(r[0]!) ?? 0) + 1);
	for (const folder of folders) {
		const commit = folder.split('-')[1]!;
		expect(byCommit.get(commit), `a row for ${folder}`).toBeGreaterThan(0);
		for (const file of ['run.log', 'diff.patch', 'summary.json'])
			expect(existsSync(path.join(runs, folder, file)), `${folder}/${file}`).toBe(true);
		const summary = JSON.parse(readFileSync(path.join(runs, folder, 'summary.json'), 'utf8')) as {status: string};
		expect(statuses.has(summary.status), `${folder} is decided (${summary.status})`).toBe(true);
	}
	const numbers = folders.map(f => Number(f.split('-')[0]));
	expect(new Set(numbers).size, 'one run folder a number').toBe(numbers.length);
	const foldersOf = new Map<string, number>();
	for (const folder of folders) foldersOf.set(folder.split('-')[1]!, (foldersOf.get(folder.split('-')[1]!) ?? 0) + 1);
	expect(Object.fromEntries(byCommit), 'as many rows of a commit as run folders of it').toEqual(Object.fromEntries(foldersOf));
	expect(tempFiles(runs), 'no temp file left').toEqual([]);
	const worktrees = path.join(runs, 'worktrees');
	if (options.worktrees !== false && existsSync(worktrees)) {
		for (const name of readdirSync(worktrees)) {
			if (!existsSync(path.join(worktrees, name, '.git'))) continue;
			expect(git(path.join(worktrees, name), 'status', '--porcelain'), `worktree ${name} as committed`).toBe('');
		}
	}
	const lock = path.join(runs, 'nightshift.lock');
	if (existsSync(lock)) {
		const holder = JSON.parse(readFileSync(lock, 'utf8')) as {pid: number};
		expect(existsSync(`/proc/${holder.pid}`), `the lock's holder ${holder.pid} is alive`).toBe(true);
	}
	if (options.processes !== false) expect(sessionProcesses(runs)).toEqual([]);
	return rows;
}
