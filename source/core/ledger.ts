import type {ExperimentRecord, Status} from './types.js';

// What the session knows of its results: every record in results.tsv order,
// the best (the last kept one: each keep beats the one before), the commit
// the branch stands on, the baseline, and the last crash for the proposer
// to learn from. Only the loop writes it, under the git lock.

export type LastCrash = {n: number; description: string; logTail: string};

export class Ledger {
	private list: ExperimentRecord[];
	private bestRecord: ExperimentRecord | undefined;
	private bestAt: string;
	private baselineRecord: ExperimentRecord | undefined;
	crash: LastCrash | undefined;

	constructor(start: {
		records: ExperimentRecord[];
		best: ExperimentRecord | undefined;
		bestCommit: string;
		baseline: ExperimentRecord | undefined;
	}) {
		this.list = start.records;
		this.bestRecord = start.best;
		this.bestAt = start.bestCommit;
		this.baselineRecord = start.baseline;
	}

	get records(): readonly ExperimentRecord[] {
		return this.list;
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

	get count(): number {
		return this.list.length;
	}

	/** The row number the next record will have. */
	get nextRow(): number {
		return this.list.length + 1;
	}

	/** Adds a judged record; a keep becomes the best (and the first keep the baseline). */
	add(record: ExperimentRecord, commit: string): void {
		this.list = [...this.list, record];
		if (record.status === 'keep') {
			this.bestRecord = record;
			this.bestAt = commit;
			this.baselineRecord ??= record;
		}
	}

	/** A human overrule: `record` gets `status`, and the best becomes `best` standing on `bestCommit`. */
	overrule(record: ExperimentRecord, status: Status, bestCommit: string): ExperimentRecord {
		const changed = {...record, status};
		this.list = this.list.map(r => (r === record ? changed : r));
		this.bestRecord = status === 'keep' ? changed : [...this.list].reverse().find(r => r.status === 'keep');
		this.bestAt = bestCommit;
		return changed;
	}

	keptCount(): number {
		return this.list.filter(r => r.status === 'keep').length;
	}
}
