import type {LoopEvent} from './events.js';
import type {RunHandle} from './executor.js';
import path from 'node:path';
import {claimFolder, commitProposal, runPlan, type RunDeps, type RunPlan, type WorkerContext} from './experiment.js';
import {writeFileAtomic} from './fsutil.js';
import type {GitLock} from './git-lock.js';
import type {Ledger} from './ledger.js';
import {recordDecision, recordRerun, type Decided, type Member} from './measure.js';
import {decide, mean, type Decision, type NoiseRule} from './noise.js';
import type {Numbers} from './numbers.js';
import type {CheckResult, Proposal} from './proposer.js';
import type {ProposalQueue, Ready} from './queue.js';
import type {Pending} from './recovery.js';
import type {ResultsFile} from './results.js';
import {readRunSummary, type RunRole} from './run-summary.js';
import type {Session} from './session.js';
import {Tried} from './tried.js';
import {withBudget} from './arena.js';
import type {ArenaRules, Edit} from './types.js';
import {listRunFolders} from './results.js';

// What a worker runs, and how an experiment gets its verdict. The baseline
// (and the best, when the budget changes) is run several times, shared among
// the workers, to measure the noise. A candidate runs once; a close call is
// re-run on the same worker before the verdict; a keep whose best moved on
// meanwhile is carried onto the new best and run again there, so the branch
// only ever holds commits measured as they stand.

export type WorkerState = WorkerContext & {
	handle: RunHandle | undefined;
	current: {n: number; description: string; role: RunRole} | undefined;
};

type Shared = {
	kind: 'baseline' | 'reference';
	/** The baseline's experiment number; for a reference, the best's. */
	group: number;
	commit: string;
	budget: number;
	description: string;
	needed: number;
	assigned: number;
	members: Member[];
	crashes: number;
	firstTaken: boolean;
};

export type Job = {kind: 'resume'; pending: Pending} | {kind: 'candidate'; ready: Ready} | {kind: 'shared'; shared: Shared};

type Candidate = {
	n: number;
	description: string;
	proposal?: Proposal;
	commit?: string;
	parent: string;
	diff: string;
	key?: string;
	members: Member[];
	interrupted?: number;
	/** Re-runs asked for by a close first run. */
	confirming?: boolean;
	/** Run again once already after an end that was not its doing (RunResult.requeue). */
	requeued?: boolean;
};

export type JobDeps = {
	session: Session;
	emit: (event: LoopEvent) => void;
	lock: GitLock;
	results: ResultsFile;
	ledger: Ledger;
	numbers: Numbers;
	tried: Tried;
	queue: ProposalQueue;
	rules: () => ArenaRules;
	filesAt: (commit: string) => Promise<Record<string, string>>;
	check: (base: Readonly<Record<string, string>>) => (edits: Edit[]) => Promise<CheckResult>;
	argv: (rules: ArenaRules) => string[];
	env: Record<string, string> | undefined;
	killGraceSeconds: number | undefined;
	python: string | undefined;
	stopping: () => 'finish' | 'now' | 'interrupt' | undefined;
	/** Resolves at the next change (a result, an intent). */
	changed: () => Promise<void>;
	/** Tells the workers waiting for a change that one came (a result recorded). */
	poke: () => void;
	firstBudget: () => number | undefined;
	/** The noise rule's thresholds (noise.ts); the default unless a benchmark tries others. */
	noiseRule?: NoiseRule;
};

/** Interruptions after which an experiment is recorded as a crash rather than run again (one that kills the loop each time). */
const interruptionsAllowed = 3;

export class Jobs {
	/** Why the loop cannot go on (the baseline crashed), once it cannot. */
	halted: string | undefined;
	private shared: Shared | undefined;
	private underWay = 0;

	constructor(private readonly deps: JobDeps) {}

	private message(level: 'info' | 'warn' | 'error', text: string): void {
		this.deps.emit({type: 'message', level, text});
	}

