import {mean, pooledSigma, type Reference} from './noise.js';
import type {RunRole, RunStatus} from './run-summary.js';
import type {ExperimentRecord, Verdict} from './types.js';

// What the session knows of its results: every row of results.tsv in order,
// every run's own value (a row of a mean hides them), the best (the last
// kept row: each keep beats the one before) and the commit the branch stands
// on, the baseline, and the last crash for the proposer to learn from. From
// the runs come the two numbers the judge needs at a budget: the best's
// mean (the reference) and the noise of one run.

export type LastCrash = {n: number; description: string; logTail: string};

/** One run, as its summary.json tells it. */
export type RunRecord = {
	n: number;
	commit: string;
	/** The experiment it measures (its first run's number). */
	group: number;
	role: RunRole;
	status: RunStatus;
	/** This run's own value of the metric; null for a crash. */
	value: number | null;
	budget: number | undefined;
};

export class Ledger {
	private rows: ExperimentRecord[];
	private readonly runList = new Map<number, RunRecord>();
	private bestRecord: ExperimentRecord | undefined;
	private bestAt: string;
	private baselineRecord: ExperimentRecord | undefined;
	crash: LastCrash | undefined;

	constructor(start: {records: ExperimentRecord[]; runs: RunRecord[]; bestCommit: string}) {
		this.rows = start.records;
		for (const run of start.runs) this.runList.set(run.n, run);
		this.bestRecord = lastKept(this.rows);
		this.baselineRecord = this.rows.find(r => r.status === 'keep');
		this.bestAt = start.bestCommit;
	}

	get records(): readonly ExperimentRecord[] {
		return this.rows;
	}

	/** Rows that are experiments (every row but re-runs). */
	get experiments(): number {
		return this.rows.filter(r => r.status !== 'rerun').length;
	}

	get best(): ExperimentRecord | undefined {
		return this.bestRecord;
	}

	/** The full hash the session branch stands on: the best's commit, or the session's base before any keep. */
	get bestCommit(): string {
		return this.bestAt;
	}

	get baseline(): ExperimentRecord | undefined {
		return this.baselineRecord;
	}

	/** The row number the next row will have. */
	get nextRow(): number {
		return this.rows.length + 1;
	}

	runs(): RunRecord[] {
		return [...this.runList.values()].sort((a, b) => a.n - b.n);
	}

	/** A run that ended (measured, or decided). */
	noteRun(run: RunRecord): void {
		this.runList.set(run.n, run);
	}

	/** Rows appended for one decided experiment (its verdict first, then its re-runs); a keep moves the best to `commit`. */
	add(records: readonly ExperimentRecord[], commit?: string): void {
		this.rows = [...this.rows, ...records];
		const verdict = records.find(r => r.status !== 'rerun');
		if (verdict?.status === 'keep' && commit) {
			this.bestRecord = verdict;
			this.bestAt = commit;
			this.baselineRecord ??= verdict;
		}
	}

	/** A human overrule: `record` gets `status`, and the branch stands on `bestCommit`. */
	overrule(record: ExperimentRecord, status: Verdict, bestCommit: string): ExperimentRecord {
		const changed = {...record, status, overruled: true};
		this.rows = this.rows.map(r => (r === record ? changed : r));
		this.bestRecord = lastKept(this.rows);
		this.bestAt = bestCommit;
		return changed;
	}

	keptCount(): number {
		return this.rows.filter(r => r.status === 'keep').length;
	}

	/**
	 * The best's runs at `budget` that count: finished ones, with a value.
	 * `unbiased`: leave out the first run of a candidate that was re-run (it
	 * was re-run because it looked good: taken with the others it would make
	 * the best look better than it is, and every later candidate pay for
	 * that luck). The baseline's runs and re-runs are all unbiased.
	 */
	referenceValues(budget: number, unbiased = false): number[] {
		const best = this.bestRecord;
		return best ? this.valuesOf(best.commit, budget, unbiased) : [];
	}

	/** The best as measured at `budget`: undefined until it has run there. */
	reference(budget: number, unbiased = false): Reference | undefined {
		const values = this.referenceValues(budget, unbiased);
		return values.length === 0 ? undefined : {mean: mean(values), runs: values.length};
	}

	/**
	 * A commit once kept (the best a candidate started from, which may no
	 * longer be the best) as measured at `budget`; undefined when it has no
	 * finished run there.
	 */
	referenceOf(commit: string, budget: number, unbiased = false): Reference | undefined {
		const values = this.valuesOf(commit, budget, unbiased);
		return values.length === 0 ? undefined : {mean: mean(values), runs: values.length};
	}

	private valuesOf(commit: string, budget: number, unbiased: boolean): number[] {
		const short = commit.slice(0, 7);
		return this.measured(budget, unbiased)
			.filter(r => r.commit === short)
			.map(r => r.value!);
	}

	/** The noise of one run at `budget`, pooled over every experiment run more than once there. */
	sigma(budget: number, unbiased = false): number | undefined {
		const groups = new Map<string, number[]>();
		for (const run of this.measured(budget, unbiased)) {
			// Same code at the same budget: the runs of one experiment, and the best's re-runs (its reference runs) with them.
			groups.set(run.commit, [...(groups.get(run.commit) ?? []), run.value!]);
		}
		return pooledSigma([...groups.values()])?.sigma;
	}

	/** Finished runs with a value at `budget`, less the selected first runs of re-run candidates when `unbiased`. */
	private measured(budget: number, unbiased: boolean): RunRecord[] {
		const runs = this.runs().filter(r => r.budget === budget && r.value !== null && r.status !== 'running' && r.status !== 'crash');
		if (!unbiased) return runs;
		const count = new Map<string, number>();
		for (const r of runs) count.set(r.commit, (count.get(r.commit) ?? 0) + 1);
		return runs.filter(r => !(r.role === 'candidate' && r.n === r.group && (count.get(r.commit) ?? 0) > 1));
	}
}

function lastKept(records: readonly ExperimentRecord[]): ExperimentRecord | undefined {
	for (let i = records.length - 1; i >= 0; i--) if (records[i]!.status === 'keep') return records[i];
	return undefined;
}
