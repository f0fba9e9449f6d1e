import path from 'node:path';
import {ArenaWatch} from './arena-watch.js';
import {Conversation} from './conversation.js';
import {readDetails} from './details.js';
import {classifyDiskError, waitForSpace} from './disk.js';
import {dryRun, FilesAtCommit} from './dry-run.js';
import {EventLog, type EventListener} from './events.js';
import {localExecutor} from './executor.js';
import {GitLock} from './git-lock.js';
import type {ExperimentDetails, LoopControl} from './intents.js';
import type {Job, Jobs, WorkerState} from './jobs.js';
import {Ledger} from './ledger.js';
import type {LoopOptions} from './loop-options.js';
import {announceStart, EventBus, openWorkers, recoverSession, settleBudget, triedSoFar, workerSpecs} from './loop-setup.js';
import {makeJobs, makeQueue, type LoopParts} from './loop-wiring.js';
import {memoryOf} from './memory.js';
import {Numbers} from './numbers.js';
import {Overrides} from './overrides.js';
import {overrule} from './overrule.js';
import {checkRunCommand} from './preflight.js';
import type {CheckResult} from './proposer.js';
import type {ProposalQueue} from './queue.js';
import type {Pending} from './recovery.js';
import {ResultsFile} from './results.js';
import {chooseExecutor, type ExecutorChoice} from './sandbox.js';
import {openSession, type Session} from './session.js';
import {refusingRepeats, type Tried} from './tried.js';
import type {Edit} from './types.js';
import {Wakers} from './wakers.js';
import {onGitNotice} from './workspace.js';

export type {LoopOptions} from './loop-options.js';

/**
 * The research loop, as program.md tells it: run the baseline (a few times,
 * to measure the noise); then, on every worker, for ever or up to a limit:
 * take a proposal, run it as an experiment, judge it against the best
 * (re-running it when the call is close), record it, keep it or not. Knows
 * nothing of screens or of how a proposal is made: it emits events and takes
 * intents (LoopControl).
 */
export class Loop implements LoopControl {
	private readonly bus = new EventBus();
	private readonly lock = new GitLock();
	private session!: Session;
	private results!: ResultsFile;
	private arena!: ArenaWatch;
	private ledger!: Ledger;
	private conversation!: Conversation;
	private files!: FilesAtCommit;
	private numbers!: Numbers;
	private tried!: Tried;
	private queue!: ProposalQueue;
	private jobs!: Jobs;
	private overrides!: Overrides;
	private workers: WorkerState[] = [];
	private pending: Pending[] = [];
	private paused = false;
	private quitting: 'finish' | 'now' | 'interrupt' | undefined;
	private readonly wakers = new Wakers();
	private finished: Promise<void> | undefined;
	private stopGitNotices: (() => void) | undefined;

	constructor(private readonly options: LoopOptions) {}

	get running(): boolean {
		return this.workers.some(w => w.handle !== undefined);
	}

	get runsDir(): string {
		return this.options.runsDir ?? path.join(this.options.workspace, 'runs');
	}

	subscribe(listener: EventListener): () => void {
		return this.bus.subscribe(listener);
	}

	private readonly emit = this.bus.emit;

	private message(level: 'info' | 'warn' | 'error', text: string): void {
		this.emit({type: 'message', level, text});
	}

	/** Opens (or resumes) the session and makes git and results.tsv agree. Throws on bad input; nothing has run yet. */
	async setup(): Promise<void> {
		const {options} = this;
		this.arena = new ArenaWatch(options.workspace, options.budgetSeconds);
		let rules = this.arena.rules();
		checkRunCommand(rules, options.workspace, options.python);
		// faults: the sandbox is chosen (or refused: SandboxError) before anything is opened.
		const sandbox: ExecutorChoice | undefined = options.executor ? undefined : chooseExecutor(options.sandbox ?? rules.sandbox ?? 'auto');
		this.stopGitNotices?.();
		this.stopGitNotices = onGitNotice(text => this.message('warn', text));
		this.session = await openSession({workspace: options.workspace, runsDir: this.runsDir, tag: options.tag, editable: rules.editable});
		const {session} = this;
		this.overrides = new Overrides(session.runsDir);
		const {fixed, override: budget} = settleBudget(options, this.arena, this.overrides);
		rules = this.arena.rules();
		this.bus.log = new EventLog(path.join(session.runsDir, 'events.jsonl'));
		this.results = new ResultsFile(session.runsDir, rules.metric);
		const recovery = await recoverSession(session, this.results, this.lock);
		this.ledger = new Ledger(recovery);
		this.pending = recovery.pending;
		this.conversation = new Conversation(
			session.runsDir,
			options.proposer,
			this.emit,
			() => ({goal: this.arena.arena.goal, results: this.ledger.records, notes: this.conversation.notes.all}),
			() => this.queue.refresh(),
			path.join(options.workspace, 'program.md'),
		);
		this.numbers = new Numbers(session.runsDir);
		for (const p of this.pending) this.numbers.hold(p.group);
		const specs = workerSpecs(options.gpus ?? rules.gpus, options.workers);
		this.workers = await openWorkers(session, specs, this.ledger.bestCommit, spec =>
			typeof options.executor === 'function' ? options.executor(spec) : (options.executor ?? sandbox?.executor ?? localExecutor),
		);
		this.files = new FilesAtCommit(this.workers[0]!.checkout.worktree, session.relative);
		this.tried = await triedSoFar(session, this.ledger, rules.editable);
		const parts: LoopParts = {
			options,
			session,
			arena: this.arena,
			ledger: this.ledger,
			conversation: this.conversation,
			numbers: this.numbers,
			tried: this.tried,
			workers: this.workers,
			results: this.results,
			lock: this.lock,
			emit: this.emit,
			filesAt: commit => this.filesAt(commit),
			check: (base, compile) => this.check(base, compile),
		};
		this.queue = makeQueue(parts, () => this.running);
		this.jobs = makeJobs(parts, this.queue, {stopping: () => this.quitting, changed: () => this.changed(), poke: () => this.poke()});
		announceStart(this.emit, {
			session,
			rules,
			budgetOverride: budget !== undefined,
			proposer: options.proposer.name,
			python: options.python,
			workers: this.workers,
			notices: [...(sandbox?.note ? [sandbox.note] : []), ...recovery.notes.map(text => ({level: 'warn' as const, text}))],
			fixed,
			notes: this.conversation.notes.all,
			ledger: this.ledger,
		});
		this.jobs.announceReference();
		if (this.pending.length === 0) this.jobs.reserveBaseline();
	}

