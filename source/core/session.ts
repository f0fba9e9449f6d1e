import {existsSync, mkdirSync, readFileSync} from 'node:fs';
import path from 'node:path';
import {writeFileAtomic} from './fsutil.js';
import {Branch, dirtyPaths, excludeFromRepo, git, hasCommits, repoRoot, Worktree} from './workspace.js';

// A session: one branch, one runs/ folder, a worktree per worker. Opening it
// either starts one or picks up where a stopped (or killed) loop left off;
// recovery.ts then makes git and results.tsv agree.

export type Session = {
	tag: string;
	/** The session branch's name, `autoresearch/<tag>`. */
	branchName: string;
	branch: Branch;
	/** The user's repository root. */
	repo: string;
	/** Where program.md is, in the user's checkout. */
	workspace: string;
	/** The workspace's path inside the repository ('' at the root). */
	relative: string;
	runsDir: string;
	/** The commit the session started from: the baseline (moved on when a crashed baseline is run again on a fix). */
	base: string;
	resumed: boolean;
};

/** A worker's checkout: the worktree, and the workspace inside it (where edits land and runs happen). */
export type Checkout = {worktree: Worktree; arenaDir: string};

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
	tag?: string | undefined;
	editable: string[];
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
		for (let i = 2; await new Branch(repo, `autoresearch/${tag}`).exists(); i++) tag = `${defaultTag()}-${i}`;
	}
	const branchName = existing?.branch ?? `autoresearch/${tag}`;
	const branch = new Branch(repo, branchName);
	if (!existing && (await branch.exists())) throw new SessionError(`branch ${branchName} exists already; choose another --tag`);
	mkdirSync(runsDir, {recursive: true});
	let base = existing?.base;
	if (!base) {
		base = await git(repo, ['rev-parse', 'HEAD']);
		await branch.create(base);
		const file: SessionFile = {tag, branch: branchName, base, created: new Date().toISOString(), workspace};
		writeFileAtomic(sessionPath, JSON.stringify(file, null, 2) + '\n');
	} else if (!(await branch.exists())) {
		throw new SessionError(`the session branch ${branchName} is gone; restore it, or start a new session with --runs DIR`);
	}
	return {tag, branchName, branch, repo, workspace, relative, runsDir, base, resumed: existing !== undefined};
}

/**
 * A baseline that crashed is run again on what the user has committed since:
 * their fix. The session starts over from their HEAD (nothing was kept, so the
 * branch holds only the old base). Returns the new base, or undefined when
 * nothing was committed since.
 */
export async function adoptNewBase(session: Session): Promise<string | undefined> {
	const head = await git(session.repo, ['rev-parse', 'HEAD']);
	if (head === session.base) return undefined;
	await session.branch.move(head, await session.branch.head());
	const file = path.join(session.runsDir, 'session.json');
	const saved = JSON.parse(readFileSync(file, 'utf8')) as SessionFile;
	writeFileAtomic(file, JSON.stringify({...saved, base: head}, null, 2) + '\n');
	session.base = head;
	return head;
}

/** A worker's worktree under runs/worktrees/, at `start` when it is made. */
export async function openCheckout(session: Session, worker: string, start: string): Promise<Checkout> {
	const worktree = await Worktree.open(session.repo, path.join(session.runsDir, 'worktrees', worker), start);
	return {worktree, arenaDir: path.join(worktree.dir, session.relative)};
}
