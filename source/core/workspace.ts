import {appendFileSync, existsSync, mkdirSync, readFileSync} from 'node:fs';
import path from 'node:path';
import {exec} from './exec.js';

// Git: the session lives on its own branch in its own worktree, so the
// user's checkout is never touched.

export class GitError extends Error {
	override name = 'GitError';
}

/** Flags that keep a user's git config from stalling an unattended loop (signing prompts, hooks). */
const quiet = ['-c', 'commit.gpgsign=false', '-c', 'core.hooksPath=/dev/null'];

export async function git(cwd: string, args: string[], input?: string, raw = false): Promise<string> {
	const result = await exec('git', [...quiet, ...args], {
		cwd,
		reject: false,
		stripFinalNewline: !raw,
		...(input === undefined ? {stdin: 'ignore' as const} : {input}),
		env: {GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C'},
	});
	if (result.exitCode !== 0) {
		const cause = (result.cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT' ? 'git is not installed' : '';
		throw new GitError(`git ${args.join(' ')}: ${cause || String(result.stderr).trim() || `exit ${result.exitCode}`}`);
	}
	return String(result.stdout);
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

export class Worktree {
	private identity: string[] = [];

	private constructor(
		readonly dir: string,
		readonly branch: string,
	) {}

	/**
	 * Opens the session's worktree, creating the branch at the user's HEAD
	 * and the worktree as needed. An existing one is reused as it is.
	 */
	static async open(repo: string, dir: string, branch: string): Promise<{worktree: Worktree; createdBranch: boolean}> {
		let createdBranch = false;
		const exists = await git(repo, ['branch', '--list', branch]).then(out => out.trim() !== '');
		const registered = existsSync(path.join(dir, '.git'));
		if (!registered) {
			await git(repo, ['worktree', 'prune']);
			mkdirSync(path.dirname(dir), {recursive: true});
			if (exists) await git(repo, ['worktree', 'add', '-q', dir, branch]);
			else {
				await git(repo, ['worktree', 'add', '-q', '-b', branch, dir, 'HEAD']);
				createdBranch = true;
			}
		}
		const worktree = new Worktree(dir, branch);
		const current = await git(dir, ['rev-parse', '--abbrev-ref', 'HEAD']);
		if (current !== branch) {
			throw new GitError(`${dir} is on ${current}, not on the session branch ${branch}; move or remove it`);
		}
		worktree.identity = await identityArgs(dir);
		return {worktree, createdBranch};
	}

	async head(): Promise<string> {
		return git(this.dir, ['rev-parse', 'HEAD']);
	}

	async isDirty(): Promise<boolean> {
		return (await git(this.dir, ['status', '--porcelain', '--untracked-files=no'])).trim() !== '';
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
