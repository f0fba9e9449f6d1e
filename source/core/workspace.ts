import {appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync} from 'node:fs';
import path from 'node:path';
import {exec} from './exec.js';

// Git: the session lives on its own branch in its own worktree, so the
// user's checkout is never touched. A git process killed mid-command (with
// the loop, by kill -9) leaves its lock file (index.lock, a ref's .lock),
// and every later git command in that worktree fails on it: git() removes
// such a lock when no git process is at work there, says so, and tries once
// more.

export class GitError extends Error {
	override name = 'GitError';
}

/** Flags that keep a user's git config from stalling an unattended loop (signing prompts, hooks). */
const quiet = ['-c', 'commit.gpgsign=false', '-c', 'core.hooksPath=/dev/null'];

const noticeListeners = new Set<(text: string) => void>();

/** Hears what git() did on its own (a stale lock removed); the loop passes it on as a message. */
export function onGitNotice(listener: (text: string) => void): () => void {
	noticeListeners.add(listener);
	return () => noticeListeners.delete(listener);
}

function notice(text: string): void {
	if (noticeListeners.size === 0) process.stderr.write(`nightshift: ${text}\n`);
	for (const listener of noticeListeners) listener(text);
}

export async function git(cwd: string, args: string[], input?: string, raw = false): Promise<string> {
	for (let attempt = 0; ; attempt++) {
		const result = await exec('git', [...quiet, ...args], {
			cwd,
			reject: false,
			stripFinalNewline: !raw,
			...(input === undefined ? {stdin: 'ignore' as const} : {input}),
			env: {GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C'},
		});
		if (result.exitCode === 0) return String(result.stdout);
		const cause = (result.cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT' ? 'git is not installed' : '';
		const said = String(result.stderr).trim();
		const lock = /Unable to create '([^']+\.lock)': File exists/.exec(said)?.[1];
		if (lock && attempt === 0) {
			// A git of our own reading there (git show) ends in a moment: look again before calling it busy.
			let busy = liveGitIn(lockScope(lock));
			for (let look = 0; busy.length > 0 && look < 3; look++) {
				await new Promise(resolve => setTimeout(resolve, 300));
				busy = liveGitIn(lockScope(lock));
			}
			if (busy.length === 0) {
				rmSync(lock, {force: true});
				notice(`removed a stale git lock, ${lock} (left by a git process that was killed; no git process is at work there)`);
				continue;
			}
			throw new GitError(
				`git ${args.join(' ')}: ${lock} exists and git (pid ${busy.join(', ')}) is at work there; let it finish, or end it, and start again`,
			);
		}
		throw new GitError(`git ${args.join(' ')}: ${cause || (lock ? (said.split('\n')[0] ?? said) : said) || `exit ${result.exitCode}`}`);
	}
}

/** Where a git process would be at work to hold this lock: the worktree of an index.lock, else the whole repository. */
export function lockScope(lock: string): string[] {
	const dir = path.dirname(lock);
	const read = (file: string): string | undefined => {
		try {
			return readFileSync(file, 'utf8').trim();
		} catch {
			return undefined;
		}
	};
	const worktreeOf = (gitDir: string): string | undefined => {
		const pointer = read(path.join(gitDir, 'gitdir'));
		return pointer === undefined ? undefined : path.dirname(path.resolve(gitDir, pointer));
	};
	if (path.basename(lock) === 'index.lock') {
		const worktree = worktreeOf(dir);
		return worktree ? [worktree, dir] : [path.dirname(dir), dir];
	}
	let common = dir;
	while (!(existsSync(path.join(common, 'objects')) && existsSync(path.join(common, 'refs'))) && path.dirname(common) !== common) {
		common = path.dirname(common);
	}
	const scope = [common, path.dirname(common)];
	try {
		for (const name of readdirSync(path.join(common, 'worktrees'))) {
			const worktree = worktreeOf(path.join(common, 'worktrees', name));
			if (worktree) scope.push(worktree);
		}
	} catch {
		// No linked worktrees.
	}
	return scope;
}

