import {readFileSync} from 'node:fs';
import path from 'node:path';
import {ArenaError, parseArena} from './arena.js';
import {fixedBudget, preparedData} from './arena-checks.js';
import {ArenaWatch} from './arena-watch.js';
import {dryRun, FilesAtCommit} from './dry-run.js';
import {EventLog, type EventListener, type LoopEvent} from './events.js';
import {localExecutor, type Executor, type RunHandle} from './executor.js';
import {writeFileAtomic} from './fsutil.js';
import {GitLock} from './git-lock.js';
import type {ExperimentDetails, LoopControl} from './intents.js';
import {Jobs, type Job, type WorkerState} from './jobs.js';
import {Ledger} from './ledger.js';
import {ChatRelay, Notes} from './notes.js';
import {Numbers} from './numbers.js';
import {overrule} from './overrule.js';
import {checkRunCommand, runArgv} from './preflight.js';
import type {CheckResult, Machine, Proposer} from './proposer.js';
import {ProposalQueue} from './queue.js';
import {recover, type Pending} from './recovery.js';
import {listRunFolders, ResultsFile} from './results.js';
import {readRunSummary} from './run-summary.js';
import {adoptNewBase, openCheckout, openSession, type Session} from './session.js';
import {filesKey, Tried} from './tried.js';
import type {Edit} from './types.js';
import {memoryOf} from './memory.js';
import type {NoiseRule} from './noise.js';
import {Overrides} from './overrides.js';
import {classifyDiskError, waitForSpace} from './disk.js';
import {chooseExecutor, type ExecutorChoice, type SandboxMode} from './sandbox.js';
import {onGitNotice} from './workspace.js';

export type LoopOptions = {
	/** The folder with program.md (inside a git repository). */
	workspace: string;
	/** Where results.tsv, run folders, the event log and the worktrees go; default `<workspace>/runs`. */
	runsDir?: string;
	tag?: string;
	proposer: Proposer;
	/** Stop once results.tsv holds this many experiments (re-runs are not experiments; a restart counts what is there). */
	maxExperiments?: number;
	/** Overrides program.md's budget. */
	budgetSeconds?: number;
	/** Interpreter for `python ...` commands and for compiling proposals. */
	python?: string;
	/** Extra environment for runs. */
	env?: Record<string, string>;
	killGraceSeconds?: number;
	/** Workers that run experiments side by side: one per GPU listed, or this many without GPUs. Default one. */
	workers?: number;
	gpus?: number[];
	/** How runs are run; the sandbox (sandbox.ts) by default. One per worker, or one for all. */
	executor?: Executor | ((worker: {name: string; gpu?: number}) => Executor);
	/** The sandbox, when no executor is given (--sandbox; wins over program.md's `sandbox:`); default auto. */
	sandbox?: SandboxMode;
	/** Proposals kept prepared ahead (at least one per worker); default 2. */
	queueDepth?: number;
	/** The hardware, as proposers are told. */
	machine?: Omit<Machine, 'workers'>;
	/** The noise rule's thresholds (core/noise.ts): for benchmarks trying others; the default otherwise. */
	noiseRule?: NoiseRule;
	/** Optional extra event sources started with the loop (GPU polling); each returns its stop function. */
	sources?: Array<(emit: (event: LoopEvent) => void) => () => void>;
};

/** Failed proposals in a row (of a proposer with no stand-in) before the loop starts waiting between tries. */
const failuresBeforeBackoff = 3;

/**
 * The research loop, as program.md tells it: run the baseline (a few times,
 * to measure the noise); then, on every worker, for ever or up to a limit:
 * take a proposal, run it as an experiment, judge it against the best
 * (re-running it when the call is close), record it, keep it or not. Knows
 * nothing of screens or of how a proposal is made: it emits events and takes
 * intents (LoopControl).
 */
