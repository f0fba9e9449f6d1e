import type {Ledger, RunRecord} from './ledger.js';
import type {ResultsFile, RunFolder} from './results.js';
import {updateRunSummary, type RunRole} from './run-summary.js';
import type {Session} from './session.js';
import type {ExperimentRecord, Verdict} from './types.js';

// An experiment is decided once: its runs' summaries say so (the re-runs
// first, the first run last: that write is what a restart trusts), then its
// rows land in results.tsv in one write (the verdict row with the judged
// metric, the mean of its runs, then a `rerun` row per further run with its
// own value), then the branch moves to a keep. docs/ARCHITECTURE.md says how
// re-runs look in results.tsv.

/** One run of an experiment, as measured. */
export type Member = {folder: RunFolder; value: number | null; memoryGb: number; seconds: number; worker: string};

export type Decided = {
	/** The experiment's number: its first run's. */
	group: number;
	commit: string;
	parent: string;
	description: string;
	role: RunRole;
	budget: number;
	members: Member[];
	status: Verdict;
	/** The judged metric (the mean of the runs); null for a crash. */
	metric: number | null;
	reason: string;
	delta?: number;
	band?: number;
	sigma?: number;
	/** Extra words for results.tsv's description (`mean of 3 runs`, `budget 20s`). */
	tags: string[];
};

export type DecideDeps = {session: Session; results: ResultsFile; ledger: Ledger};

function describe(description: string, tags: readonly string[]): string {
	return tags.length === 0 ? description : `${description} [${tags.join(', ')}]`;
}

/** Writes the verdict (summaries, rows, branch). Call it under the git lock. */
export async function recordDecision(deps: DecideDeps, d: Decided): Promise<{record: ExperimentRecord; reruns: ExperimentRecord[]}> {
	const [first, ...rest] = d.members;
	if (!first) throw new Error(`experiment ${d.group} has no run to decide on`);
	const short = d.commit.slice(0, 7);
	for (const member of rest) {
		updateRunSummary(
			member.folder.dir,
			{n: member.folder.n, commit: short, description: d.description},
			{status: 'rerun', metric: member.value, group: d.group},
		);
	}
	updateRunSummary(
		first.folder.dir,
		{n: first.folder.n, commit: short, description: d.description},
		{
			status: d.status,
			metric: d.metric,
			runs: d.members.length,
			reason: d.reason,
			...(d.delta === undefined ? {} : {delta: d.delta}),
			...(d.band === undefined ? {} : {band: d.band}),
			...(d.sigma === undefined ? {} : {sigma: d.sigma}),
			decided_at: new Date().toISOString(),
		},
	);
	const memoryGb = Math.max(0, ...d.members.map(m => m.memoryGb));
	const record: ExperimentRecord = {
		row: deps.ledger.nextRow,
		n: first.folder.n,
		commit: short,
		metric: d.status === 'crash' ? null : d.metric,
		memoryGb,
		status: d.status,
		description: describe(d.description, d.tags),
		budget: d.budget,
		runs: d.members.length,
		reason: d.reason,
		worker: first.worker,
		endedAt: new Date().toISOString(),
		seconds: Number(d.members.reduce((a, m) => a + m.seconds, 0).toFixed(3)),
		...(d.delta === undefined ? {} : {delta: d.delta}),
		...(d.band === undefined ? {} : {band: d.band}),
	};
	const reruns = rest.map((member, i): ExperimentRecord => ({
		row: record.row + 1 + i,
		n: member.folder.n,
		commit: short,
		metric: member.value,
		memoryGb: member.memoryGb,
		status: 'rerun',
		description: `re-run of #${d.group}`,
		budget: d.budget,
		worker: member.worker,
		of: d.group,
	}));
	deps.results.append(record, ...reruns);
	for (const member of d.members) {
		deps.ledger.noteRun(runOf(member, d, member === first ? d.status : 'rerun'));
	}
	deps.ledger.add([record, ...reruns], d.status === 'keep' ? d.commit : undefined);
	if (d.status === 'keep' && d.commit !== d.parent) await deps.session.branch.move(d.commit, d.parent);
	return {record, reruns};
}

/** One more run of an experiment decided long ago (the best at a new budget): its own row, at once. */
export function recordRerun(
	deps: DecideDeps,
	member: Member,
	of: {group: number; commit: string; description: string; budget: number},
): ExperimentRecord {
	updateRunSummary(
		member.folder.dir,
		{n: member.folder.n, commit: of.commit.slice(0, 7), description: of.description},
		{status: 'rerun', metric: member.value},
	);
	const record: ExperimentRecord = {
		row: deps.ledger.nextRow,
		n: member.folder.n,
		commit: of.commit.slice(0, 7),
		metric: member.value,
		memoryGb: member.memoryGb,
		status: 'rerun',
		description: `re-run of #${of.group}${member.value === null ? ' (crashed)' : ''} [budget ${of.budget}s]`,
		budget: of.budget,
		worker: member.worker,
		of: of.group,
		endedAt: new Date().toISOString(),
		seconds: member.seconds,
	};
	deps.results.append(record);
	deps.ledger.noteRun({
		n: member.folder.n,
		commit: record.commit,
		group: member.folder.n,
		role: 'reference',
		status: 'rerun',
		value: member.value,
		budget: of.budget,
	});
	deps.ledger.add([record]);
	return record;
}

function runOf(member: Member, d: Decided, status: RunRecord['status']): RunRecord {
	return {n: member.folder.n, commit: d.commit.slice(0, 7), group: d.group, role: d.role, status, value: member.value, budget: d.budget};
}