/** Live git processes whose working directory is inside one of `dirs`. */
export function liveGitIn(dirs: readonly string[]): number[] {
	const pids: number[] = [];
	for (const entry of readdirSync('/proc')) {
		if (!/^\d+$/.test(entry)) continue;
		try {
			if (!readFileSync(`/proc/${entry}/comm`, 'utf8').startsWith('git')) continue;
			const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
			if (stat.slice(stat.lastIndexOf(')') + 2)[0] === 'Z') continue;
			const cwd = readlinkSync(`/proc/${entry}/cwd`);
			if (dirs.some(d => cwd === d || cwd.startsWith(d + path.sep))) pids.push(Number(entry));
		} catch {
			// Gone meanwhile, or not ours to read.
		}
	}
	return pids;
}

/** The repository's top level, or undefined when dir is not inside one. */
export async function repoRoot(dir: string): Promise<string | undefined> {
	try {
		return await git(dir, ['rev-parse', '--show-toplevel']);
	} catch {
		return undefined;
	}
}

export async function hasCommits(dir: string): Promise<boolean> {
	try {
		await git(dir, ['rev-parse', '--verify', 'HEAD']);
		return true;
	} catch {
		return false;
	}
}

/** `git init` plus a first commit of what is there: offered to a user whose arena is not a repo yet. */
export async function initRepo(dir: string): Promise<void> {
	await git(dir, ['init', '-q']);
	const identity = await identityArgs(dir);
	await git(dir, ['add', '-A']);
	await git(dir, [...identity, 'commit', '-q', '--allow-empty', '-m', 'nightshift: initial commit']);
}

/** Paths among `paths` with uncommitted changes (staged, unstaged or untracked). */
export async function dirtyPaths(repo: string, paths: string[]): Promise<string[]> {
	const out = await git(repo, ['status', '--porcelain', '-z', '--', ...paths]);
	return out
		.split('\0')
		.filter(Boolean)
		.map(entry => entry.slice(3));
}

/** Uses the user's identity when there is one, and a plain nightshift one when not. */
async function identityArgs(cwd: string): Promise<string[]> {
	const has = async (key: string): Promise<boolean> => {
		try {
			return (await git(cwd, ['config', key])).trim() !== '';
		} catch {
			return false;
		}
	};
	const args: string[] = [];
	if (!(await has('user.name'))) args.push('-c', 'user.name=nightshift');
	if (!(await has('user.email'))) args.push('-c', 'user.email=nightshift@localhost');
	return args;
}

/** Keeps runs/ out of `git status` in the user's checkout without editing their .gitignore. */
export function excludeFromRepo(repo: string, gitDir: string, target: string): void {
	const relative = path.relative(repo, target);
	if (relative.startsWith('..') || path.isAbsolute(relative)) return;
	const excludeFile = path.join(gitDir, 'info', 'exclude');
	const line = `/${relative.split(path.sep).join('/')}/`;
	const existing = existsSync(excludeFile) ? readFileSync(excludeFile, 'utf8') : '';
	if (existing.split('\n').includes(line)) return;
	mkdirSync(path.dirname(excludeFile), {recursive: true});
	appendFileSync(excludeFile, `${existing === '' || existing.endsWith('\n') ? '' : '\n'}# nightshift's results\n${line}\n`);
}

/**
 * One worker's checkout. It stands on a detached HEAD: a proposal is
 * committed there, on top of the best, and the session branch moves (in
 * Branch) only when that commit is kept. So several worktrees can work on
 * one branch, and a discard needs no reset of the branch.
 */
export class Worktree {
	private identity: string[] = [];

	private constructor(readonly dir: string) {}

	/**
	 * Opens a worker's worktree, adding it at `start` when it is not there.
	 * One left on a branch by an earlier nightshift is detached where it stands.
	 */
	static async open(repo: string, dir: string, start: string): Promise<Worktree> {
		if (!existsSync(path.join(dir, '.git'))) {
			await git(repo, ['worktree', 'prune']);
			mkdirSync(path.dirname(dir), {recursive: true});
			await git(repo, ['worktree', 'add', '-q', '--detach', dir, start]);
		} else if ((await git(dir, ['rev-parse', '--abbrev-ref', 'HEAD'])) !== 'HEAD') {
			await git(dir, ['checkout', '-q', '--detach']);
		}
		const worktree = new Worktree(dir);
		worktree.identity = await identityArgs(dir);
		return worktree;
	}

	/** Puts the worktree at `commit`, tracked files as committed (untracked files, e.g. caches, stay). */
	async checkout(commit: string): Promise<void> {
		await git(this.dir, ['checkout', '-q', '--detach', '--force', commit]);
	}

