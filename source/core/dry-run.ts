import path from 'node:path';
import {createTwoFilesPatch} from 'diff';
import {applyEdits, checkInsideRoot} from './edits.js';
import {exec} from './exec.js';
import type {CheckResult} from './proposer.js';
import type {Edit} from './types.js';
import type {Worktree} from './workspace.js';

// A proposal is tried before anything touches disk: applied in memory to the
// files at the base commit, confined to the allowed files (no symlink out of
// the arena), and, for proposers that can retry, compiled. The loop itself
// lets a file that does not compile run and crash, as recorded.

/** The editable files at a commit, read once per commit. */
export class FilesAtCommit {
	private cache = new Map<string, Record<string, string>>();

	constructor(
		private readonly worktree: Worktree,
		/** The workspace's path inside the repository ('' at the root). */
		private readonly relative: string,
	) {}

	async get(commit: string, editable: readonly string[]): Promise<Record<string, string>> {
		const key = `${commit}\0${editable.join('\0')}`;
		const cached = this.cache.get(key);
		if (cached) return cached;
		const files: Record<string, string> = {};
		for (const file of editable) files[file] = await this.worktree.show(commit, path.posix.join(this.relative, file));
		this.cache.set(key, files);
		return files;
	}

	clear(): void {
		this.cache.clear();
	}
}

export type DryRunOptions = {
	/** The workspace inside the worktree: symlinks are checked against it. */
	arenaDir: string;
	editable: readonly string[];
	/** The interpreter that compiles Python files; python3 when unset. */
	python: string | undefined;
	/** Compile what changed (offered to proposers, which can retry). */
	compile: boolean;
};

/** A checker of edits against `base`, as the proposer contract offers it. */
export function dryRun(base: Readonly<Record<string, string>>, options: DryRunOptions): (edits: Edit[]) => Promise<CheckResult> {
	return async edits => {
		const applied = applyEdits(base, edits, options.editable);
		if (!applied.ok) return applied;
		for (const file of Object.keys(applied.files)) {
			const escape = checkInsideRoot(options.arenaDir, file);
			if (escape) return {ok: false, reason: escape};
			if (options.compile && file.endsWith('.py') && applied.files[file] !== base[file]) {
				const problem = await compilePython(options.python ?? 'python3', file, applied.files[file]!);
				if (problem) return {ok: false, reason: `${file} does not compile: ${problem}`};
			}
		}
		return applied;
	};
}

/** Python's own `compile()` on the text: its last lines of error, or undefined when it compiles (or no Python is there to ask). */
async function compilePython(python: string, file: string, source: string): Promise<string | undefined> {
	const result = await exec(python, ['-c', 'import sys\ncompile(sys.stdin.read(), sys.argv[1], "exec")', file], {
		input: source,
		reject: false,
	});
	if (result.exitCode === 0) return undefined;
	if ((result.cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') return undefined;
	const lines = String(result.stderr).trim().split('\n');
	return lines.slice(-4).join('\n');
}

/** The unified diff of what changed, before a commit exists. */
export function diffOf(before: Readonly<Record<string, string>>, after: Readonly<Record<string, string>>): string {
	return Object.keys(after)
		.filter(file => after[file] !== before[file])
		.map(file => createTwoFilesPatch(`a/${file}`, `b/${file}`, before[file] ?? '', after[file]!, '', '', {context: 3}))
		.join('');
}