	private filesAt(commit: string): Promise<Record<string, string>> {
		return this.files.get(commit, this.arena.rules().editable);
	}

	/** The dry run, refusing also a proposal whose files repeat an experiment tried, running or prepared. */
	private check(base: Readonly<Record<string, string>>, compile: boolean): (edits: Edit[]) => Promise<CheckResult> {
		const {editable} = this.arena.rules();
		const dry = dryRun(base, {arenaDir: this.workers[0]!.checkout.arenaDir, editable, python: this.options.python, compile});
		return refusingRepeats(dry, this.tried, editable);
	}

	/** Runs until the limit, or until quit(). Call setup() first. */
	run(): Promise<void> {
		this.finished ??= this.main();
		return this.finished;
	}

	private async main(): Promise<void> {
		const stops = (this.options.sources ?? []).map(start => start(this.emit));
		let failure: unknown;
		try {
			this.queue.fill();
			await Promise.all(this.workers.map(w => this.work(w)));
		} catch (error) {
			failure = error;
			this.message('error', `the loop stopped: ${classifyDiskError(error)?.message ?? (error as Error).message}`);
		} finally {
			this.quitting ??= 'finish';
			this.queue.stop();
			for (const w of this.workers) w.handle?.stop();
			this.conversation.close();
			for (const stop of stops) stop();
			await this.lock.idle();
			this.stopGitNotices?.();
			const why = this.jobs.halted ?? (this.limitReached() ? 'reached the experiment limit' : 'stopped');
			this.emit({type: 'state', state: 'done', detail: why});
		}
		if (failure !== undefined) throw failure instanceof Error ? failure : new Error(JSON.stringify(failure));
	}

	/** One worker's loop: what to run next, then run it. */
	private async work(worker: WorkerState): Promise<void> {
		let saidPaused = false;
		while (!this.quitting && !this.jobs.halted && !this.limitReached()) {
			if (this.paused) {
				if (!saidPaused && !this.running) this.emit({type: 'state', state: 'paused'});
				saidPaused = true;
				await this.changed();
				continue;
			}
			saidPaused = false;
			// faults: no new work on a full disk (disk.ts): wait, saying so, until there is room.
			if (!(await waitForSpace([this.runsDir, this.session.repo], {emit: this.emit, stopped: () => this.quitting !== undefined}))) continue;
			this.reloadArena();
			const job = await this.next();
			if (!job) continue;
			await this.jobs.run(worker, job);
			// A result frees work for the others: a worker waiting on the baseline's last run, or at the experiment limit.
			this.poke();
		}
		// No more experiments will start: nothing needs preparing, and the other workers must not wait for a proposal.
		if (this.limitReached() || this.jobs.halted) {
			this.queue.stop();
			this.poke();
		}
	}

	/** The next job for a free worker, or undefined after waiting for something to change. */
	private async next(): Promise<Job | undefined> {
		const resumed = this.pending.shift();
		if (resumed) return {kind: 'resume', pending: resumed};
		const shared = this.jobs.sharedJob();
		if (shared === 'wait') {
			await this.changed();
			return undefined;
		}
		if (shared) return shared;
		if (this.startedLimitReached()) {
			await this.changed();
			return undefined;
		}
		const ready = await this.queue.take();
		if (!ready) {
			await this.backoff();
			return undefined;
		}
		if (this.quitting || this.paused || this.startedLimitReached()) {
			this.numbers.release(ready.n);
			return undefined;
		}
		return {kind: 'candidate', ready};
	}

