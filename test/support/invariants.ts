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

/**
 * Every results row well-formed; the kept rows match the branch's commits one
 * to one (the branch is the baseline plus the keeps, in order); one run folder
 * per row; no process of the session left.
 */
export function checkInvariants(workspace: string, options: {runs?: string; processes?: boolean} = {}): string[][] {
	const runs = options.runs ?? path.join(workspace, 'runs');
	const rows = resultRows(runs);
	for (const row of rows) {
		expect(row, `row ${row.join('\\t')}`).toHaveLength(5);
		expect(row[0]).toMatch(/^[0-9a-f]{7}$/);
		expect(Number.isFinite(Number(row[1]))).toBe(true);
		expect(row[1]).toMatch(/^-?\d+\.\d{6}$/);
		expect(statuses.has(row[3]!)).toBe(true);
		expect(row[4]).not.toMatch(/[\u0000-\u001f\u007f]/);
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
	if (options.processes !== false) expect(sessionProcesses(runs)).toEqual([]);
	return rows;
}
