import path from 'node:path';
import {readFileSync} from 'node:fs';
import {parseArena} from './arena.js';
import {ArenaWatch} from './arena-watch.js';
import {dryRun, FilesAtCommit} from './dry-run.js';
import {EventLog, type EventListener, type LoopEvent} from './events.js';
import {runExperiment, type ExperimentDeps} from './experiment.js';
import {localExecutor, type Executor, type RunHandle} from './executor.js';
import {writeFileAtomic} from './fsutil.js';
import {GitLock} from './git-lock.js';
import type {LoopControl} from './intents.js';
import {Ledger} from './ledger.js';
import {ChatRelay, Notes} from './notes.js';
import {overrule} from './overrule.js';
import {ProposalPipeline} from './pipeline.js';
import {checkRunCommand, runArgv} from './preflight.js';
import type {Proposal, Proposer} from './proposer.js';
import {listRunFolders, ResultsFile} from './results.js';
import {openSession, recover, type Session} from './session.js';

export type LoopOptions = {
	/** The folder with program.md (inside a git repository). */
	workspace: string;
	/** Where results.tsv, run folders, the event log and the worktree go; default `<workspace>/runs`. */
	runsDir?: string;
	tag?: string;
	proposer: Proposer;
	/** Stop once results.tsv has this many experiments (a restart counts what is there). */
	maxExperiments?: number;
	/** Overrides program.md's budget. */
	budgetSeconds?: number;
	/** Interpreter for `python ...` commands and for compiling proposals. */
	python?: string;
	/** Extra environment for runs. */
	env?: Record<string, string>;
	killGraceSeconds?: number;
	worker?: string;
	/** How runs are run; a local process group by default. */
	executor?: Executor;
	/** Optional extra event sources started with the loop (GPU polling); each returns its stop function. */
	sources?: Array<(emit: (event: LoopEvent) => void) => () => void>;
};

/** Failed proposals in a row before the loop starts waiting between tries. */
const failuresBeforeBackoff = 3;

