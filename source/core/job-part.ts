import {withBudget} from './arena.js';
import {runPlan, type RunDeps, type RunPlan} from './experiment.js';
import type {JobDeps, JobState, WorkerState} from './jobs-types.js';
import type {Member} from './measure.js';

// What every kind of job shares: the loop's parts, the state the jobs keep
// between them, and how one run is run and read (shared-runs.ts measures the
// baseline, candidates.ts the experiments).

export class JobPart {
	constructor(
		protected readonly deps: JobDeps,
		protected readonly state: JobState,
	) {}

	protected message(level: 'info' | 'warn' | 'error', text: string): void {
		this.deps.emit({type: 'message', level, text});
	}

	/** Tells the faces what candidates are judged against now. */
	announceReference(): void {
		const {ledger} = this.deps;
		const rules = this.deps.rules();
		const unbiased = rules.judge === 'noise';
		const reference = ledger.reference(rules.budgetSeconds, unbiased);
		if (!reference || !ledger.best) return;
		const sigma = unbiased ? ledger.sigma(rules.budgetSeconds) : undefined;
		this.deps.emit({
			type: 'reference',
			budgetSeconds: rules.budgetSeconds,
			mean: reference.mean,
			runs: reference.runs,
			...(sigma === undefined ? {} : {sigma}),
			commit: ledger.best.commit,
		});
	}

	protected runDeps(): RunDeps {
		const {deps} = this;
		return {
			session: deps.session,
			emit: deps.emit,
			argv: deps.argv,
			env: deps.env,
			killGraceSeconds: deps.killGraceSeconds,
			python: deps.python,
			stopping: deps.stopping,
		};
	}

	/** One run (at `budget`, else the budget in force); undefined when the loop was interrupted mid-run (the run is left to run again on restart). */
	protected async runOne(
		worker: WorkerState,
		plan: RunPlan,
		budget?: number,
	): Promise<{member: Member; ok: boolean; reason?: string; tail: string[]; external: boolean; requeue?: string} | undefined> {
		const current = this.deps.rules();
		const rules = budget === undefined || budget === current.budgetSeconds ? current : withBudget(current, budget);
		worker.current = {n: plan.n, description: plan.description, role: plan.role};
		try {
			const outcome = await runPlan(
				this.runDeps(),
				worker,
				plan,
				rules,
				handle => {
					worker.handle = handle;
					const stopping = this.deps.stopping();
					if (stopping === 'now' || stopping === 'interrupt') handle.stop();
				},
				() => this.deps.stopping() === 'interrupt',
			);
			if (!outcome) return undefined;
			const {reading, result, folder, seconds} = outcome;
			const member: Member = {
				folder,
				value: reading.ok ? reading.metric : null,
				memoryGb: reading.ok ? reading.memoryGb : 0,
				seconds,
				worker: worker.name,
			};
			// Killed by a signal nightshift did not send (the OOM killer, a user's kill): not the idea's fault.
			const external = !reading.ok && result.killed === undefined && (result.signal !== undefined || result.requeue !== undefined);
			return {
				member,
				ok: reading.ok,
				...(reading.ok ? {} : {reason: reading.reason}),
				tail: result.tail,
				external,
				...(result.requeue ? {requeue: result.requeue} : {}),
			};
		} finally {
			worker.handle = undefined;
			worker.current = undefined;
			this.deps.numbers.release(plan.n);
		}
	}

	/** A run of the baseline or of the best at a new budget. */
	protected tags(runs: number, budget: number): string[] {
		const tags: string[] = [];
		if (runs > 1) tags.push(`mean of ${runs} runs`);
		const first = this.deps.firstBudget();
		if (first !== undefined && first !== budget) tags.push(`budget ${budget}s`);
		return tags;
	}
}
