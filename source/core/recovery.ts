import {existsSync, mkdirSync, readdirSync, renameSync} from 'node:fs';
import path from 'node:path';
import type {RunRecord} from './ledger.js';
import {listRunFolders, numberByFolders, type ResultsFile, type RunFolder} from './results.js';
import {readRunSummary, updateRunSummary, type RunSummary} from './run-summary.js';
import {killLeftover} from './runner.js';
import type {Session} from './session.js';
import type {ExperimentRecord, Status} from './types.js';
import {git, GitError, Worktree} from './workspace.js';

// Makes git and results.tsv agree after any stop, kill -9 included. The
// order the loop writes in (commit, run folder, `running`, `measured`, the
// verdict in summary.json, the rows, the branch) means each interrupted step
// leaves a sign to finish from. docs/ARCHITECTURE.md has the table; each
// row of it is a test in test/core/recovery.test.ts.

/** An experiment that had begun but has no verdict: the loop measures it again from where it stands. */
export type Pending = {
	group: number;
	summary: Partial<RunSummary>;
	/** Its runs that finished (each with its own value), oldest first. */
	measured: RunRecord[];
};

export type Recovery = {
	records: ExperimentRecord[];
	runs: RunRecord[];
	/** The commit the branch stands on: the last kept one, or the session's base. */
	bestCommit: string;
	pending: Pending[];
	notes: string[];
};

const decided = new Set<string>(['keep', 'discard', 'crash', 'rerun']);

export function runRecord(folder: RunFolder, summary: Partial<RunSummary> | undefined): RunRecord {
	const value = summary?.run_metric !== undefined ? summary.run_metric : (summary?.metric ?? null);
	return {
		n: folder.n,
		commit: folder.commit,
		group: summary?.group ?? folder.n,
		role: summary?.role ?? (summary?.description === 'baseline' ? 'baseline' : 'candidate'),
		status: summary?.status ?? 'running',
		value: typeof value === 'number' && Number.isFinite(value) ? value : null,
		budget: summary?.budget_seconds,
	};
}

/** Moves an interrupted run's folder aside (its partial log is kept) so the experiment can run again under its number. */
function setAside(runsDir: string, folder: RunFolder): void {
	const aside = path.join(runsDir, 'interrupted');
	mkdirSync(aside, {recursive: true});
	const name = path.basename(folder.dir);
	let target = path.join(aside, name);
	for (let k = 2; existsSync(target); k++) target = path.join(aside, `${name}.${k}`);
	renameSync(folder.dir, target);
}

/** The rows a decided run gives: a verdict row carries the judged metric, a re-run row its own value. */
function rowOf(folder: RunFolder, summary: Partial<RunSummary>, row: number): ExperimentRecord {
	return {
		row,
		n: folder.n,
		commit: folder.commit,
		metric: summary.status === 'crash' ? null : (summary.metric ?? null),
		memoryGb: summary.memory_gb ?? 0,
		status: summary.status as Status,
		description: summary.status === 'rerun' ? `re-run of #${summary.group ?? folder.n}` : (summary.description ?? ''),
	};
}