/**
 * The research loop, as program.md tells it: run the baseline; then, for
 * ever or up to a limit, get a proposal, run it as an experiment (commit,
 * run, judge, record, keep or revert). Knows nothing of screens or of how a
 * proposal is made: it emits events and takes intents (LoopControl).
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
	private pipeline!: ProposalPipeline;
	private currentRun: RunHandle | undefined;
	private paused = false;
	private quitting: 'finish' | 'now' | undefined;
	private wake: (() => void) | undefined;
	private pendingOverrule: 'keep' | 'revert' | undefined;
	private finished: Promise<void> | undefined;

	constructor(private readonly options: LoopOptions) {}

	get running(): boolean {
		return this.currentRun !== undefined;
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

	/** Opens (or resumes) the session and makes git and results.tsv agree. Throws on bad input; nothing has run yet. */
	async setup(): Promise<void> {
		const {options} = this;
		this.arena = new ArenaWatch(options.workspace, options.budgetSeconds);
		const rules = this.arena.rules();
		checkRunCommand(rules, options.workspace, options.python);
		this.session = await openSession({
			workspace: options.workspace,
			runsDir: this.runsDir,
			tag: options.tag,
			editable: rules.editable,
			worker: options.worker ?? 'w0',
		});
		const {session} = this;
		this.eventLog = new EventLog(path.join(session.runsDir, 'events.jsonl'));
		this.results = new ResultsFile(session.runsDir, rules.metric);
		const recovery = await this.lock.exclusive(() => recover(session, this.results));
		this.ledger = new Ledger(recovery);
		this.notes = Notes.at(session.runsDir);
		this.chat = new ChatRelay(options.proposer, this.emit);
		this.files = new FilesAtCommit(session.worktree, session.relative);
		this.pipeline = new ProposalPipeline({
			proposer: options.proposer,
			emit: this.emit,
			inputs: () => ({
				goal: this.arena.arena.goal,
				rules: this.arena.rules(),
				results: this.ledger.records,
				notes: this.notes.all,
				...(this.ledger.crash ? {lastCrash: this.ledger.crash} : {}),
			}),
			filesAt: commit => this.files.get(commit, this.arena.rules().editable),
			check: (base, compile) => this.dryRun(base, compile),
			running: () => this.running,
		});
		this.emit({
			type: 'session',
			tag: session.tag,
			branch: session.branch,
			workspace: session.workspace,
			worktree: session.worktree.dir,
			runsDir: session.runsDir,
			resumed: session.resumed,
			metric: rules.metric,
			direction: rules.direction,
			editable: rules.editable,
			budgetSeconds: rules.budgetSeconds,
			proposer: options.proposer.name,
			...(options.python ? {python: options.python} : {}),
		});
		for (const note of recovery.notes) this.message('warn', note);
		if (this.notes.all.length > 0) this.emit({type: 'notes', notes: this.notes.all});
		for (const record of this.ledger.records) {
			this.emit({type: 'recorded', n: record.n, record, best: this.ledger.best, baseline: this.ledger.baseline});
		}
	}

	private dryRun(base: Readonly<Record<string, string>>, compile: boolean) {
		return dryRun(base, {arenaDir: this.session.arenaDir, editable: this.arena.rules().editable, python: this.options.python, compile});
	}

	/** Runs until the limit, or until quit(). Call setup() first. */
	run(): Promise<void> {
		this.finished ??= this.main();
		return this.finished;
	}

	private async main(): Promise<void> {
		const stops = (this.options.sources ?? []).map(start => start(this.emit));
		try {
			while (!this.quitting && !this.limitReached()) {
				await this.applyOverrule();
				if (this.paused) {
					this.emit({type: 'state', state: 'paused'});
					await this.sleep();
					continue;
				}
				this.reloadArena();
				if (!this.ledger.best) {
					if (!(await this.experiment(undefined))) break;
					continue;
				}
				const next = await this.pipeline.next(this.nextNumber(), this.ledger.bestCommit, () => this.quitting !== undefined);
				if (this.quitting) break;
				if (!next) {
					await this.backoff();
					continue;
				}
				await this.experiment(next);
			}
		} catch (error) {
			this.message('error', `the loop stopped: ${(error as Error).message}`);
			throw error;
		} finally {
			this.pipeline.abort();
			this.chat.close();
			for (const stop of stops) stop();
			await this.lock.idle();
			this.emit({type: 'state', state: 'done', detail: this.limitReached() ? 'reached the experiment limit' : 'stopped'});
		}
	}

	/**
	 * One experiment (`undefined`: the baseline), and what follows from it.
	 * Returns false when the loop cannot go on (the baseline crashed).
	 */
	private async experiment(proposal: Proposal | undefined): Promise<boolean> {
		const rules = this.arena.rules();
		const outcome = await runExperiment(this.experimentDeps(), proposal, rules, {
			started: (n, handle) => {
				this.currentRun = handle;
				if (this.quitting === 'now') handle.stop();
				if (!this.quitting && !this.paused && !this.lastBeforeLimit()) this.pipeline.prepare(n + 1, this.ledger.bestCommit);
			},
			unusable: reason => this.pipeline.failed(this.nextNumber(), reason),
		});
		this.currentRun = undefined;
		if (outcome.kind === 'not-run') return true;
		const {n, record, verdict, result} = outcome;
		if (verdict.status === 'crash') this.ledger.crash = {n, description: record.description, logTail: result.tail.slice(-40).join('\n')};
		this.emit({
			type: 'run-end',
			n,
			record,
			best: this.ledger.best,
			baseline: this.ledger.baseline,
			seconds: result.seconds,
			reason: verdict.reason,
		});
		if (!proposal && verdict.status === 'crash') {
			this.message(
				'error',
				`the baseline run crashed (${verdict.reason}); fix the arena before the loop can judge anything.\n` +
					result.tail.slice(-15).join('\n'),
			);
			return false;
		}
		return true;
	}

	private experimentDeps(): ExperimentDeps {
		const {options} = this;
		return {
			session: this.session,
			ledger: this.ledger,
			lock: this.lock,
			results: this.results,
			executor: options.executor ?? localExecutor,
			emit: this.emit,
			filesAt: commit => this.files.get(commit, this.arena.rules().editable),
			check: base => this.dryRun(base, false),
			nextNumber: () => this.nextNumber(),
			argv: rules => runArgv(rules, options.python),
			env: options.env,
			killGraceSeconds: options.killGraceSeconds,
			worker: options.worker ?? 'w0',
			python: options.python,
		};
	}

	private limitReached(): boolean {
		const max = this.options.maxExperiments;
		return max !== undefined && this.ledger.count >= max;
	}

	/** The run about to start is the last the limit allows: nothing to prepare after it. */
	private lastBeforeLimit(): boolean {
		const max = this.options.maxExperiments;
		return max !== undefined && this.ledger.count + 1 >= max;
	}

	private nextNumber(): number {
		const folders = listRunFolders(this.session.runsDir);
		return Math.max(this.ledger.count, ...folders.map(f => f.n)) + 1;
	}

	/** Waits for an intent (resume, quit) or a timeout. */
	private sleep(ms?: number): Promise<void> {
		return new Promise(resolve => {
			let timer: NodeJS.Timeout | undefined;
			const done = (): void => {
				if (timer) clearTimeout(timer);
				if (this.wake === done) this.wake = undefined;
				resolve();
			};
			if (ms !== undefined) timer = setTimeout(done, ms);
			this.wake = done;
		});
	}

	private poke(): void {
		this.wake?.();
	}

	private async backoff(): Promise<void> {
		const failures = this.pipeline.failuresInARow;
		if (failures < failuresBeforeBackoff) return;
		const seconds = Math.min(300, 10 * 2 ** (failures - failuresBeforeBackoff));
		this.emit({type: 'state', state: 'waiting', detail: `${failures} failed proposals in a row; next try in ${seconds} s`});
		await this.sleep(seconds * 1000);
	}

	private reloadArena(): void {
		const problem = this.arena.reload(this.session.arenaDir, () => this.files.clear());
		if (problem) this.message('warn', problem);
	}

	/** A human overrule of the latest result, taken at a point where no run holds the branch. */
	private async applyOverrule(): Promise<void> {
		const to = this.pendingOverrule;
		if (!to || this.currentRun) return;
		this.pendingOverrule = undefined;
		await this.lock.exclusive(() => overrule({session: this.session, ledger: this.ledger, results: this.results, emit: this.emit}, to));
	}

	// ---- intents ----

	pause(): void {
		this.paused = true;
		this.message('info', this.currentRun ? 'pausing after this run' : 'paused');
		if (!this.currentRun) this.pipeline.abort();
		this.poke();
	}

	resume(): void {
		if (!this.paused) return;
		this.paused = false;
		this.message('info', 'resumed');
		this.poke();
	}

	stopRun(): void {
		if (!this.currentRun) return this.message('warn', 'no run in progress');
		this.message('info', 'stopping this run; it will be recorded as crash');
		this.currentRun.stop();
	}

	overrule(to: 'keep' | 'revert'): void {
		this.pendingOverrule = to;
		if (this.currentRun) this.message('info', `/${to} will apply once this run ends`);
		else void this.applyOverrule();
	}

	setBudget(seconds: number): void {
		if (!Number.isFinite(seconds) || seconds <= 0) return this.message('warn', '/budget takes a number of seconds above 0');
		this.arena.setBudget(seconds);
		this.emit({type: 'budget-changed', seconds});
		this.message('info', `time budget ${seconds} s from the next run on`);
	}

	setModel(model: string): void {
		const proposer = this.options.proposer;
		if (!proposer.setModel) return this.message('warn', `the ${proposer.name} proposer has no model to change`);
		proposer.setModel(model);
		this.emit({type: 'model-changed', model});
	}

	say(text: string): void {
		const clean = text.trim();
		if (!clean) return;
		this.notes.add(clean);
		this.emit({type: 'chat', role: 'user', text: clean, done: true});
		this.emit({type: 'notes', notes: this.notes.all});
		this.chat.ask(clean, () => ({goal: this.arena.arena.goal, results: this.ledger.records, notes: this.notes.all}));
	}

	removeNote(id?: number): void {
		this.notes.remove(id);
		this.emit({type: 'notes', notes: this.notes.all});
	}

	showNotes(): void {
		this.emit({type: 'notes', notes: this.notes.all});
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

	async quit(mode: 'finish' | 'now'): Promise<void> {
		if (this.quitting !== 'now') this.quitting = mode;
		this.emit({
			type: 'state',
			state: 'stopping',
			detail: mode === 'now' ? 'stopping the run now' : this.currentRun ? 'finishing this run' : 'stopping',
		});
		this.pipeline?.abort();
		if (mode === 'now') this.currentRun?.stop();
		this.poke();
		if (this.finished) await this.finished;
	}
}
