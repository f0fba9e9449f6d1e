import {diffOf} from './dry-run.js';
import type {LoopEvent} from './events.js';
import type {LastCrash} from './ledger.js';
import type {Numbers} from './numbers.js';
import {
	ProposalError,
	type CheckResult,
	type ExperimentMemory,
	type InFlight,
	type Machine,
	type Proposal,
	type Proposer,
	type ProposalRequest,
} from './proposer.js';
import {filesKey, type Tried} from './tried.js';
import type {ArenaRules, Edit, ExperimentRecord, SteeringNote} from './types.js';

// Proposals, and the GPU's time. A slow proposer (a model) is asked ahead:
// a queue of prepared proposals (depth 2 by default, and at least one per
// worker) is filled while experiments train, each prepared knowing what runs
// and what is queued, so they differ. When a keep moves the best, a prepared
// proposal is re-applied on top of it, or dropped and made again in the
// background. When nothing is ready a worker waits a moment, then the
// proposer's stand-in (the built-in search) supplies the experiment, so the
// GPU does not wait for a slow or failing model. An instant proposer (the
// search itself) is asked only when needed: it learns from every result.

/** What a proposal is made from, read fresh each time one is asked for. */
export type ProposalInputs = {
	goal: string;
	rules: ArenaRules;
	results: readonly ExperimentRecord[];
	notes: readonly SteeringNote[];
	lastCrash?: LastCrash;
	history: readonly ExperimentMemory[];
	machine: Machine;
};

export type QueueDeps = {
	proposer: Proposer;
	emit: (event: LoopEvent) => void;
	numbers: Numbers;
	tried: Tried;
	inputs: () => ProposalInputs;
	/** Experiments running now. */
	running: () => InFlight[];
	bestCommit: () => string;
	filesAt: (commit: string) => Promise<Record<string, string>>;
	/** The dry run against `base`, which also refuses a repeat; `compile` for proposers, which can still retry. */
	check: (base: Readonly<Record<string, string>>, compile: boolean) => (edits: Edit[]) => Promise<CheckResult>;
	/** Proposals kept prepared. */
	depth: () => number;
	/** How long a worker waits for the model before the stand-in supplies the experiment. */
	graceMs: () => number;
	/** True while no experiment runs (the state then says `proposing`). */
	idle: () => boolean;
};

/** A proposal ready to run: its experiment number, the best it was made on, and the files it makes. */
export type Ready = {n: number; proposal: Proposal; baseCommit: string; files: Record<string, string>; key: string};

type Making = {n: number; abort: AbortController; done: Promise<Ready | undefined>; startedAt: number};

/** Failed proposals in a row (of a proposer with no stand-in) before the loop starts waiting between tries. */
const failuresBeforeBackoff = 3;

/** Failed proposals in a row after which the stand-in supplies experiments while the model is asked again. */
export const standInAfterFailures = 2;

export class ProposalQueue {
	/** Failed proposals in a row; the loop backs off when an instant proposer keeps failing. */
	failuresInARow = 0;
	private ready: Ready[] = [];
	private readonly making = new Set<Making>();
	private stopped = false;
	private retryAt = 0;
	private retryTimer: NodeJS.Timeout | undefined;
	private lastFailure: string | undefined;
	private changed: Array<() => void> = [];
	/** How long the proposer's last successful proposals took (ms), to tell whether waiting for one is worth it. */
	private readonly durations: number[] = [];

	constructor(private readonly deps: QueueDeps) {}

	private get proposer(): Proposer {
		return this.deps.proposer;
	}

	/** What is prepared, as proposers see it in `inFlight`. */
	prepared(): InFlight[] {
		return this.ready.map(r => ({n: r.n, description: r.proposal.description, state: 'prepared' as const}));
	}

	private notify(): void {
		const waiting = this.changed;
		this.changed = [];
		for (const wake of waiting) wake();
	}

	/** Resolves when a proposal becomes ready or a request ends, or after `ms`. */
	private wait(ms: number): Promise<void> {
		return new Promise(resolve => {
			const timer = setTimeout(done, ms);
			function done(): void {
				clearTimeout(timer);
				resolve();
			}
			this.changed.push(done);
		});
	}