	private limitReached(): boolean {
		const max = this.options.maxExperiments;
		return max !== undefined && this.ledger.experiments >= max;
	}

	/** No new experiment may start: the ones recorded and the ones under way reach the limit. */
	private startedLimitReached(): boolean {
		const max = this.options.maxExperiments;
		return max !== undefined && this.ledger.experiments + this.jobs.experimentsUnderWay() >= max;
	}

	/** Resolves at the next change that may free work: a result, an intent, a timeout. */
	private changed(ms?: number): Promise<void> {
		return this.wakers.wait(ms);
	}

	private poke(): void {
		this.wakers.wake();
	}

	private async backoff(): Promise<void> {
		const wait = this.quitting ? undefined : this.queue.backoff();
		if (!wait) return;
		this.emit({type: 'state', state: 'waiting', detail: wait.detail});
		await this.changed(wait.seconds * 1000);
	}

	private reloadArena(): void {
		const before = this.arena.rules().budgetSeconds;
		const problem = this.arena.reload(this.workers[0]!.checkout.arenaDir, () => this.files.clear());
		if (problem) this.message('warn', problem);
		if (this.arena.rules().budgetSeconds !== before) this.jobs.budgetChanged();
	}

	// ---- intents ----

	pause(): void {
		this.paused = true;
		this.message('info', this.running ? 'pausing after the runs in progress' : 'paused');
		this.queue.abort();
		this.poke();
	}

	resume(): void {
		if (!this.paused) return;
		this.paused = false;
		this.message('info', 'resumed');
		this.poke();
	}

	stopRun(worker?: string): void {
		const targets = this.workers.filter(w => w.handle && (worker === undefined || w.name === worker));
		if (targets.length === 0) return this.message('warn', 'no run in progress');
		for (const w of targets) {
			this.message(
				'info',
				`stopping experiment ${w.current?.n ?? '?'}${this.workers.length > 1 ? ` on ${w.name}` : ''}; it will be recorded as stopped by hand`,
			);
			w.handle!.stop();
		}
	}

	overrule(to: 'keep' | 'revert'): void {
		void this.lock
			.exclusive(() => overrule({session: this.session, ledger: this.ledger, results: this.results, emit: this.emit}, to))
			.then(() => this.poke());
	}

	setBudget(seconds: number): void {
		if (!Number.isFinite(seconds) || seconds <= 0) return this.message('warn', '/budget takes a number of seconds above 0');
		if (this.arena.budgetFixed) {
			return this.message(
				'warn',
				`/budget: the arena fixes its training budget at ${this.arena.rules().budgetSeconds} s in its own code, and its runs would train for that long whatever nightshift says; change it there (e.g. prepare.py's TIME_BUDGET)`,
			);
		}
		this.arena.setBudget(seconds);
		this.overrides.setBudget(seconds);
		this.emit({type: 'budget-changed', seconds});
		this.message(
			'info',
			`time budget ${seconds} s from the next run on${this.ledger.best ? '; the best is re-run at it before anything is compared' : ''}`,
		);
		this.jobs.budgetChanged();
		this.poke();
	}

	setModel(model: string): void {
		this.conversation.setModel(model);
	}

	say(text: string): void {
		this.conversation.say(text);
	}

	ask(text: string): void {
		this.conversation.ask(text);
	}

	removeNote(id?: number): void {
		this.conversation.removeNote(id);
	}

	showNotes(): void {
		this.conversation.showNotes();
	}

	details(n: number): Promise<ExperimentDetails> {
		return Promise.resolve(readDetails(this.session.runsDir, n));
	}

	changeSinceBaseline(): Promise<string> {
		return this.workers[0]!.checkout.worktree.diff(this.session.base, this.ledger.bestCommit);
	}

	lastSeen(): string | undefined {
		return this.overrides.seen;
	}

	markSeen(): void {
		this.overrides.markSeen();
	}

	showMemory(): void {
		this.conversation.showMemory(memoryOf(this.session.runsDir, this.ledger.records), this.arena.rules());
	}

	readGoal(): string {
		return this.conversation.readGoal();
	}

	saveGoal(text: string): Promise<void> {
		return this.conversation.saveGoal(text);
	}

	async quit(mode: 'finish' | 'now' | 'interrupt'): Promise<void> {
		if (this.quitting === undefined || mode !== 'finish') this.quitting = mode;
		const detail =
			mode === 'finish'
				? this.running
					? 'finishing the runs in progress'
					: 'stopping'
				: mode === 'now'
					? 'stopping the runs now'
					: 'interrupted: the runs in progress will run again on restart';
		this.emit({type: 'state', state: 'stopping', detail});
		this.queue?.stop();
		if (mode !== 'finish') for (const w of this.workers) w.handle?.stop();
		this.poke();
		if (this.finished) await this.finished;
	}
}
