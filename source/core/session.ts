import {existsSync, mkdirSync, readFileSync} from 'node:fs';
import path from 'node:path';
import {writeFileAtomic} from './fsutil.js';
import {listRunFolders, numberByFolders, type ResultsFile} from './results.js';
import {readRunSummary, updateRunSummary} from './run-summary.js';
import {killLeftover} from './runner.js';
import {dirtyPaths, excludeFromRepo, git, hasCommits, repoRoot, Worktree, GitError} from './workspace.js';
import type {ExperimentRecord, Status} from './types.js';

// A session: one branch, one worktree, one runs/ folder. Opening it either
// starts one or picks up where a stopped (or killed) loop left off.

export type Session = {
	tag: string;
	branch: string;
	/** The user's repository root. */
	repo: string;
	/** Where program.md is, in the user's checkout. */
	workspace: string;
	/** The workspace's path inside the repository ('' at the root). */
	relative: string;
	runsDir: string;
	worktree: Worktree;
	/** The workspace inside the session's worktree: where runs happen and edits land. */
	arenaDir: string;
	/** The commit the session started from. */
	base: string;
	resumed: boolean;
};

export class SessionError extends Error {
	override name = 'SessionError';
}

type SessionFile = {tag: string; branch: string; base: string; created: string; workspace: string};

export function defaultTag(now = new Date()): string {
	const month = now.toLocaleString('en-US', {month: 'short', timeZone: 'UTC'}).toLowerCase();
	return `${month}${now.getUTCDate()}`;
}

export async function openSession(options: {
	workspace: string;
	runsDir: string;
	tag?: string;
	editable: string[];
	worker: string;
}): Promise<Session> {
	const workspace = path.resolve(options.workspace);
	const repo = await repoRoot(workspace);
	if (!repo) {
		throw new SessionError(
			`${workspace} is not a git repository. nightshift keeps each improvement as a commit.\n` +
				`Run it with --init to create one here (git init and a first commit), or run: git init && git add -A && git commit -m init`,
		);
	}
	if (!(await hasCommits(repo))) {
		throw new SessionError(`${repo} has no commits yet: commit your arena first (git add -A && git commit -m init)`);
	}
	const relative = path.relative(repo, workspace).split(path.sep).join('/');
	const runsDir = path.resolve(options.runsDir);
	const sessionPath = path.join(runsDir, 'session.json');
	const existing = existsSync(sessionPath) ? (JSON.parse(readFileSync(sessionPath, 'utf8')) as SessionFile) : undefined;
	if (existing && options.tag && options.tag !== existing.tag) {
		throw new SessionError(
			`${runsDir} holds session ${existing.tag}; to start session ${options.tag}, give it its own folder with --runs DIR`,
		);
	}
	const gitDir = path.resolve(repo, await git(repo, ['rev-parse', '--git-common-dir']));
	excludeFromRepo(repo, gitDir, runsDir);
	const editableInRepo = options.editable.map(p => path.posix.join(relative, p));
	const dirty = await dirtyPaths(repo, editableInRepo);
	if (!existing && dirty.length > 0) {
		throw new SessionError(
			`uncommitted changes in ${dirty.join(', ')}: commit or stash them first. ` +
				`The session starts from your last commit and nightshift never discards your work.`,
		);
	}
	let tag = existing?.tag ?? options.tag ?? defaultTag();
	if (!existing && !options.tag) {
		// A branch left by an earlier session whose runs/ is gone: do not build on it.
		for (let i = 2; (await git(repo, ['branch', '--list', `autoresearch/${tag}`])).trim() !== ''; i++) {
			tag = `${defaultTag()}-${i}`;
		}
	}
	const branch = existing?.branch ?? `autoresearch/${tag}`;
	if (!existing && (await git(repo, ['branch', '--list', branch])).trim() !== '') {
		throw new SessionError(`branch ${branch} exists already; choose another --tag`);
	}
	mkdirSync(runsDir, {recursive: true});
	const worktreeDir = path.join(runsDir, 'worktrees', options.worker);
	const {worktree} = await Worktree.open(repo, worktreeDir, branch);
	const base = existing?.base ?? (await worktree.head());
	if (!existing) {
		const file: SessionFile = {tag, branch, base, created: new Date().toISOString(), workspace};
		writeFileAtomic(sessionPath, JSON.stringify(file, null, 2) + '\n');
	}
	const arenaDir = path.join(worktree.dir, relative);
	return {tag, branch, repo, workspace, relative, runsDir, worktree, arenaDir, base, resumed: existing !== undefined};
}

