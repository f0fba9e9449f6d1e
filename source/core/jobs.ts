import {Candidates} from './candidates.js';
import {JobPart} from './job-part.js';
import {newShared, type Job, type JobDeps} from './jobs-types.js';
import {SharedRuns} from './shared-runs.js';
import type {WorkerState} from './jobs-types.js';

export type {Job, JobDeps, WorkerState} from './jobs-types.js';

// What a worker runs next. The baseline (and the best, when the budget
// changes) is run several times, shared among the workers, to measure the
// noise (shared-runs.ts); otherwise each worker measures candidates
// (candidates.ts); an experiment a stopped loop had begun is resumed first.

export class Jobs extends JobPart {
	private readonly sharedRuns: SharedRuns;
	private readonly candidates: Candidates;

	constructor(deps: JobDeps) {
		super(deps, {halted: undefined, shared: undefined, underWay: 0});
		this.sharedRuns = new SharedRuns(deps, this.state);
		this.candidates = new Candidates(deps, this.state);
	}

	/** Why the loop cannot go on (the baseline crashed), once it cannot. */
	get halted(): string | undefined {
		return this.state.halted;
	}

	/** Candidates started and not yet decided, and a baseline being measured. */
	experimentsUnderWay(): number {
		return this.state.underWay + (this.state.shared?.kind === 'baseline' ? 1 : 0);
	}

	/** Reserves the baseline's number first, so the baseline is #1 whatever the proposer prepares meanwhile. */
	reserveBaseline(): void {
		if (this.deps.ledger.best || this.state.shared) return;
		const rules = this.deps.rules();
		this.state.shared = newShared(
			'baseline',
			this.deps.ledger.bestCommit,
			rules.budgetSeconds,
			this.deps.numbers.reserve(),
			'baseline',
			rules.baselineRuns,
		);
	}

	budgetChanged(): void {
		if (this.state.shared?.kind === 'reference' && this.state.shared.budget !== this.deps.rules().budgetSeconds)
			this.state.shared = undefined;
	}

	/** The baseline or the best's re-measurement, while one is needed: a run of it, or 'wait' while its last runs finish. */
	sharedJob(): Job | 'wait' | undefined {
		const {ledger} = this.deps;
		const rules = this.deps.rules();
		const budget = rules.budgetSeconds;
		if (!ledger.best) {
			this.state.shared ??= newShared('baseline', ledger.bestCommit, budget, this.deps.numbers.reserve(), 'baseline', rules.baselineRuns);
		} else if (!this.state.shared && ledger.referenceValues(budget).length === 0) {
			const best = ledger.best;
			this.state.shared = newShared('reference', ledger.bestCommit, budget, best.n, best.description, rules.baselineRuns);
			this.message(
				'info',
				`the budget is ${budget} s now: the best (#${best.n}) runs ${rules.baselineRuns} time${rules.baselineRuns === 1 ? '' : 's'} at it before any candidate is judged there`,
			);
		}
		const shared = this.state.shared;
		if (!shared) return undefined;
		if (shared.assigned < shared.needed) {
			// Every run of one measurement at one budget: the one in force when its first run starts.
			if (shared.assigned === 0 && shared.members.length === 0) shared.budget = budget;
			shared.assigned++;
			return {kind: 'shared', shared};
		}
		return 'wait';
	}

	async run(worker: WorkerState, job: Job): Promise<void> {
		try {
			await this.start(worker, job);
		} finally {
			// Whatever this job came to, a worker waiting on it (for a reference, the limit, the baseline) looks again.
			this.deps.poke();
		}
	}

	private start(worker: WorkerState, job: Job): Promise<void> {
		switch (job.kind) {
			case 'shared':
				return this.sharedRuns.run(worker, job.shared);
			case 'candidate':
				return this.candidates.measure(worker, {
					n: job.ready.n,
					description: job.ready.proposal.description,
					proposal: job.ready.proposal,
					parent: this.deps.ledger.bestCommit,
					diff: '',
					key: job.ready.key,
					members: [],
				});
			case 'resume':
				return this.candidates.resume(worker, job.pending);
		}
	}
}