	/** Candidates started and not yet decided, and a baseline being measured. */
	experimentsUnderWay(): number {
		return this.underWay + (this.shared?.kind === 'baseline' ? 1 : 0);
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

	/** Reserves the baseline's number first, so the baseline is #1 whatever the proposer prepares meanwhile. */
	reserveBaseline(): void {
		if (this.deps.ledger.best || this.shared) return;
		const rules = this.deps.rules();
		this.shared = this.newShared(
			'baseline',
			this.deps.ledger.bestCommit,
			rules.budgetSeconds,
			this.deps.numbers.reserve(),
			'baseline',
			rules.baselineRuns,
		);
	}

	budgetChanged(): void {
		if (this.shared?.kind === 'reference' && this.shared.budget !== this.deps.rules().budgetSeconds) this.shared = undefined;
	}

	/** The baseline or the best's re-measurement, while one is needed: a run of it, or 'wait' while its last runs finish. */
	sharedJob(): Job | 'wait' | undefined {
		const {ledger} = this.deps;
		const rules = this.deps.rules();
		const budget = rules.budgetSeconds;
		if (!ledger.best) {
			this.shared ??= this.newShared('baseline', ledger.bestCommit, budget, this.deps.numbers.reserve(), 'baseline', rules.baselineRuns);
		} else if (!this.shared && ledger.referenceValues(budget).length === 0) {
			const best = ledger.best;
			this.shared = this.newShared('reference', ledger.bestCommit, budget, best.n, best.description, rules.baselineRuns);
			this.message(
				'info',
				`the budget is ${budget} s now: the best (#${best.n}) runs ${rules.baselineRuns} time${rules.baselineRuns === 1 ? '' : 's'} at it before any candidate is judged there`,
			);
		}
		const shared = this.shared;
		if (!shared) return undefined;
		if (shared.assigned < shared.needed) {
			// Every run of one measurement at one budget: the one in force when its first run starts.
			if (shared.assigned === 0 && shared.members.length === 0) shared.budget = budget;
			shared.assigned++;
			return {kind: 'shared', shared};
		}
		return 'wait';
	}

	private newShared(kind: Shared['kind'], commit: string, budget: number, group: number, description: string, needed: number): Shared {
		return {kind, group, commit, budget, description, needed, assigned: 0, members: [], crashes: 0, firstTaken: false};
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
				return this.runShared(worker, job.shared);
			case 'candidate':
				return this.measure(worker, {
					n: job.ready.n,
					description: job.ready.proposal.description,
					proposal: job.ready.proposal,
					parent: this.deps.ledger.bestCommit,
					diff: '',
					key: job.ready.key,
					members: [],
				});
			case 'resume':
				return this.resume(worker, job.pending);
		}
	}

