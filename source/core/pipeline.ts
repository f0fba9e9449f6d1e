import type {ArenaRules, Edit} from './types.js';
import type {LoopEvent} from './events.js';
import type {LastCrash} from './ledger.js';
import {ProposalError, type CheckResult, type Proposal, type Proposer, type ProposalRequest} from './proposer.js';
import type {ExperimentRecord, SteeringNote} from './types.js';
import {diffOf} from './dry-run.js';

// Proposals, and the GPU's time: while run N trains, a slow proposer (a
// model) is already asked for proposal N+1 against the current best, so the
// next run can start the moment this one is recorded. If N is kept, N+1 is
// re-applied on top of the new best, or asked for again when it no longer
// applies. An instant proposer (the built-in search) is asked only when
// needed: it learns from N's result.

/** What a proposal is made from, read fresh each time it is asked for. */
export type ProposalInputs = {
	goal: string;
	rules: ArenaRules;
	results: readonly ExperimentRecord[];
	notes: readonly SteeringNote[];
	lastCrash?: LastCrash;
};

export type PipelineDeps = {
	proposer: Proposer;
	emit: (event: LoopEvent) => void;
	inputs: () => ProposalInputs;
	/** The editable files at a commit. */
	filesAt: (commit: string) => Promise<Record<string, string>>;
	/** The dry run against `base`; `compile` for proposers, which can still retry. */
	check: (base: Readonly<Record<string, string>>, compile: boolean) => (edits: Edit[]) => Promise<CheckResult>;
	/** True while an experiment trains (the state then stays `running`). */
	running: () => boolean;
};

type Prepared = {n: number; baseCommit: string; result: Promise<Proposal | undefined>; abort: AbortController};

export class ProposalPipeline {
	/** Failed proposals in a row; the loop backs off when it grows. */
	failuresInARow = 0;
	private prepared: Prepared | undefined;
	private inFlight = new Set<AbortController>();

	constructor(private readonly deps: PipelineDeps) {}

	/** Asks the proposer for experiment n's proposal against `baseCommit`. Resolves undefined on failure (reported as an event). */
	async propose(n: number, baseCommit: string, abort = new AbortController()): Promise<Proposal | undefined> {
		const {proposer, emit} = this.deps;
		this.inFlight.add(abort);
		emit({type: 'proposal-start', n, proposer: proposer.name, ...(proposer.model ? {model: proposer.model} : {})});
		if (!this.deps.running()) emit({type: 'state', state: 'proposing', detail: `experiment ${n}`});
		try {
			const files = await this.deps.filesAt(baseCommit);
			const request: ProposalRequest = {
				...this.deps.inputs(),
				n,
				files,
				inFlight: [],
				history: [],
				machine: {device: 'cpu', workers: 1},
				check: this.deps.check(files, true),
				signal: abort.signal,
				emit: event => {
					if (abort.signal.aborted) return;
					switch (event.type) {
						case 'token':
							return emit({type: 'proposal-token', n, text: event.text, channel: event.channel});
						case 'retry':
							return emit({type: 'proposal-retry', n, attempt: event.attempt, reason: event.reason});
						case 'message':
							return emit({type: 'message', level: event.level, text: event.text});
					}
				},
			};
			const proposal = await proposer.propose(request);
			if (abort.signal.aborted) return undefined;
			const checked = await this.deps.check(files, false)(proposal.edits);
			if (!checked.ok) throw new ProposalError(checked.reason);
			emit({
				type: 'proposal',
				n,
				description: proposal.description,
				...(proposal.rationale ? {rationale: proposal.rationale} : {}),
				diff: diffOf(files, checked.files),
				proposer: proposal.proposer,
				...(proposal.model ? {model: proposal.model} : {}),
			});
			this.failuresInARow = 0;
			return proposal;
		} catch (error) {
			if (abort.signal.aborted) return undefined;
			this.failed(n, (error as Error).message);
			return undefined;
		} finally {
			this.inFlight.delete(abort);
		}
	}

	/** A proposal that could not be used after all (it stopped applying): counted and reported like any failure. */
	failed(n: number, reason: string): void {
		this.failuresInARow++;
		this.deps.emit({type: 'proposal-failed', n, reason});
	}

	/** Starts proposal n while the current run trains, for proposers slow enough to be worth it. */
	prepare(n: number, baseCommit: string): void {
		if (!this.deps.proposer.pipelined) return;
		const abort = new AbortController();
		this.prepared = {n, baseCommit, abort, result: this.propose(n, baseCommit, abort)};
	}

	/**
	 * The proposal for experiment n against the best: the one prepared during
	 * the last run if it still applies there, else a fresh one. Undefined
	 * when the proposer failed or the loop is stopping.
	 */
	async next(n: number, bestCommit: string, stopping: () => boolean): Promise<Proposal | undefined> {
		const prepared = this.prepared;
		this.prepared = undefined;
		if (prepared) {
			const proposal = await prepared.result;
			if (stopping() || !proposal) return undefined;
			if (prepared.baseCommit === bestCommit) return proposal;
			const again = await this.deps.check(await this.deps.filesAt(bestCommit), false)(proposal.edits);
			if (again.ok) {
				this.deps.emit({type: 'message', level: 'info', text: 'the prepared proposal applies on top of the new best: running it'});
				return proposal;
			}
			this.deps.emit({
				type: 'message',
				level: 'info',
				text: `the prepared proposal no longer applies on top of the new best (${again.reason}): asking again`,
			});
		}
		return this.propose(n, bestCommit);
	}

	/** Stops every proposal under way and drops the prepared one. */
	abort(): void {
		for (const abort of this.inFlight) abort.abort();
		this.prepared?.abort.abort();
		this.prepared = undefined;
	}
}
