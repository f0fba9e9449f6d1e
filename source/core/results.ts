import {existsSync, mkdirSync, readFileSync, readdirSync} from 'node:fs';
import path from 'node:path';
import {appendLine, writeFileAtomic} from './fsutil.js';
import {fixed6} from './metric.js';
import {oneLine} from './sanitize.js';
import type {ExperimentRecord, Status} from './types.js';

// runs/results.tsv keeps autoresearch's five columns so existing notebooks
// read it; runs/<NNNN>-<commit>/ keeps everything else about an experiment.

const statuses = new Set<Status>(['keep', 'discard', 'crash', 'rerun']);

export function resultsHeader(metric: string): string {
	return `commit\t${metric}\tmemory_gb\tstatus\tdescription`;
}

/** Tabs and newlines would break the row; control characters and escape sequences have no place in it. */
export function cleanDescription(text: string): string {
	return oneLine(text) || '(no description)';
}

export function formatRow(record: ExperimentRecord): string {
	const metric = record.metric === null ? 0 : record.metric;
	return [record.commit, fixed6(metric), record.memoryGb.toFixed(1), record.status, cleanDescription(record.description)].join('\t');
}

export type LoadedResults = {
	records: ExperimentRecord[];
	/** Lines that could not be read, each named by its line number; the file is never rewritten for them. */
	problems: string[];
};

export class ResultsFile {
	readonly path: string;

	constructor(
		readonly runsDir: string,
		readonly metric: string,
	) {
		this.path = path.join(runsDir, 'results.tsv');
	}

	load(): LoadedResults {
		if (!existsSync(this.path)) return {records: [], problems: []};
		const lines = readFileSync(this.path, 'utf8').split('\n');
		const records: ExperimentRecord[] = [];
		const problems: string[] = [];
		const header = lines[0]?.split('\t') ?? [];
		if (header[0] !== 'commit' || header.length !== 5) {
			problems.push(`results.tsv line 1: expected the header \`${resultsHeader(this.metric)}\``);
		} else if (header[1] !== this.metric) {
			problems.push(`results.tsv line 1: the metric column is \`${header[1]}\` but program.md's metric is \`${this.metric}\``);
		}
		let row = 0;
		for (let i = 1; i < lines.length; i++) {
			const line = lines[i]!;
			if (line.trim() === '') continue;
			row++;
			const cols = line.split('\t');
			const [commit, metric, memory, status, ...rest] = cols;
			const description = rest.join('\t');
			const value = Number(metric);
			const mem = Number(memory);
			if (
				cols.length < 5 ||
				!/^[0-9a-f]{4,40}$/.test(commit ?? '') ||
				!Number.isFinite(value) ||
				!Number.isFinite(mem) ||
				!statuses.has(status as Status)
			) {
				problems.push(`results.tsv line ${i + 1}: cannot read ${JSON.stringify(line.slice(0, 120))}; left as it is`);
				continue;
			}
			records.push({
				row,
				// Until matched with its run folder (numberByFolders), the row is the best guess.
				n: row,
				commit: commit!,
				metric: status === 'crash' ? null : value,
				memoryGb: mem,
				status: status as Status,
				description,
			});
		}
		return {records, problems};
	}

	/**
	 * A last line without its newline was torn by a kill mid-write: appending
	 * after it would glue the next row onto it. It is moved to a file of its
	 * own beside results.tsv (returned) and cut from the end.
	 */
	setAsideTornTail(): string | undefined {
		if (!existsSync(this.path)) return undefined;
		const text = readFileSync(this.path, 'utf8');
		if (text === '' || text.endsWith('\n')) return undefined;
		const cut = text.lastIndexOf('\n') + 1;
		const aside = path.join(this.runsDir, `results.torn-${new Date().toISOString().replace(/[:.]/g, '-')}.tsv`);
		writeFileAtomic(aside, text.slice(cut) + '\n');
		writeFileAtomic(this.path, cut === 0 ? resultsHeader(this.metric) + '\n' : text.slice(0, cut));
		return aside;
	}

	/** Appends rows in one write: an experiment's verdict and its re-runs land together or not at all. */
	append(...records: ExperimentRecord[]): void {
		mkdirSync(this.runsDir, {recursive: true});
		if (!existsSync(this.path)) writeFileAtomic(this.path, resultsHeader(this.metric) + '\n');
		appendLine(this.path, records.map(formatRow).join('\n'));
	}

	/**
	 * A human overrule (/keep, /revert) changes one row's status. The file is
	 * rewritten whole and atomically so it never shows half a change.
	 */
	setStatus(commit: string, status: Status): boolean {
		if (!existsSync(this.path)) return false;
		const lines = readFileSync(this.path, 'utf8').split('\n');
		let found = false;
		for (let i = lines.length - 1; i >= 1 && !found; i--) {
			const cols = lines[i]!.split('\t');
			if (cols[0] === commit && cols.length >= 5 && cols[3] !== 'rerun') {
				cols[3] = status;
				lines[i] = cols.join('\t');
				found = true;
			}
		}
		if (found) writeFileAtomic(this.path, lines.join('\n'));
		return found;
	}
}

export type RunFolder = {n: number; commit: string; dir: string};

const folderPattern = /^(\d{4,})-([0-9a-f]{4,40})$/;

export function runFolderName(n: number, commit: string): string {
	return `${String(n).padStart(4, '0')}-${commit}`;
}

export function listRunFolders(runsDir: string): RunFolder[] {
	if (!existsSync(runsDir)) return [];
	const out: RunFolder[] = [];
	for (const name of readdirSync(runsDir)) {
		const m = folderPattern.exec(name);
		if (m) out.push({n: Number(m[1]), commit: m[2]!, dir: path.join(runsDir, name)});
	}
	return out.sort((a, b) => a.n - b.n);
}

/**
 * Claims the next experiment number by creating its folder: mkdir fails if
 * another worker took the number first, so several workers can share runs/.
 */
export function claimRunFolder(runsDir: string, commit: string, atLeast: number): RunFolder {
	mkdirSync(runsDir, {recursive: true});
	let n = Math.max(atLeast, ...listRunFolders(runsDir).map(f => f.n + 1));
	for (;;) {
		const taken = listRunFolders(runsDir).some(f => f.n === n);
		const dir = path.join(runsDir, runFolderName(n, commit));
		if (!taken) {
			try {
				mkdirSync(dir);
				return {n, commit, dir};
			} catch (error) {
				if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
			}
		}
		n++;
	}
}

/**
 * Gives each record its experiment number: the number of the run folder of
 * the same commit, the earliest not yet taken. A row whose folder is gone
 * keeps its row number.
 */
export function numberByFolders(records: readonly ExperimentRecord[], folders: readonly RunFolder[]): ExperimentRecord[] {
	const free = new Map<string, number[]>();
	for (const folder of folders) free.set(folder.commit, [...(free.get(folder.commit) ?? []), folder.n]);
	return records.map(record => {
		const n = free.get(record.commit)?.shift();
		return n === undefined ? record : {...record, n};
	});
}