export type Recovery = {
	records: ExperimentRecord[];
	/** The commit the branch must be at: the last kept one, or the session's base. */
	bestCommit: string;
	best: ExperimentRecord | undefined;
	baseline: ExperimentRecord | undefined;
	notes: string[];
};

function lastKept(records: ExperimentRecord[]): ExperimentRecord | undefined {
	for (let i = records.length - 1; i >= 0; i--) if (records[i]!.status === 'keep') return records[i];
	return undefined;
}

/**
 * Makes git and results.tsv agree after any stop, kill -9 included. The
 * order the loop writes in (commit, run folder, summary.json, results row,
 * reset) means each interrupted step leaves a sign to finish from.
 */
export async function recover(session: Session, results: ResultsFile): Promise<Recovery> {
	const notes: string[] = [];
	const {worktree} = session;
	// First end any run the killed loop left training: it would write to the worktree and the log.
	for (const folder of listRunFolders(session.runsDir)) {
		const summary = readRunSummary(folder.dir);
		if (typeof summary?.pid === 'number' && summary.status === 'running' && killLeftover(summary.pid, folder.dir)) {
			notes.push(`ended experiment ${folder.n}'s process, left running by the stopped loop`);
		}
	}
	const loaded = results.load();
	notes.push(...loaded.problems);
	let records = numberByFolders(loaded.records, listRunFolders(session.runsDir));
	if (await worktree.isDirty()) {
		// Killed between writing the edit and committing it: that edit never ran.
		await worktree.resetHard('HEAD');
		notes.push('discarded an edit that was applied but never committed (the loop stopped in between)');
	}
	const head = await worktree.head();
	const known = new Set(records.map(r => r.commit));
	const short = head.slice(0, 7);
	const isBase = head === session.base;
	if (!isBase && !known.has(short)) {
		const folder = listRunFolders(session.runsDir).find(f => f.commit === short);
		const summary = folder ? readRunSummary(folder.dir) : undefined;
		const judged = summary?.status !== undefined && summary.status !== 'running';
		const description = summary?.description ?? (await git(worktree.dir, ['log', '-1', '--format=%s', head]));
		if (folder && summary && judged) {
			const record: ExperimentRecord = {
				row: records.length + 1,
				n: folder.n,
				commit: short,
				metric: summary.metric ?? null,
				memoryGb: summary.memory_gb ?? 0,
				status: summary.status as Status,
				description,
			};
			results.append(record);
			records = [...records, record];
			notes.push(`experiment ${folder.n} (${short}) was judged ${record.status} but not recorded: recorded it now`);
		} else if (folder) {
			const record: ExperimentRecord = {
				row: records.length + 1,
				n: folder.n,
				commit: short,
				metric: null,
				memoryGb: 0,
				status: 'crash',
				description,
			};
			updateRunSummary(
				folder.dir,
				{n: folder.n, commit: short, description},
				{
					status: 'crash',
					metric: null,
					description,
					reason: 'interrupted: the loop stopped during this run',
					ended_at: new Date().toISOString(),
				},
			);
			results.append(record);
			records = [...records, record];
			notes.push(`experiment ${folder.n} (${short}) was interrupted: recorded as crash`);
		} else {
			notes.push(`commit ${short} was made but never ran: dropped it`);
		}
	}
	const best = lastKept(records);
	const bestCommit = best ? await worktree.resolve(best.commit) : session.base;
	if (!bestCommit) throw new GitError(`the kept commit ${best!.commit} is not in the repository any more`);
	if ((await worktree.head()) !== bestCommit) {
		await worktree.resetHard(bestCommit);
		notes.push(`reset ${session.branch} to the best commit ${bestCommit.slice(0, 7)}`);
	}
	// Run folders left without a verdict (killed before summary.json was final).
	for (const folder of listRunFolders(session.runsDir)) {
		for (const file of ['run.log', 'diff.patch']) {
			if (!existsSync(path.join(folder.dir, file))) writeFileAtomic(path.join(folder.dir, file), '');
		}
		const summary = readRunSummary(folder.dir);
		if (summary === undefined || summary.status === 'running') {
			updateRunSummary(
				folder.dir,
				{n: folder.n, commit: folder.commit, description: summary?.description ?? ''},
				{status: 'crash', metric: null, reason: 'interrupted: the loop stopped during this run'},
			);
		}
	}
	const baseline = records.find(r => r.status === 'keep');
	return {records, bestCommit, best, baseline, notes};
}
