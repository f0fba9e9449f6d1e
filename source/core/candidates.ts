import path from 'node:path';
import {claimFolder, commitProposal, type RunPlan} from './experiment.js';
import {writeFileAtomic} from './fsutil.js';
import {JobPart} from './job-part.js';
import {newShared, type Candidate, type WorkerState} from './jobs-types.js';
import {recordDecision, type Decided, type Member} from './measure.js';
import {decide, mean, type Decision} from './noise.js';
import type {Pending} from './recovery.js';
import {listRunFolders} from './results.js';
import {readRunSummary} from './run-summary.js';
import {Tried} from './tried.js';

// An experiment, from a proposal to its verdict: committed on top of the
// best, run once, re-run on the same worker while the judge calls it close,
// decided against the best at the moment it finishes, and carried onto a
// newer best (and run again there) when it won on an older one, so the
// branch only ever holds commits measured as they stand.

/** Interruptions after which an experiment is recorded as a crash rather than run again (one that kills the loop each time). */
const interruptionsAllowed = 3;

export class Candidates extends JobPart {
	/** An experiment a stopped loop had begun: measured on from where it stands. */
	async resume(worker: WorkerState, pending: Pending): Promise<void> {
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
			const shared = newShared('baseline', this.deps.ledger.bestCommit, rules.budgetSeconds, pending.group, 'baseline', rules.baselineRuns);
			shared.members = members;
			shared.firstTaken = members.some(m => m.folder.n === pending.group);
			this.state.shared = shared;
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
	async measure(worker: WorkerState, c: Candidate): Promise<void> {
		const {deps} = this;
		this.state.underWay++;
		let key = c.key;
		try {
			let commit = c.commit;
			let diff = c.diff;
			if (!commit) {
				const committed = await deps.lock.exclusive(() =>
					commitProposal(worker, deps.session.relative, deps.filesAt, deps.check, c.proposal!, c.parent),
				);
				if ('reason' in committed) {
					// The proposal was checked when it was made; the best moved under it since. Not the proposer's failure.
					deps.queue.failed(c.n, committed.reason, false);
					deps.numbers.release(c.n);
					return;
				}
				({commit, diff} = committed);
			}
			key ??= (await Tried.keysOf(deps.session.repo, [commit], deps.rules().editable, deps.session.relative)).get(commit);
			c.key = key;
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
			this.state.underWay--;
			if (key) deps.tried.set(key, {n: c.n, description: c.description, state: 'tried'});
		}
	}

	/**
	 * The verdict on a candidate's runs at the budget in force: against the
	 * best, or, when another worker's keep moved the best while it ran,
	 * against the best it started from (where it was measured, it is whether
	 * its change helped there that decides if it is carried onto the new best).
	 */
	async judge(c: Candidate, budget: number): Promise<Decision> {
		const {ledger} = this.deps;
		let rules = this.deps.rules();
		if (rules.budgetSeconds !== budget) {
			return {kind: 'discard', delta: 0, band: undefined, reason: `ran at ${budget} s; comparisons are at ${rules.budgetSeconds} s now`};
		}
		// The best may still be re-measured at this budget (a budget change): wait for it.
		const unbiased = rules.judge === 'noise';
		while (!ledger.reference(budget, unbiased) && !this.state.halted && !this.deps.stopping()) await this.deps.changed();
		rules = this.deps.rules();
		const stale = c.parent !== ledger.bestCommit;
		const reference = (stale ? ledger.referenceOf(c.parent, budget, unbiased) : undefined) ?? ledger.reference(budget, unbiased);
		if (!reference) return {kind: 'discard', delta: 0, band: undefined, reason: 'no reference to judge against'};
		const sigma = unbiased ? ledger.sigma(budget) : undefined;
		const values = c.members.map(m => m.value!);
		return decide(values, reference, sigma, rules, 1 + rules.confirmRuns, this.deps.noiseRule);
	}

	/**
	 * Records the verdict. A keep built on a best that is no longer the best is
	 * recorded as a discard, and returned carried onto the new best to run again.
	 */
	async record(
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
				// Carried, it may make files another experiment already made (the same idea from two workers): not run twice.
				const ontoKey = onto && (await Tried.keysOf(deps.session.repo, [onto], rules.editable, deps.session.relative)).get(onto);
				// (Its own files again, when its change held the new best's: run again, on top of the new best.)
				const repeats = ontoKey && ontoKey !== c.key ? deps.tried.find(ontoKey) : undefined;
				if (onto && repeats)
					reason = `${reason}, but on the best it started from; on top of #${bestNow?.n ?? '?'} (kept meanwhile) it would repeat #${repeats.n}`;
				else if (onto) {
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