	/** Asks `proposer` for experiment n against `baseCommit`; undefined on failure (reported as an event). */
	private async make(n: number, baseCommit: string, proposer: Proposer, abort: AbortController): Promise<Ready | undefined> {
		const {emit} = this.deps;
		const startedAt = Date.now();
		emit({type: 'proposal-start', n, proposer: proposer.name, ...(proposer.model ? {model: proposer.model} : {})});
		if (this.deps.idle()) emit({type: 'state', state: 'proposing', detail: `experiment ${n}`});
		try {
			const base = await this.deps.filesAt(baseCommit);
			const request: ProposalRequest = {
				...this.deps.inputs(),
				n,
				files: base,
				inFlight: [...this.deps.running(), ...this.prepared()],
				check: this.deps.check(base, true),
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
			const checked = await this.deps.check(base, false)(proposal.edits);
			if (!checked.ok) throw new ProposalError(checked.reason);
			emit({
				type: 'proposal',
				n,
				description: proposal.description,
				...(proposal.rationale ? {rationale: proposal.rationale} : {}),
				diff: diffOf(base, checked.files),
				proposer: proposal.proposer,
				...(proposal.model ? {model: proposal.model} : {}),
			});
			if (proposer === this.proposer) {
				this.failuresInARow = 0;
				this.lastFailure = undefined;
				this.durations.push(Date.now() - startedAt);
				if (this.durations.length > 5) this.durations.shift();
			}
			const editable = this.deps.inputs().rules.editable;
			return {n, proposal, baseCommit, files: checked.files, key: filesKey(checked.files, editable)};
		} catch (error) {
			if (abort.signal.aborted) return undefined;
			this.failed(n, (error as Error).message, proposer === this.proposer);
			return undefined;
		}
	}

	/** A proposal that could not be used: counted (the model's) and reported. */
	failed(n: number, reason: string, counts = true): void {
		if (counts) {
			this.failuresInARow++;
			this.lastFailure = reason;
			// Asked again in the background, later each time it fails: never the same request in a tight loop.
			this.retryAt = Date.now() + Math.min(60_000, 2000 * 2 ** Math.max(0, this.failuresInARow - 2));
		}
		this.deps.emit({type: 'proposal-failed', n, reason});
	}

	/** How long the loop waits before asking a proposer that keeps failing again (none for the first few failures). */
	backoff(): {seconds: number; detail: string} | undefined {
		const failures = this.failuresInARow;
		if (failures < failuresBeforeBackoff) return undefined;
		const seconds = Math.min(300, 10 * 2 ** (failures - failuresBeforeBackoff));
		return {seconds, detail: `${failures} failed proposals in a row; next try in ${seconds} s`};
	}

	/** Keeps the queue filled, for a proposer slow enough to be asked ahead. */
	fill(): void {
		if (this.stopped || !this.proposer.pipelined) return;
		const concurrency = Math.max(1, this.proposer.concurrency ?? 1);
		if (this.failuresInARow > 0 && Date.now() < this.retryAt) {
			this.retryTimer ??= setTimeout(() => {
				this.retryTimer = undefined;
				this.fill();
			}, this.retryAt - Date.now());
			return;
		}
		while (this.ready.length + this.making.size < this.deps.depth() && this.making.size < concurrency) {
			const n = this.deps.numbers.reserve();
			const abort = new AbortController();
			const entry: Making = {n, abort, done: this.make(n, this.deps.bestCommit(), this.proposer, abort), startedAt: Date.now()};
			this.making.add(entry);
			void entry.done.then(ready => {
				this.making.delete(entry);
				if (ready && !this.stopped) {
					this.ready.push(ready);
					this.deps.tried.set(ready.key, {n, description: ready.proposal.description, state: 'prepared'});
				} else this.deps.numbers.release(n);
				this.notify();
				this.fill();
			});
		}
	}

	/**
	 * The next proposal to run, against the best now. Undefined when the
	 * loop is stopping, or an instant proposer failed (the loop backs off).
	 */
	async take(): Promise<Ready | undefined> {
		while (!this.stopped) {
			const best = this.deps.bestCommit();
			while (this.ready.length > 0) {
				const entry = this.ready.shift()!;
				this.deps.tried.drop(entry.key);
				const placed = await this.place(entry, best);
				if (placed) {
					this.fill();
					return placed;
				}
				this.deps.numbers.release(entry.n);
			}
			if (!this.proposer.pipelined) return this.now(this.proposer, best);
			this.fill();
			const standIn = this.proposer.standIn;
			if (standIn && this.failuresInARow >= standInAfterFailures) {
				this.deps.emit({
					type: 'message',
					level: 'warn',
					text: `${this.proposer.name} failed ${this.failuresInARow} proposals in a row (last: ${this.lastFailure ?? 'unknown'}); the ${standIn.name} proposer supplies this experiment while the model is asked again`,
				});
				const made = await this.now(standIn, best);
				if (made) return made;
			}
			// Waiting a moment is worth it only when a request may end within it: one that just started (a keep made
			// the prepared ones stop applying) would keep the GPU idle for most of a generation.
			const grace = this.deps.graceMs();
			const expected = this.expectedReadyMs();
			if (!standIn || expected <= grace) {
				await this.wait(grace);
				if (this.ready.length > 0 || this.stopped) continue;
			} else
				this.deps.emit({
					type: 'message',
					level: 'info',
					text: `${this.proposer.name} needs about ${Math.ceil(expected / 1000)} s more for its next proposal; the ${standIn.name} proposer supplies this experiment`,
				});
			if (standIn) {
				const made = await this.now(standIn, best);
				if (made) return made;
				await this.wait(1000);
			} else if (this.making.size === 0) {
				// Nothing prepared, nothing asked, nothing to stand in: the proposer failed; the loop backs off and asks again.
				return undefined;
			}
		}
		return undefined;
	}

	/** How long until the soonest request under way is likely to end: its typical duration less its age (0 when unknown). */
	private expectedReadyMs(): number {
		if (this.durations.length === 0 || this.making.size === 0) return 0;
		const typical = [...this.durations].sort((a, b) => a - b)[Math.floor(this.durations.length / 2)]!;
		const now = Date.now();
		return Math.max(0, Math.min(...[...this.making].map(m => typical - (now - m.startedAt))));
	}

	/** Asks an instant proposer now. */
	private async now(proposer: Proposer, best: string): Promise<Ready | undefined> {
		const n = this.deps.numbers.reserve();
		const made = await this.make(n, best, proposer, new AbortController());
		if (!made) this.deps.numbers.release(n);
		return made;
	}

	/** A prepared proposal, on the best now: as it is, re-applied on top of a newer best, or undefined when it no longer fits. */
	private async place(entry: Ready, best: string): Promise<Ready | undefined> {
		const {emit} = this.deps;
		const base = await this.deps.filesAt(best);
		const again = await this.deps.check(base, false)(entry.proposal.edits);
		if (again.ok) {
			if (entry.baseCommit !== best)
				emit({type: 'message', level: 'info', text: `#${entry.n}: the prepared proposal applies on top of the new best: running it`});
			const editable = this.deps.inputs().rules.editable;
			return {...entry, baseCommit: best, files: again.files, key: filesKey(again.files, editable)};
		}
		const why = again.repeats ? `it repeats #${again.repeats.n}` : `it no longer applies on top of the new best (${again.reason})`;
		emit({type: 'message', level: 'info', text: `#${entry.n}: the prepared proposal was dropped: ${why}; another is being prepared`});
		return undefined;
	}

	/** A steering note arrived: what was prepared without it is made again with it. */
	refresh(): void {
		for (const entry of this.ready) {
			this.deps.tried.drop(entry.key);
			this.deps.numbers.release(entry.n);
		}
		const dropped = this.ready.length + this.making.size;
		this.ready = [];
		for (const entry of this.making) entry.abort.abort();
		if (dropped > 0)
			this.deps.emit({
				type: 'message',
				level: 'info',
				text: `dropped ${dropped} prepared proposal${dropped === 1 ? '' : 's'}: preparing again with the note`,
			});
		this.fill();
	}

	/** Stops every request and drops what is prepared (pause, quit). */
	abort(): void {
		for (const entry of this.making) entry.abort.abort();
		for (const entry of this.ready) {
			this.deps.tried.drop(entry.key);
			this.deps.numbers.release(entry.n);
		}
		this.ready = [];
		clearTimeout(this.retryTimer);
		this.retryTimer = undefined;
		this.notify();
	}

	/** No more proposals: the loop is ending. */
	stop(): void {
		this.stopped = true;
		this.abort();
	}
}
