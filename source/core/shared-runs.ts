import {JobPart} from './job-part.js';
import type {RunPlan} from './experiment.js';
import type {Shared, WorkerState} from './jobs-types.js';
import {recordDecision, recordRerun, type Decided} from './measure.js';
import {mean} from './noise.js';
import {Tried} from './tried.js';

// The runs that are no experiment of their own: the baseline, run several
// times (shared among the workers) to measure the noise, and the best,
// re-measured when the budget changes. The baseline's verdict is its mean.

export class SharedRuns extends JobPart {
	async run(worker: WorkerState, shared: Shared): Promise<void> {
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
		if (!done.ok && done.external && shared.kind === 'baseline') {
			// Not the arena's fault (the OOM killer, a job cancelled): this run is recorded as the crash it was, and the
			// baseline runs again under a new number (its folder keeps this one: one folder a row).
			shared.assigned--;
			if (first) {
				shared.firstTaken = false;
				shared.group = this.deps.numbers.reserve();
			}
			const decided: Decided = {
				group: n,
				commit: shared.commit,
				parent: shared.commit,
				description: 'baseline',
				role: 'baseline',
				budget: shared.budget,
				members: [done.member],
				status: 'crash',
				metric: null,
				reason: `killed from outside (${done.reason}); the baseline runs again`,
				tags: [],
			};
			const {record} = await this.deps.lock.exclusive(() => recordDecision(this.deps, decided));
			this.deps.emit({
				type: 'run-end',
				n,
				record,
				best: this.deps.ledger.best,
				baseline: this.deps.ledger.baseline,
				seconds: done.member.seconds,
				reason: decided.reason,
				worker: worker.name,
			});
			this.message('warn', `the baseline run #${n} was killed from outside (${done.reason}); running it again`);
			return;
		}
		if (shared.kind === 'reference') {
			await this.deps.lock.exclusive(() => {
				const record = recordRerun(this.deps, done.member, {
					group: shared.group,
					commit: shared.commit,
					description: shared.description,
					budget: shared.budget,
				});
				this.deps.emit({type: 'rerun', n, record, seconds: done.member.seconds, worker: worker.name});
				return Promise.resolve();
			});
			shared.members.push(done.member);
			if (!done.ok && ++shared.crashes >= shared.needed) {
				this.state.halted = `the best (#${shared.group}) crashes at a budget of ${shared.budget} s (${done.reason}); choose another budget (/budget, or program.md)`;
				this.message('error', this.state.halted);
			} else if (!done.ok) shared.assigned--;
			if (shared.members.filter(m => m.value !== null).length >= shared.needed) {
				this.state.shared = undefined;
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

	async decideBaseline(shared: Shared, reason: string | undefined, tail: string[]): Promise<void> {
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
		this.state.shared = undefined;
		// The baseline's files count as tried: a proposal that turns everything back is a repeat of #1.
		const key = (await Tried.keysOf(this.deps.session.repo, [shared.commit], rules.editable, this.deps.session.relative)).get(
			shared.commit,
		);
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
			this.state.halted = `the baseline crashed (${decided.reason})`;
			this.message(
				'error',
				`the baseline run crashed (${decided.reason}); nothing can be judged against it. Fix the arena, commit the fix, and start nightshift again: it runs the baseline again on your new commit.\n${tail.slice(-15).join('\n')}`,
			);
			return;
		}
		this.announceReference();
	}
}