export class Loop implements LoopControl {
	private readonly listeners = new Set<EventListener>();
	private readonly lock = new GitLock();
	private session!: Session;
	private results!: ResultsFile;
	private eventLog: EventLog | undefined;
	private arena!: ArenaWatch;
	private ledger!: Ledger;
	private notes!: Notes;
	private chat!: ChatRelay;
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
	private wakers: Array<() => void> = [];
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
		this.listeners.add(listener);
		return () => this.listeners.delete(listener);
	}

	private emit = (event: LoopEvent): void => {
		try {
			this.eventLog?.append(event);
		} catch {
			// A full disk must not stop the loop from telling the screen.
		}
		for (const listener of this.listeners) {
			try {
				listener(event);
			} catch {
				// One broken listener does not stop the loop or the others.
			}
		}
	};

	private message(level: 'info' | 'warn' | 'error', text: string): void {
		this.emit({type: 'message', level, text});
	}

	/** The workers asked for: one per GPU, else `workers` (default 1). */
	private workerSpecs(): Array<{name: string; gpu?: number}> {
		const gpus = this.options.gpus ?? this.arena.rules().gpus;
		if (gpus && gpus.length > 0) return gpus.map((gpu, i) => ({name: `w${i}`, gpu}));
		return Array.from({length: Math.max(1, this.options.workers ?? 1)}, (_, i) => ({name: `w${i}`}));
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
		const fixed = fixedBudget(options.workspace, rules.cwd);
		const data = preparedData(options.workspace, rules.command);
		if (data && !data.ready) {
			throw new ArenaError(
				`the arena's data is not prepared (missing: ${data.missing.join('; ')}): run \`${data.command}\` once in ${options.workspace} ` +
					'(it downloads from the network, once), then start nightshift again',
			);
		}
		if (fixed && options.budgetSeconds !== undefined && options.budgetSeconds !== fixed.seconds) {
			throw new ArenaError(
				`--budget ${options.budgetSeconds}: the arena fixes its training budget at ${fixed.seconds} s (${fixed.file} line ${fixed.line}: TIME_BUDGET = ${fixed.seconds}) ` +
					`and does not read NIGHTSHIFT_TIME_BUDGET, so its runs would train for ${fixed.seconds} s whatever nightshift says; drop --budget, or make ${fixed.file} read NIGHTSHIFT_TIME_BUDGET`,
			);
		}
		const budget = fixed ? undefined : (options.budgetSeconds ?? this.overrides.budget);
		if (fixed) this.arena.fixBudget(fixed.seconds);
		else if (budget !== undefined) this.arena.setBudget(budget);
		rules = this.arena.rules();
		this.eventLog = new EventLog(path.join(session.runsDir, 'events.jsonl'));
		this.results = new ResultsFile(session.runsDir, rules.metric);
		const recovery = await this.lock.exclusive(() => recover(session, this.results));
		// A baseline that crashed runs again, on the user's fix when they committed one.
		const crashed = recovery.records.length > 0 && !recovery.records.some(r => r.status === 'keep');
		if (crashed) {
			const old = session.base;
			const adopted = await this.lock.exclusive(() => adoptNewBase(session));
			recovery.bestCommit = session.base;
			recovery.notes.push(
				adopted
					? `the baseline crashed on ${old.slice(0, 7)}; it runs again on your commit ${adopted.slice(0, 7)}`
					: `the baseline crashed on ${old.slice(0, 7)} and nothing was committed since; it runs again as it is`,
			);
		}
		this.ledger = new Ledger(recovery);
		this.pending = recovery.pending;
		this.notes = Notes.at(session.runsDir);
		this.chat = new ChatRelay(options.proposer, this.emit);
		this.numbers = new Numbers(session.runsDir);
		for (const p of this.pending) this.numbers.hold(p.group);
		const specs = this.workerSpecs();
		this.workers = [];
		for (const spec of specs) {
			const checkout = await openCheckout(session, spec.name, this.ledger.bestCommit);
			const executor =
				typeof options.executor === 'function' ? options.executor(spec) : (options.executor ?? sandbox?.executor ?? localExecutor);
			this.workers.push({
				name: spec.name,
				...(spec.gpu === undefined ? {} : {gpu: spec.gpu}),
				checkout,
				executor,
				env: spec.gpu === undefined ? {} : {CUDA_VISIBLE_DEVICES: String(spec.gpu)},
				handle: undefined,
				current: undefined,
			});
		}
		this.files = new FilesAtCommit(this.workers[0]!.checkout.worktree, session.relative);
		this.tried = new Tried();
		const commits = [...new Set(this.ledger.records.map(r => r.commit))];
		const keys = await Tried.keysOf(session.repo, commits, rules.editable, session.relative);
		for (const record of this.ledger.records) {
			const key = keys.get(record.commit);
			if (key && record.status !== 'rerun') this.tried.set(key, {n: record.n, description: record.description, state: 'tried'});
		}
		this.queue = new ProposalQueue({
			proposer: options.proposer,
			emit: this.emit,
			numbers: this.numbers,
			tried: this.tried,
			inputs: () => ({
				goal: this.arena.arena.goal,
				rules: this.arena.rules(),
				results: this.ledger.records,
				notes: this.notes.all,
				...(this.ledger.crash ? {lastCrash: this.ledger.crash} : {}),
				history: memoryOf(session.runsDir, this.ledger.records),
				machine: {device: 'cpu', ...options.machine, workers: this.workers.length},
			}),
			running: () =>
				this.workers.flatMap(w => (w.current ? [{n: w.current.n, description: w.current.description, state: 'running' as const}] : [])),
			bestCommit: () => this.ledger.bestCommit,
			filesAt: commit => this.filesAt(commit),
			check: (base, compile) => this.check(base, compile),
			depth: () => Math.max(options.queueDepth ?? 2, this.workers.length),
			graceMs: () => Math.min(3000, Math.max(250, this.arena.rules().budgetSeconds * 10)),
			idle: () => !this.running,
		});
		this.jobs = new Jobs({
			session,
			emit: this.emit,
			lock: this.lock,
			results: this.results,
			ledger: this.ledger,
			numbers: this.numbers,
			tried: this.tried,
			queue: this.queue,
			rules: () => this.arena.rules(),
			filesAt: commit => this.filesAt(commit),
			check: base => this.check(base, false),
			argv: r => runArgv(r, options.python),
			env: options.env,
			killGraceSeconds: options.killGraceSeconds,
			python: options.python,
			stopping: () => this.quitting,
			changed: () => this.changed(),
			poke: () => this.poke(),
			firstBudget: () => this.firstBudget(),
			...(options.noiseRule ? {noiseRule: options.noiseRule} : {}),
		});
		this.emit({
			type: 'session',
			tag: session.tag,
			branch: session.branchName,
			workspace: session.workspace,
			worktree: this.workers[0]!.checkout.worktree.dir,
			runsDir: session.runsDir,
			resumed: session.resumed,
			metric: rules.metric,
			direction: rules.direction,
			editable: rules.editable,
			budgetSeconds: rules.budgetSeconds,
			budgetOverride: budget !== undefined,
			proposer: options.proposer.name,
			...(options.python ? {python: options.python} : {}),
			workers: specs,
			executor: this.workers[0]!.executor.name,
		});
		if (sandbox?.note) this.message(sandbox.note.level, sandbox.note.text);
		if (fixed) {
			this.message(
				'info',
				`the arena fixes its training budget at ${fixed.seconds} s (${fixed.file} line ${fixed.line}) and does not read NIGHTSHIFT_TIME_BUDGET: runs are timed and judged at ${fixed.seconds} s; --budget and /budget cannot change it`,
			);
		}
		for (const note of recovery.notes) this.message('warn', note);
		if (this.notes.all.length > 0) this.emit({type: 'notes', notes: this.notes.all});
		for (const record of this.ledger.records) {
			this.emit({type: 'recorded', n: record.n, record, best: this.ledger.best, baseline: this.ledger.baseline});
		}
		this.jobs.announceReference();
		if (this.pending.length === 0) this.jobs.reserveBaseline();
	}

	private filesAt(commit: string): Promise<Record<string, string>> {
		return this.files.get(commit, this.arena.rules().editable);
	}

	/** The dry run, refusing also a proposal whose files repeat an experiment tried, running or prepared. */
	private check(base: Readonly<Record<string, string>>, compile: boolean): (edits: Edit[]) => Promise<CheckResult> {
		const rules = this.arena.rules();
		const dry = dryRun(base, {
			arenaDir: this.workers[0]!.checkout.arenaDir,
			editable: rules.editable,
			python: this.options.python,
			compile,
		});
		return async edits => {
			const result = await dry(edits);
			if (!result.ok) return result;
			const holder = this.tried.find(filesKey(result.files, rules.editable));
			if (!holder) return result;
			const what = holder.state === 'tried' ? 'was tried as' : holder.state === 'running' ? 'is running as' : 'is prepared as';
			return {
				ok: false,
				reason: `these edits make the files exactly as experiment #${holder.n} (${holder.description}) had them: that idea ${what} #${holder.n}; propose something different`,
				repeats: holder,
			};
		};
	}

	/** The budget of the session's first run: a row at another budget says so in results.tsv. */
	private firstBudget(): number | undefined {
		return this.ledger.runs().find(r => r.budget !== undefined)?.budget;
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
			this.chat.close();
			for (const stop of stops) stop();
			await this.lock.idle();
			this.stopGitNotices?.();
			const why = this.jobs.halted ?? (this.limitReached() ? 'reached the experiment limit' : 'stopped');
			this.emit({type: 'state', state: 'done', detail: why});
		}
		if (failure !== undefined) throw failure instanceof Error ? failure : new Error(String(failure));
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
	private changed(ms = 60_000): Promise<void> {
		return new Promise(resolve => {
			const timer = setTimeout(done, ms);
			const self = this;
			function done(): void {
				clearTimeout(timer);
				self.wakers = self.wakers.filter(w => w !== done);
				resolve();
			}
			this.wakers.push(done);
		});
	}

	private poke(): void {
		for (const wake of [...this.wakers]) wake();
	}

	private async backoff(): Promise<void> {
		const failures = this.queue.failuresInARow;
		if (failures < failuresBeforeBackoff || this.quitting) return;
		const seconds = Math.min(300, 10 * 2 ** (failures - failuresBeforeBackoff));
		this.emit({type: 'state', state: 'waiting', detail: `${failures} failed proposals in a row; next try in ${seconds} s`});
		await this.changed(seconds * 1000);
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
			return this.message('warn', `/budget: the arena fixes its training budget at ${this.arena.rules().budgetSeconds} s in its own code, and its runs would train for that long whatever nightshift says; change it there (e.g. prepare.py's TIME_BUDGET)`);
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
		const proposer = this.options.proposer;
		const setModel = proposer.setModel?.bind(proposer);
		if (!setModel) return this.message('warn', `the ${proposer.name} proposer has no model to change`);
		const apply = (): void => {
			setModel(model);
			this.emit({type: 'model-changed', model});
			this.queue.refresh();
		};
		if (!proposer.checkModel) return apply();
		void proposer.checkModel(model, AbortSignal.timeout(15_000)).then(
			answer => {
				if (!answer.ok) return this.message('warn', `/model ${model}: ${answer.message}; the model stays ${proposer.model ?? 'as it was'}`);
				apply();
				this.message('info', `model ${model}${answer.detail ? ` (${answer.detail})` : ''}`);
			},
			(error: unknown) => this.message('warn', `/model ${model}: could not ask the server (${(error as Error).message})`),
		);
	}

	say(text: string): void {
		const clean = text.trim();
		if (!clean) return;
		this.emit({type: 'chat', role: 'user', text: clean, done: true});
		const question = clean.endsWith('?');
		if (!question) {
			this.notes.add(clean);
			this.emit({type: 'notes', notes: this.notes.all});
			this.queue.refresh();
		}
		this.chat.ask(clean, () => ({goal: this.arena.arena.goal, results: this.ledger.records, notes: this.notes.all}));
	}

	ask(text: string): void {
		const clean = text.trim();
		if (!clean) return;
		this.emit({type: 'chat', role: 'user', text: clean, done: true});
		if (!this.chat.available)
			return this.message('warn', `the ${this.options.proposer.name} proposer has no model to answer; plain text becomes a steering note`);
		this.chat.ask(clean, () => ({goal: this.arena.arena.goal, results: this.ledger.records, notes: this.notes.all}));
	}

	removeNote(id?: number): void {
		this.notes.remove(id);
		this.emit({type: 'notes', notes: this.notes.all});
	}

	showNotes(): void {
		this.emit({type: 'notes', notes: this.notes.all});
	}

	async details(n: number): Promise<ExperimentDetails> {
		const folder = listRunFolders(this.session.runsDir).find(f => f.n === n);
		if (!folder) return {n, diff: '', logTail: [], summary: undefined};
		const read = (file: string): string => {
			try {
				return readFileSync(path.join(folder.dir, file), 'utf8');
			} catch {
				return '';
			}
		};
		const log = read('run.log').replace(/\r\n?/g, '\n').split('\n');
		return Promise.resolve({n, diff: read('diff.patch'), logTail: log.slice(-200), summary: readRunSummary(folder.dir)});
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
		const proposer = this.options.proposer;
		const rules = this.arena.rules();
		const history = memoryOf(this.session.runsDir, this.ledger.records);
		const text = proposer.describeMemory
			? proposer.describeMemory(history, rules)
			: `${history.length} experiments decided; the ${proposer.name} proposer keeps no digest`;
		this.emit({type: 'show', title: 'memory', text});
	}

	readGoal(): string {
		return readFileSync(path.join(this.options.workspace, 'program.md'), 'utf8');
	}

	saveGoal(text: string): Promise<void> {
		writeFileAtomic(path.join(this.options.workspace, 'program.md'), text);
		this.emit({type: 'goal-changed'});
		try {
			parseArena(text);
			this.message('info', 'program.md saved; the next proposal reads it');
		} catch (error) {
			this.message('warn', `program.md saved, but ${(error as Error).message}; the loop keeps the previous rules until it is fixed`);
		}
		return Promise.resolve();
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

export type {RunHandle};
