import {createHash} from 'node:crypto';
import path from 'node:path';
import {exec} from './exec.js';
import type {CheckResult} from './proposer.js';
import type {Edit} from './types.js';

// No idea runs twice: a proposal whose files come out the same as an
// experiment already tried, one running, or one prepared, is refused. Files
// are compared by their git blob ids, so a commit's files are known without
// reading them, and the same bytes are the same idea whatever the
// description says.

/** Git's blob id of a text, as `git hash-object` gives it. */
export function blobId(text: string): string {
	const body = Buffer.from(text, 'utf8');
	return createHash('sha1').update(`blob ${body.length}\0`).update(body).digest('hex');
}

/** One key for a set of editable files' contents (in the order given). */
export function filesKey(files: Readonly<Record<string, string>>, editable: readonly string[]): string {
	return editable.map(f => blobId(files[f] ?? '')).join(':');
}

export type Holder = {n: number; description: string; state: 'tried' | 'running' | 'prepared'};

export class Tried {
	private readonly keys = new Map<string, Holder>();

	/** The blob ids of the editable files at each commit, read in one git call. */
	static async keysOf(
		repoDir: string,
		commits: readonly string[],
		editable: readonly string[],
		relative: string,
	): Promise<Map<string, string>> {
		const out = new Map<string, string>();
		if (commits.length === 0) return out;
		const lines = commits.flatMap(c => editable.map(f => `${c}:${path.posix.join(relative, f)}`));
		const result = await exec('git', ['cat-file', '--batch-check=%(objectname)'], {
			cwd: repoDir,
			input: lines.join('\n') + '\n',
			reject: false,
		});
		const ids = String(result.stdout).split('\n');
		commits.forEach((commit, i) => {
			// A file missing at a commit reads as "<name> missing": it then counts as empty, as filesKey does.
			const part = editable.map((_, j) => {
				const id = ids[i * editable.length + j] ?? '';
				return /^[0-9a-f]{40}$/.test(id) ? id : blobId('');
			});
			out.set(commit, part.join(':'));
		});
		return out;
	}

	set(key: string, holder: Holder): void {
		this.keys.set(key, holder);
	}

	/** Forgets a prepared or running entry that will not run (a tried one stays tried). */
	drop(key: string): void {
		if (this.keys.get(key)?.state !== 'tried') this.keys.delete(key);
	}

	find(key: string): Holder | undefined {
		return this.keys.get(key);
	}
}

/** A dry run that also refuses edits whose files repeat an experiment tried, running or prepared, saying which. */
export function refusingRepeats(
	dry: (edits: Edit[]) => Promise<CheckResult>,
	tried: Tried,
	editable: readonly string[],
): (edits: Edit[]) => Promise<CheckResult> {
	return async edits => {
		const result = await dry(edits);
		if (!result.ok) return result;
		const holder = tried.find(filesKey(result.files, editable));
		if (!holder) return result;
		const what = holder.state === 'tried' ? 'was tried as' : holder.state === 'running' ? 'is running as' : 'is prepared as';
		return {
			ok: false,
			reason: `these edits make the files exactly as experiment #${holder.n} (${holder.description}) had them: that idea ${what} #${holder.n}; propose something different`,
			repeats: holder,
		};
	};
}