export async function recover(session: Session, results: ResultsFile): Promise<Recovery> {
	const notes: string[] = [];
	const {runsDir} = session;
	// 1. End any run the killed loop left training: it would write to the worktree and the log.
	for (const folder of listRunFolders(runsDir)) {
		const summary = readRunSummary(folder.dir);
		if (typeof summary?.pid === 'number' && summary.status === 'running' && killLeftover(summary.pid, folder.dir)) {
			notes.push(`ended experiment ${folder.n}'s process, left running by the stopped loop`);
		}
	}
	// 2. A run that never finished is no result: set it aside; its experiment runs again.
	const interrupted = new Map<number, Partial<RunSummary>>();
	for (const folder of listRunFolders(runsDir)) {
		const summary = readRunSummary(folder.dir);
		if (summary !== undefined && summary.status !== 'running') continue;
		setAside(runsDir, folder);
		if (summary) interrupted.set(folder.n, summary);
		notes.push(`experiment ${folder.n} (${folder.commit}) was interrupted; it will run again`);
	}
	// 3. A worktree left with edits applied but not committed: that edit never ran.
	const worktrees = path.join(runsDir, 'worktrees');
	for (const name of existsSync(worktrees) ? readdirSync(worktrees) : []) {
		const dir = path.join(worktrees, name);
		if (!existsSync(path.join(dir, '.git'))) continue;
		const worktree = await Worktree.open(session.repo, dir, session.base);
		if (await worktree.isDirty()) {
			await worktree.resetHard('HEAD');
			notes.push(`discarded an edit that was applied but never committed in ${name} (the loop stopped in between)`);
		}
		const head = await worktree.head();
		const short = head.slice(0, 7);
		const ran = listRunFolders(runsDir).some(f => f.commit === short) || [...interrupted.values()].some(s => s.commit === short);
		if (!ran && head !== (await session.branch.head())) {
			await worktree.checkout(await session.branch.head());
			notes.push(`commit ${short} was made but never ran: dropped it`);
		}
	}
	// 4. A torn last row (killed mid-write) is set aside, and the rows the folders say are missing appended.
	const torn = results.setAsideTornTail();
	if (torn)
		notes.push(`results.tsv ended in a torn line; it is kept in ${path.basename(torn)} and the row recorded again from its run folder`);
	const loaded = results.load();
	notes.push(...loaded.problems);
	let records = loaded.records;
	const folders = listRunFolders(runsDir).map(folder => ({folder, summary: readRunSummary(folder.dir)}));
	const rowsOf = new Map<string, number>();
	for (const r of records) rowsOf.set(r.commit, (rowsOf.get(r.commit) ?? 0) + 1);
	const firstStatus = new Map(folders.map(({folder, summary}) => [folder.n, summary?.status]));
	const seen = new Map<string, number>();
	for (const {folder, summary} of folders) {
		if (!summary) continue;
		// A re-run whose experiment was decided but which did not yet say so (killed between the two writes).
		const group = summary.group ?? folder.n;
		if (summary.status === 'measured' && group !== folder.n && decided.has(firstStatus.get(group) ?? '')) {
			updateRunSummary(
				folder.dir,
				{n: folder.n, commit: folder.commit, description: summary.description ?? ''},
				{status: 'rerun', metric: summary.run_metric ?? null},
			);
			summary.status = 'rerun';
			summary.metric = summary.run_metric ?? null;
		}
		if (!decided.has(summary.status ?? '')) continue;
		const count = (seen.get(folder.commit) ?? 0) + 1;
		seen.set(folder.commit, count);
		if (count <= (rowsOf.get(folder.commit) ?? 0)) continue;
		const record = rowOf(folder, summary, records.length + 1);
		results.append(record);
		records = [...records, record];
		notes.push(`experiment ${folder.n} (${folder.commit}) was judged ${summary.status} but not recorded: recorded it now`);
	}
	records = enrich(numberByFolders(records, listRunFolders(runsDir)), runsDir);
	// 5. The branch stands on the last kept commit (a kill between the keep's row and the branch's move leaves it behind).
	const best = [...records].reverse().find(r => r.status === 'keep');
	const bestCommit = best ? await resolveShort(session, best.commit) : session.base;
	const head = await session.branch.head();
	if (head !== bestCommit) {
		await session.branch.move(bestCommit, head);
		notes.push(`moved ${session.branchName} to the best commit ${bestCommit.slice(0, 7)}`);
	}
	// 6. Experiments begun and not decided: measured again from where they stand.
	const runs = listRunFolders(runsDir).map(folder => runRecord(folder, readRunSummary(folder.dir)));
	const pending = new Map<number, Pending>();
	const summaryOf = (group: number): Partial<RunSummary> => {
		const folder = listRunFolders(runsDir).find(f => f.n === group);
		return (folder ? readRunSummary(folder.dir) : undefined) ?? interrupted.get(group) ?? {};
	};
	for (const run of runs) {
		if (run.status !== 'measured') continue;
		const entry = pending.get(run.group) ?? {group: run.group, summary: summaryOf(run.group), measured: []};
		entry.measured.push(run);
		pending.set(run.group, entry);
	}
	for (const [n, summary] of interrupted) {
		const group = summary.group ?? n;
		if (!pending.has(group) && group === n)
			pending.set(group, {group, summary: {...summary, interrupted: (summary.interrupted ?? 0) + 1}, measured: []});
	}
	return {records, runs, bestCommit, pending: [...pending.values()].sort((a, b) => a.group - b.group), notes};
}

/** What results.tsv has no column for, from each row's summary.json: budget, runs, the difference from the best and its noise band, the reason, the worker. */
function enrich(records: ExperimentRecord[], runsDir: string): ExperimentRecord[] {
	const dirs = new Map(listRunFolders(runsDir).map(f => [f.n, f.dir]));
	return records.map(record => {
		const dir = dirs.get(record.n);
		const s = dir ? readRunSummary(dir) : undefined;
		if (!s) return record;
		return {
			...record,
			...(s.budget_seconds === undefined ? {} : {budget: s.budget_seconds}),
			...(s.runs === undefined ? {} : {runs: s.runs}),
			...(s.delta === undefined ? {} : {delta: s.delta}),
			...(s.band === undefined ? {} : {band: s.band}),
			...(s.reason === undefined ? {} : {reason: s.reason}),
			...(s.worker === undefined ? {} : {worker: s.worker}),
			...(record.status === 'rerun' && s.group !== undefined && s.group !== record.n ? {of: s.group} : {}),
			...(s.overruled ? {overruled: true} : {}),
			...((s.decided_at ?? s.ended_at) ? {endedAt: (s.decided_at ?? s.ended_at)!} : {}),
			...(s.seconds === undefined ? {} : {seconds: s.seconds}),
		};
	});
}

async function resolveShort(session: Session, commit: string): Promise<string> {
	try {
		return await git(session.repo, ['rev-parse', '--verify', `${commit}^{commit}`]);
	} catch {
		throw new GitError(`the kept commit ${commit} is not in the repository any more`);
	}
}