	private runDeps(): RunDeps {
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
	private async runOne(
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
	private async runShared(worker: WorkerState, shared: Shared): Promise<void> {
		const first = shared.kind === 'baseline' && !shared.firstTaken;
		if (first) shared.firstTaken = true;
		const n = first ? shared.group : this.deps.numbers.reserve();
		const plan: RunPlan = {
			n,
			commit: shared.commit,
			parent: shared.commit,
			role: shared.kind,
			group: shared.kind === 'baseline' ? shared.group : n,
			description: shared.kind === 'baseline' ? 'baseline' : `re-run of #${shared.group}`,
			diff: '',
		};
		const done = await this.runOne(worker, plan, shared.budget);
		if (!done) return;
		if (!done.ok && done.external) {
			shared.assigned--;
			if (first) shared.firstTaken = false;
			this.message(
				'warn',
				`the ${shared.kind === 'baseline' ? 'baseline' : 'best'} run #${n} was killed from outside (${done.reason}); running it again`,
			);
			return;
		}
		if (shared.kind === 'reference') {
			await this.deps.lock.exclusive(async () => {
				const record = recordRerun(this.deps, done.member, {
					group: shared.group,
					commit: shared.commit,
					description: shared.description,
					budget: shared.budget,
				});
				this.deps.emit({type: 'rerun', n, record, seconds: done.member.seconds, worker: worker.name});
			});
			shared.members.push(done.member);
			if (!done.ok && ++shared.crashes >= shared.needed) {
				this.halted = `the best (#${shared.group}) crashes at a budget of ${shared.budget} s (${done.reason}); choose another budget (/budget, or program.md)`;
				this.message('error', this.halted);
			} else if (!done.ok) shared.assigned--;
			if (shared.members.filter(m => m.value !== null).length >= shared.needed) {
				this.shared = undefined;
				this.announceReference();
			}
			return;
		}
		if (first) shared.members.unshift(done.member);
		else shared.members.push(done.member);
		if (!done.ok) shared.crashes++;
		if (shared.members.length < shared.needed) {
			this.deps.emit({
				type: 'run-measured',
				n,
				group: shared.group,
				metric: done.member.value,
				seconds: done.member.seconds,
				worker: worker.name,
				detail: `baseline run ${shared.members.length} of ${shared.needed}`,
			});
			return;
		}
		await this.decideBaseline(shared, done.reason, done.tail);
	}

	private async decideBaseline(shared: Shared, reason: string | undefined, tail: string[]): Promise<void> {
		const members = [...shared.members].sort((a, b) => a.folder.n - b.folder.n);
		const values = members.flatMap(m => (m.value === null ? [] : [m.value]));
		const crashed = shared.crashes > 0;
		const rules = this.deps.rules();
		const decided: Decided = {
			group: shared.group,
			commit: shared.commit,
			parent: shared.commit,
			description: 'baseline',
			role: 'baseline',
			budget: shared.budget,
			members,
			status: crashed ? 'crash' : 'keep',
			metric: crashed ? null : mean(values),
			reason: crashed ? (reason ?? 'a baseline run crashed') : 'baseline',
			tags: this.tags(members.length, shared.budget),
		};
		const {record, reruns} = await this.deps.lock.exclusive(() => recordDecision(this.deps, decided));
		this.shared = undefined;
		// The baseline's files count as tried: a proposal that turns everything back is a repeat of #1.
		const key = (await Tried.keysOf(this.deps.session.repo, [shared.commit], rules.editable, this.deps.session.relative)).get(shared.commit);
		if (key) this.deps.tried.set(key, {n: record.n, description: 'baseline', state: 'tried'});
		this.deps.emit({
			type: 'run-end',
			n: record.n,
			record,
			best: this.deps.ledger.best,
			baseline: this.deps.ledger.baseline,
			seconds: members.reduce((a, m) => a + m.seconds, 0),
			reason: decided.reason,
			reruns,
		});
		if (crashed) {
			this.deps.ledger.crash = {n: record.n, description: 'baseline', logTail: tail.slice(-40).join('\n')};
			this.halted = `the baseline crashed (${decided.reason})`;
			this.message(
				'error',
				`the baseline run crashed (${decided.reason}); nothing can be judged against it. Fix the arena, commit the fix, and start nightshift again: it runs the baseline again on your new commit.\n${tail.slice(-15).join('\n')}`,
			);
			return;
		}
		this.announceReference();
	}

	private tags(runs: number, budget: number): string[] {
		const tags: string[] = [];
		if (runs > 1) tags.push(`mean of ${runs} runs`);
		const first = this.deps.firstBudget();
		if (first !== undefined && first !== budget) tags.push(`budget ${budget}s`);
		return tags;
	}

	/** An experiment a stopped loop had begun: measured on from where it stands. */
	private async resume(worker: WorkerState, pending: Pending): Promise<void> {
		const s = pending.summary;
		const members: Member[] = [];
		for (const run of pending.measured) {
			const folder = listRunFolders(this.deps.session.runsDir).find(f => f.n === run.n);
			if (!folder) continue;
			const summary = readRunSummary(folder.dir);
			members.push({
				folder,
				value: run.value,
				memoryGb: summary?.memory_gb ?? 0,
				seconds: summary?.seconds ?? 0,
				worker: summary?.worker ?? worker.name,
			});
		}
		if (s.role === 'baseline') {
			const rules = this.deps.rules();
			const shared = this.newShared(
				'baseline',
				this.deps.ledger.bestCommit,
				rules.budgetSeconds,
				pending.group,
				'baseline',
				rules.baselineRuns,
			);
			shared.members = members;
			shared.firstTaken = members.some(m => m.folder.n === pending.group);
			this.shared = shared;
			this.deps.numbers.release(pending.group);
			if (!shared.firstTaken) this.deps.numbers.hold(pending.group);
			return;
		}
		if (!s.commit_full || !s.parent_full) {
			this.deps.numbers.release(pending.group);
			this.message('warn', `experiment ${pending.group} cannot be resumed (its summary.json lacks the commit): left as it is`);
			return;
		}
		const interrupted = s.interrupted ?? 0;
		await this.measure(worker, {
			n: pending.group,
			description: s.description ?? `experiment ${pending.group}`,
			commit: s.commit_full,
			parent: s.parent_full,
			diff: '',
			members,
			...(interrupted ? {interrupted} : {}),
			...(members.length > 1 ? {confirming: true} : {}),
		});
	}

	/** A candidate: committed, run, re-run when close, decided; carried onto a newer best when it won on an older one. */
	private async measure(worker: WorkerState, c: Candidate): Promise<void> {
		const {deps} = this;
		this.underWay++;
		let key = c.key;
		try {
			let commit = c.commit;
			let diff = c.diff;
			if (!commit) {
				const committed = await deps.lock.exclusive(() =>
					commitProposal(worker, deps.session.relative, deps.filesAt, deps.check, c.proposal!, c.parent),
				);
				if ('reason' in committed) {
					deps.queue.failed(c.n, committed.reason);
					deps.numbers.release(c.n);
					return;
				}
				({commit, diff} = committed);
			}
			key ??= (await Tried.keysOf(deps.session.repo, [commit], deps.rules().editable, deps.session.relative)).get(commit);
			if (key) deps.tried.set(key, {n: c.n, description: c.description, state: 'running'});
			if ((c.interrupted ?? 0) >= interruptionsAllowed && c.members.length === 0) {
				// An experiment that stops the loop each time it runs (it takes the machine down with it) is not run again.
				const reason = `interrupted ${c.interrupted} times (the loop stopped or was killed during each run); not run again`;
				const plan: RunPlan = {
					n: c.n,
					commit,
					parent: c.parent,
					role: 'candidate',
					group: c.n,
					description: c.description,
					diff,
					interrupted: c.interrupted,
				};
				const folder = claimFolder(deps.session, plan, deps.rules(), worker);
				writeFileAtomic(path.join(folder.dir, 'run.log'), `nightshift: ${reason}\n`);
				deps.numbers.release(c.n);
				c.members.push({folder, value: null, memoryGb: 0, seconds: 0, worker: worker.name});
				await this.record(worker, c, commit, undefined, reason);
				return;
			}
			const budget = deps.rules().budgetSeconds;
			for (;;) {
				// One run, then one more each time the judge calls it close (up to 1 + confirm_runs).
				const target = c.confirming ? c.members.length + 1 : 1;
				if (c.members.length < target) {
					const first = c.members.length === 0;
					const n = first ? c.n : deps.numbers.reserve();
					const done = await this.runOne(worker, {
						n,
						commit,
						parent: c.parent,
						role: first ? 'candidate' : 'confirm',
						group: c.n,
						description: c.description,
						...(c.proposal ? {proposal: c.proposal} : {}),
						diff: first ? diff : '',
						...(c.interrupted ? {interrupted: c.interrupted} : {}),
					});
					if (!done) return;
					c.members.push(done.member);
					if (!done.ok) {
						if (first && !done.requeue) deps.ledger.crash = {n: c.n, description: c.description, logTail: done.tail.slice(-40).join('\n')};
						await this.record(worker, c, commit, undefined, first ? done.reason! : `re-run #${n} crashed: ${done.reason}`);
						// Not the idea's fault (a Slurm job cancelled from outside, its node lost): the same commit runs once more, as a new experiment.
						if (done.requeue && !c.requeued && !deps.stopping()) {
							const again = deps.numbers.reserve();
							this.message('warn', `experiment ${c.n}: ${done.requeue}; running it again as #${again}`);
							await this.measure(worker, {
								n: again,
								description: c.description,
								...(c.proposal ? {proposal: c.proposal} : {}),
								commit,
								parent: c.parent,
								diff,
								members: [],
								requeued: true,
							});
						}
						return;
					}
				}
				const decision = await this.judge(c, budget);
				if (decision.kind === 'confirm') {
					c.confirming = true;
					deps.emit({
						type: 'run-measured',
						n: c.n,
						group: c.n,
						metric: c.members.at(-1)!.value,
						seconds: c.members.at(-1)!.seconds,
						worker: worker.name,
						detail: decision.reason,
					});
					if (deps.stopping()) return;
					continue;
				}
				const carried = await this.record(worker, c, commit, decision);
				if (carried) {
					await this.measure(worker, carried);
				}
				return;
			}
		} finally {
			this.underWay--;
			if (key) deps.tried.set(key, {n: c.n, description: c.description, state: 'tried'});
		}
	}

	/** The verdict on a candidate's runs against the best at the budget in force. */
	private async judge(c: Candidate, budget: number): Promise<Decision> {
		const {ledger} = this.deps;
		let rules = this.deps.rules();
		if (rules.budgetSeconds !== budget) {
			return {kind: 'discard', delta: 0, band: undefined, reason: `ran at ${budget} s; comparisons are at ${rules.budgetSeconds} s now`};
		}
		// The best may still be re-measured at this budget (a budget change): wait for it.
		const unbiased = rules.judge === 'noise';
		while (!ledger.reference(budget, unbiased) && !this.halted && !this.deps.stopping()) await this.deps.changed();
		rules = this.deps.rules();
		const reference = ledger.reference(budget, unbiased);
		if (!reference) return {kind: 'discard', delta: 0, band: undefined, reason: 'no reference to judge against'};
		const sigma = unbiased ? ledger.sigma(budget) : undefined;
		const values = c.members.map(m => m.value!);
		return decide(values, reference, sigma, rules, 1 + rules.confirmRuns, this.deps.noiseRule);
	}

	/**
	 * Records the verdict. A keep built on a best that is no longer the best is
	 * recorded as a discard, and returned carried onto the new best to run again.
	 */
	private async record(
		worker: WorkerState,
		c: Candidate,
		commit: string,
		decision: Decision | undefined,
		crash?: string,
	): Promise<Candidate | undefined> {
		const {deps} = this;
		const rules = deps.rules();
		const budget = rules.budgetSeconds;
		const sigma = rules.judge === 'noise' ? deps.ledger.sigma(budget) : undefined;
		let carried: Candidate | undefined;
		const outcome = await deps.lock.exclusive(async () => {
			let status: Decided['status'] = crash ? 'crash' : decision!.kind === 'keep' ? 'keep' : 'discard';
			let reason = crash ?? decision!.reason;
			const best = deps.ledger.bestCommit;
			if (status === 'keep' && c.parent !== best) {
				status = 'discard';
				const bestNow = deps.ledger.best;
				const onto = await worker.checkout.worktree.carry(commit, best, `carried from #${c.n} onto #${bestNow?.n ?? '?'}`);
				if (onto) {
					const n = deps.numbers.reserve();
					reason = `${reason}, but on the best it started from; #${bestNow?.n ?? '?'} was kept meanwhile: carried onto it as #${n}`;
					carried = {
						n,
						description: `${c.description} (on #${bestNow?.n ?? '?'})`,
						commit: onto,
						parent: best,
						diff: await worker.checkout.worktree.diff(best, onto),
						members: [],
					};
				} else
					reason = `${reason}, but on the best it started from, and it does not apply on top of #${bestNow?.n ?? '?'} (kept meanwhile)`;
			}
			const values = c.members.flatMap(m => (m.value === null ? [] : [m.value]));
			const decided: Decided = {
				group: c.n,
				commit,
				parent: c.parent,
				description: c.description,
				role: 'candidate',
				budget,
				members: c.members.length > 0 ? c.members : [],
				status,
				metric: status === 'crash' || values.length === 0 ? null : mean(values),
				reason,
				...(decision && !crash ? {delta: decision.delta, ...(decision.band === undefined ? {} : {band: decision.band})} : {}),
				...(sigma === undefined ? {} : {sigma}),
				tags: this.tags(c.members.length, budget),
			};
			if (decided.members.length === 0) return undefined;
			return recordDecision(deps, decided);
		});
		if (outcome) {
			const {record, reruns} = outcome;
			deps.emit({
				type: 'run-end',
				n: record.n,
				record,
				best: deps.ledger.best,
				baseline: deps.ledger.baseline,
				seconds: c.members.reduce((a, m) => a + m.seconds, 0),
				reason: record.reason ?? '',
				worker: worker.name,
				reruns,
			});
			if (record.status === 'keep') this.announceReference();
		}
		return carried;
	}
}