	/**
	 * Applies `commit`'s change on top of `onto` and commits it with the same
	 * message: a result built on an older best, carried to the new one.
	 * Undefined (and the worktree left at `onto`) when it does not apply.
	 */
	async carry(commit: string, onto: string, note: string): Promise<string | undefined> {
		await this.checkout(onto);
		try {
			await git(this.dir, ['cherry-pick', '--no-commit', commit]);
		} catch {
			await git(this.dir, ['cherry-pick', '--abort']).catch(() => undefined);
			await this.resetHard(onto);
			return undefined;
		}
		if ((await git(this.dir, ['diff', '--cached', '--name-only'])).trim() === '') {
			await this.resetHard(onto);
			return undefined;
		}
		const message = (await git(this.dir, ['log', '-1', '--format=%B', commit])).trimEnd();
		await git(this.dir, [...this.identity, 'commit', '-q', '--no-verify', '-F', '-'], `${message}\n\nnightshift: ${note}`);
		return this.head();
	}

	/** Tracked files that differ from HEAD (a run that wrote into its own code). */
	async changedFiles(): Promise<string[]> {
		const out = await git(this.dir, ['status', '--porcelain', '-z', '--untracked-files=no']);
		return out
			.split('\0')
			.filter(Boolean)
			.map(entry => entry.slice(3));
	}

	/** Files in the worktree that git does not track and .gitignore does not cover (a run that wrote into its own code). */
	async untrackedFiles(): Promise<string[]> {
		const out = await git(this.dir, ['status', '--porcelain', '-z', '--untracked-files=all']);
		return out
			.split('\0')
			.filter(entry => entry.startsWith('?? '))
			.map(entry => entry.slice(3));
	}

	/** Removes untracked files (paths relative to the worktree, from untrackedFiles()). */
	removeFiles(files: readonly string[]): void {
		for (const file of files) {
			const target = path.resolve(this.dir, file);
			if (target.startsWith(this.dir + path.sep)) rmSync(target, {force: true, recursive: true});
		}
	}

	async head(): Promise<string> {
		return git(this.dir, ['rev-parse', 'HEAD']);
	}

	async isDirty(): Promise<boolean> {
		return (await this.changedFiles()).length > 0;
	}

	/** Commits the given paths; returns the new commit's full hash. */
	async commit(paths: string[], message: string): Promise<string> {
		await git(this.dir, ['add', '--', ...paths]);
		await git(this.dir, [...this.identity, 'commit', '-q', '--no-verify', '-F', '-', '--', ...paths], message);
		return this.head();
	}

	async resetHard(commit: string): Promise<void> {
		await git(this.dir, ['reset', '-q', '--hard', commit]);
	}

	async diff(from: string, to: string): Promise<string> {
		return git(this.dir, ['diff', '--no-color', '--no-ext-diff', from, to], undefined, true);
	}

	async parent(commit: string): Promise<string | undefined> {
		try {
			return await git(this.dir, ['rev-parse', `${commit}^`]);
		} catch {
			return undefined;
		}
	}

	async resolve(rev: string): Promise<string | undefined> {
		try {
			return await git(this.dir, ['rev-parse', '--verify', '--quiet', `${rev}^{commit}`]);
		} catch {
			return undefined;
		}
	}

	/** File contents at a commit, for proposing against the best so far. */
	async show(commit: string, file: string): Promise<string> {
		return git(this.dir, ['show', `${commit}:${file}`], undefined, true);
	}
}

/**
 * The session branch, `autoresearch/<tag>`: a linear history in which every
 * commit was measured as it stands there and beat the one before. It moves
 * only by compare-and-swap, so no step can move it from a state it did not see.
 */
export class Branch {
	readonly ref: string;

	constructor(
		readonly repo: string,
		readonly name: string,
	) {
		this.ref = `refs/heads/${name}`;
	}

	async exists(): Promise<boolean> {
		return (await git(this.repo, ['branch', '--list', this.name])).trim() !== '';
	}

	async head(): Promise<string> {
		return git(this.repo, ['rev-parse', '--verify', `${this.ref}^{commit}`]);
	}

	async create(at: string): Promise<void> {
		await git(this.repo, ['branch', this.name, at]);
	}

	/** Moves the branch from `from` to `to`; fails (GitError) if it is not at `from`. */
	async move(to: string, from: string): Promise<void> {
		await git(this.repo, ['update-ref', '-m', 'nightshift', this.ref, to, from]);
	}
}
