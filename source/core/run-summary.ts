import {existsSync, readFileSync} from 'node:fs';
import path from 'node:path';
import {writeFileAtomic} from './fsutil.js';
import type {Status, Summary} from './types.js';

// runs/<NNNN>-<commit>/summary.json: everything about one experiment that
// results.tsv has no column for. Written whole and atomically at each step
// (claimed, started, judged, overruled), so a restart after kill -9 reads
// either the step before or the step after, and knows which.

/** Why a run was made. */
export type RunRole = 'baseline' | 'candidate' | 'confirm' | 'reference';

/**
 * `running` while the command runs (a restart that finds it knows the loop
 * died mid-run); `measured` once it ran but its experiment awaits a verdict
 * (re-runs to come); then the verdict, or `rerun` for the runs after the first.
 */
export type RunStatus = 'running' | 'measured' | Status;

export type RunSummary = {
	n: number;
	commit: string;
	/** The full hash, and the best it was tried on top of. */
	commit_full?: string;
	parent?: string;
	parent_full?: string;
	status: RunStatus;
	description: string;
	role?: RunRole;
	/** The experiment this run measures: the number of its first run (its own number for a first run). */
	group?: number;
	/** This run's own value of the metric; `metric` is the judged one (the mean of the runs, on a first run). */
	run_metric?: number | null;
	/** Runs the judged metric is the mean of. */
	runs?: number;
	/** The judged metric less the best's mean, the noise band it had to leave, and the noise (one run's standard deviation) used. */
	delta?: number;
	band?: number;
	sigma?: number;
	/** Times this run was interrupted (the loop stopped or was killed) and started again. */
	interrupted?: number;
	started_at?: string;
	/** The run's process (group) id while it runs, for ending a run a killed loop left behind. */
	pid?: number;
	reason?: string;
	metric_name?: string;
	metric?: number | null;
	memory_gb?: number;
	rationale?: string;
	proposer?: string;
	model?: string;
	/** Every `key: value` of the run's summary block. */
	summary?: Summary;
	exit_code?: number | null;
	signal?: string | null;
	killed?: string | null;
	budget_seconds?: number;
	timeout_seconds?: number;
	seconds?: number;
	ended_at?: string;
	decided_at?: string;
	worker?: string;
	/** What ran it: `bwrap` (the sandbox), `local`, `slurm`. */
	executor?: string;
	python?: string;
	overruled?: {from: Status; to: Status; at: string};
};

const summaryFile = (dir: string): string => path.join(dir, 'summary.json');

/** The summary as far as it was written; undefined when missing or unreadable (torn by a kill mid-rename is not possible, but a hand edit is). */
export function readRunSummary(dir: string): Partial<RunSummary> | undefined {
	const file = summaryFile(dir);
	if (!existsSync(file)) return undefined;
	try {
		return JSON.parse(readFileSync(file, 'utf8')) as Partial<RunSummary>;
	} catch {
		return undefined;
	}
}

export function writeRunSummary(dir: string, summary: RunSummary): void {
	writeFileAtomic(summaryFile(dir), JSON.stringify(summary, null, 2) + '\n');
}

/** Changes some fields of what is on disk, keeping the rest. */
export function updateRunSummary(
	dir: string,
	base: Pick<RunSummary, 'n' | 'commit' | 'description'>,
	change: Partial<RunSummary>,
): RunSummary {
	const next: RunSummary = {status: 'running', ...base, ...readRunSummary(dir), ...change};
	writeRunSummary(dir, next);
	return next;
}
