import {existsSync, readFileSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {createTwoFilesPatch} from 'diff';
import {exec} from './exec.js';
import {ArenaError, loadArena, parseArena, withBudget, type Arena} from './arena.js';
import {applyEdits, checkInsideRoot} from './edits.js';
import {EventLog, type EventListener, type LoopEvent} from './events.js';
import {writeFileAtomic} from './fsutil.js';
import type {LoopControl} from './intents.js';
import {judge} from './judge.js';
import {commandWantsPython} from './python.js';
import {claimRunFolder, listRunFolders, ResultsFile, writeSummaryJson} from './results.js';
import {Run, splitCommand} from './runner.js';
import {openSession, recover, type Session} from './session.js';
import type {ArenaRules, Edit, ExperimentRecord, SteeringNote} from './types.js';
import {ProposalError, type CheckResult, type Proposal, type Proposer} from '../agent/proposer.js';

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
	/** Optional extra event sources started with the loop (GPU polling); each returns its stop function. */
	sources?: Array<(emit: (event: LoopEvent) => void) => () => void>;
};

type Prepared = {n: number; baseCommit: string; result: Promise<Proposal | undefined>; abort: AbortController};

/** Failed proposals in a row before the loop starts waiting between tries. */
const failuresBeforeBackoff = 3;

/**
 * The research loop: propose -> apply -> commit -> run -> judge -> keep or
 * revert -> record, for ever or up to a limit. Knows nothing of screens:
 * it emits events and takes intents (LoopControl).
 */
export class Loop implements LoopControl {
	private listeners = new Set<EventListener>();
	private session!: Session;
	private results!: ResultsFile;
	private eventLog: EventLog | undefined;
	private arena!: Arena;
	private arenaProblem: string | undefined;
	private budgetOverride: number | undefined;
	private records: ExperimentRecord[] = [];
	private best: ExperimentRecord | undefined;
	private bestCommit = '';
	private baseline: ExperimentRecord | undefined;
	private notes: SteeringNote[] = [];
	private lastCrash: {n: number; description: string; logTail: string} | undefined;
	private currentRun: Run | undefined;
	private prepared: Prepared | undefined;
	private proposing = new Set<AbortController>();
	private paused = false;
	private quitting: 'finish' | 'now' | undefined;
	private wake: (() => void) | undefined;
	private pendingOverrule: 'keep' | 'revert' | undefined;
	private gitBusy: Promise<void> = Promise.resolve();
	private chatQueue: Promise<void> = Promise.resolve();
	private chatAbort = new AbortController();
	private finished: Promise<void> | undefined;
	private failuresInARow = 0;
	private filesCache = new Map<string, Record<string, string>>();

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

	private emit(event: LoopEvent): void {
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
	}

	private message(level: 'info' | 'warn' | 'error', text: string): void {
		this.emit({type: 'message', level, text});
	}

	private rules(): ArenaRules {
		const rules = this.arena.rules;
		return this.budgetOverride === undefined ? rules : withBudget(rules, this.budgetOverride);
	}

	/** Opens (or resumes) the session and makes git and results.tsv agree. Throws on bad input; nothing has run yet. */
	async setup(): Promise<void> {
		this.arena = loadArena(this.options.workspace);
		this.budgetOverride = this.options.budgetSeconds;
		this.checkCommand(this.rules());
		this.session = await openSession({
			workspace: this.options.workspace,
			runsDir: this.runsDir,
			tag: this.options.tag,
			editable: this.arena.rules.editable,
			worker: this.options.worker ?? 'w0',
		});
		this.eventLog = new EventLog(path.join(this.session.runsDir, 'events.jsonl'));
		this.results = new ResultsFile(this.session.runsDir, this.arena.rules.metric);
		const recovery = await this.exclusive(() => recover(this.session, this.results));
		this.records = recovery.records;
		this.best = recovery.best;
		this.bestCommit = recovery.bestCommit;
		this.baseline = recovery.baseline;
		this.notes = this.loadNotes();
		this.emit({
			type: 'session',
			tag: this.session.tag,
			branch: this.session.branch,
			workspace: this.session.workspace,
			worktree: this.session.worktree.dir,
			runsDir: this.session.runsDir,
			resumed: this.session.resumed,
			metric: this.arena.rules.metric,
			direction: this.arena.rules.direction,
			editable: this.arena.rules.editable,
			budgetSeconds: this.rules().budgetSeconds,
			proposer: this.options.proposer.name,
			...(this.options.python ? {python: this.options.python} : {}),
		});
		for (const note of recovery.notes) this.message('warn', note);
		if (this.notes.length > 0) this.emit({type: 'notes', notes: this.notes});
		const folders = new Map(listRunFolders(this.session.runsDir).map(f => [f.commit, f.n]));
		for (const record of this.records) {
			this.emit({type: 'run-end', n: folders.get(record.commit) ?? record.n, record, best: this.best, baseline: this.baseline, seconds: 0, reason: 'recorded earlier'});
		}
	}

	/** A command that cannot start is a setup error, not a night of crashes. */
	private checkCommand(rules: ArenaRules): void {
		const argv = splitCommand(rules.command);
		if (argv.length === 0) throw new ArenaError('program.md: `command` is empty');
		const cwd = path.join(this.options.workspace, rules.cwd);
		if (!existsSync(cwd)) throw new ArenaError(`program.md: cwd ${rules.cwd} does not exist in ${this.options.workspace}`);
		if (commandWantsPython(argv) && this.options.python) return;
		const file = argv[0]!;
		const found = file.includes('/')
			? existsSync(path.resolve(cwd, file))
			: (process.env.PATH ?? '').split(path.delimiter).some(dir => dir && existsSync(path.join(dir, file)));
		if (!found) {
			const hint = file === 'uv' ? ' (install uv, or set `command:` in program.md\'s front matter)' : '';
			throw new ArenaError(`the run command \`${file}\` was not found${hint}`);
		}
	}

	/** Runs until the limit, or until quit(). Call setup() first. */
	run(): Promise<void> {
		this.finished ??= this.main();
		return this.finished;
	}

	private async main(): Promise<void> {
		const stops = (this.options.sources ?? []).map(start => start(event => this.emit(event)));
		try {
			while (!this.quitting && !this.limitReached()) {
				await this.applyOverrule();
				if (this.paused) {
					this.emit({type: 'state', state: 'paused'});
					await this.sleep();
					continue;
				}
				this.reloadArena();
				if (!this.best) {
					const ok = await this.experiment(undefined);
					if (!ok) break;
					continue;
				}
				const next = await this.nextProposal();
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
			this.abortProposals();
			this.chatAbort.abort();
			for (const stop of stops) stop();
			await this.gitBusy;
			this.emit({type: 'state', state: 'done', detail: this.limitReached() ? 'reached the experiment limit' : 'stopped'});
		}
	}

	private limitReached(): boolean {
		const max = this.options.maxExperiments;
		return max !== undefined && this.records.length >= max;
	}

	/** Waits for an intent (resume, quit) or a timeout. */
	private sleep(ms?: number): Promise<void> {
		return new Promise(resolve => {
			const timer = ms === undefined ? undefined : setTimeout(done, ms);
			const self = this;
			function done(): void {
				if (timer) clearTimeout(timer);
				if (self.wake === done) self.wake = undefined;
				resolve();
			}
			this.wake = done;
		});
	}

	private poke(): void {
		this.wake?.();
	}

	private async backoff(): Promise<void> {
		if (this.failuresInARow < failuresBeforeBackoff) return;
		const seconds = Math.min(300, 10 * 2 ** (this.failuresInARow - failuresBeforeBackoff));
		this.emit({type: 'state', state: 'waiting', detail: `${this.failuresInARow} failed proposals in a row; next try in ${seconds} s`});
		await this.sleep(seconds * 1000);
	}

	/** program.md may change at any time; a broken edit keeps the last good rules. */
	private reloadArena(): void {
		try {
			const arena = loadArena(this.options.workspace);
			if (this.arena.hasFrontMatter && !arena.hasFrontMatter) {
				throw new ArenaError('program.md: the front matter (between `---` lines at the very top) is gone');
			}
			if (arena.rules.metric !== this.arena.rules.metric) {
				throw new ArenaError('program.md: the metric cannot change during a session; start a new session (--runs DIR)');
			}
			const missing = arena.rules.editable.filter(f => !existsSync(path.join(this.session.arenaDir, f)));
			if (missing.length > 0) throw new ArenaError(`program.md: editable ${missing.join(', ')} does not exist`);
			if (!existsSync(path.join(this.session.arenaDir, arena.rules.cwd))) {
				throw new ArenaError(`program.md: cwd ${arena.rules.cwd} does not exist`);
			}
			if (arena.rules.editable.join() !== this.arena.rules.editable.join()) this.filesCache.clear();
			this.arena = arena;
			this.arenaProblem = undefined;
		} catch (error) {
			const text = `${(error as Error).message} — keeping the previous rules until it is fixed`;
			if (text !== this.arenaProblem) this.message('warn', text);
			this.arenaProblem = text;
		}
	}

	/** Git changes one at a time: the loop's own and the human's overrules. */
	private exclusive<T>(fn: () => Promise<T>): Promise<T> {
		const result = this.gitBusy.then(fn);
		this.gitBusy = result.then(
			() => undefined,
			() => undefined,
		);
		return result;
	}

	private async filesAt(commit: string): Promise<Record<string, string>> {
		const cached = this.filesCache.get(commit);
		if (cached) return cached;
		const files: Record<string, string> = {};
		for (const file of this.arena.rules.editable) {
			files[file] = await this.session.worktree.show(commit, path.posix.join(this.session.relative, file));
		}
		this.filesCache.set(commit, files);
		return files;
	}

	/**
	 * The dry run: apply in memory and confine to the allowed files; with
	 * `compile`, also compile what changed (offered to proposers, which can
	 * retry; the loop itself lets a broken file run and crash, as recorded).
	 */
	private checker(base: Record<string, string>, compile = true): (edits: Edit[]) => Promise<CheckResult> {
		return async edits => {
			const applied = applyEdits(base, edits, this.arena.rules.editable);
			if (!applied.ok) return applied;
			for (const file of Object.keys(applied.files)) {
				const escape = checkInsideRoot(this.session.arenaDir, file);
				if (escape) return {ok: false, reason: escape};
				if (compile && file.endsWith('.py') && applied.files[file] !== base[file]) {
					const problem = await this.compile(file, applied.files[file]!);
					if (problem) return {ok: false, reason: `${file} does not compile: ${problem}`};
				}
			}
			return applied;
		};
	}

	private async compile(file: string, source: string): Promise<string | undefined> {
		const python = this.options.python ?? 'python3';
		const result = await exec(python, ['-c', 'import sys\ncompile(sys.stdin.read(), sys.argv[1], "exec")', file], {
			input: source,
			reject: false,
		});
		if (result.exitCode === 0) return undefined;
		if ((result.cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') return undefined; // No Python to ask.
		const lines = String(result.stderr).trim().split('\n');
		return lines.slice(-4).join('\n');
	}

	/** Asks the proposer for experiment n's proposal against `baseCommit`. Resolves undefined on failure. */
	private propose(n: number, baseCommit: string, abort: AbortController): Promise<Proposal | undefined> {
		this.proposing.add(abort);
		const run = async (): Promise<Proposal | undefined> => {
			const proposer = this.options.proposer;
			this.emit({type: 'proposal-start', n, proposer: proposer.name, ...(proposer.model ? {model: proposer.model} : {})});
			if (!this.currentRun) this.emit({type: 'state', state: 'proposing', detail: `experiment ${n}`});
			try {
				const files = await this.filesAt(baseCommit);
				const proposal = await proposer.propose({
					n,
					goal: this.arena.goal,
					rules: this.rules(),
					files,
					results: this.records,
					notes: this.notes,
					...(this.lastCrash ? {lastCrash: this.lastCrash} : {}),
					check: this.checker(files),
					signal: abort.signal,
					emit: event => {
						if (abort.signal.aborted) return;
						if (event.type === 'token') this.emit({type: 'proposal-token', n, text: event.text, channel: event.channel});
						else if (event.type === 'retry') this.emit({type: 'proposal-retry', n, attempt: event.attempt, reason: event.reason});
						else this.message(event.level, event.text);
					},
				});
				if (abort.signal.aborted) return undefined;
				const checked = await this.checker(files, false)(proposal.edits);
				if (!checked.ok) throw new ProposalError(checked.reason);
				this.emit({
					type: 'proposal',
					n,
					description: proposal.description,
					...(proposal.rationale ? {rationale: proposal.rationale} : {}),
					diff: this.diffOf(files, checked.files),
					proposer: proposal.proposer,
					...(proposal.model ? {model: proposal.model} : {}),
				});
				this.failuresInARow = 0;
				return proposal;
			} catch (error) {
				if (abort.signal.aborted) return undefined;
				this.failuresInARow++;
				this.emit({type: 'proposal-failed', n, reason: (error as Error).message});
				return undefined;
			} finally {
				this.proposing.delete(abort);
			}
		};
		return run();
	}

	private diffOf(before: Record<string, string>, after: Record<string, string>): string {
		return Object.keys(after)
			.filter(file => after[file] !== before[file])
			.map(file => createTwoFilesPatch(`a/${file}`, `b/${file}`, before[file] ?? '', after[file]!, '', '', {context: 3}))
			.join('');
	}

	private abortProposals(): void {
		for (const abort of this.proposing) abort.abort();
		this.prepared?.abort.abort();
		this.prepared = undefined;
	}

	/** The next proposal: the one prepared during the last run if it still applies, else a fresh one. */
	private async nextProposal(): Promise<Proposal | undefined> {
		const n = this.nextNumber();
		const prepared = this.prepared;
		this.prepared = undefined;
		if (prepared) {
			const proposal = await prepared.result;
			if (this.quitting) return undefined;
			if (proposal) {
				if (prepared.baseCommit === this.bestCommit) return proposal;
				const again = await this.checker(await this.filesAt(this.bestCommit), false)(proposal.edits);
				if (again.ok) {
					this.message('info', `the prepared proposal applies on top of the new best: running it`);
					return proposal;
				}
				this.message('info', `the prepared proposal no longer applies on top of the new best (${again.reason}): asking again`);
			} else {
				return undefined;
			}
		}
		return this.propose(n, this.bestCommit, new AbortController());
	}

	private nextNumber(): number {
		const folders = listRunFolders(this.session.runsDir);
		return Math.max(this.records.length, ...folders.map(f => f.n)) + 1;
	}

	/** Prepares the next proposal while this run trains, so the GPU does not wait for the model. */
	private prepareNext(n: number): void {
		if (!this.options.proposer.pipelined || this.quitting || this.paused) return;
		const max = this.options.maxExperiments;
		if (max !== undefined && this.records.length + 1 >= max) return;
		const abort = new AbortController();
		const baseCommit = this.bestCommit;
		this.prepared = {n, baseCommit, abort, result: this.propose(n, baseCommit, abort)};
	}

	/**
	 * One experiment. `undefined` is the baseline: the arena as it is. Returns
	 * false when the loop cannot go on (the baseline crashed).
	 */
	private async experiment(proposal: Proposal | undefined): Promise<boolean> {
		const rules = this.rules();
		const parent = this.bestCommit;
		const description = proposal ? proposal.description : 'baseline';
		const started = await this.exclusive(async () => {
			const {worktree, arenaDir} = this.session;
			let commit = parent;
			let diff = '';
			if (proposal) {
				const base = await this.filesAt(parent);
				const checked = await this.checker(base, false)(proposal.edits);
				if (!checked.ok) {
					this.failuresInARow++;
					this.emit({type: 'proposal-failed', n: this.nextNumber(), reason: checked.reason});
					return undefined;
				}
				const changed = Object.keys(checked.files).filter(f => checked.files[f] !== base[f]);
				for (const file of changed) writeFileSync(path.join(arenaDir, file), checked.files[file]!);
				const message = `${description}\n\n${proposal.rationale ?? ''}\n\nnightshift: proposed by ${proposal.proposer}${proposal.model ? ` (${proposal.model})` : ''}`;
				commit = await worktree.commit(
					changed.map(f => path.posix.join(this.session.relative, f)),
					message.replace(/\n{3,}/g, '\n\n'),
				);
				diff = await worktree.diff(parent, commit);
			}
			const folder = claimRunFolder(this.session.runsDir, commit.slice(0, 7), this.nextNumber());
			writeFileAtomic(path.join(folder.dir, 'diff.patch'), diff);
			writeSummaryJson(folder.dir, {
				n: folder.n,
				commit: commit.slice(0, 7),
				parent: parent.slice(0, 7),
				status: 'running',
				description,
				started_at: new Date().toISOString(),
			});
			return {commit, folder};
		});
		if (!started) return true;
		const {commit, folder} = started;
		const n = folder.n;
		const short = commit.slice(0, 7);
		const startedAt = Date.now();
		this.emit({
			type: 'run-start',
			n,
			commit: short,
			description,
			budgetSeconds: rules.budgetSeconds,
			timeoutSeconds: rules.timeoutSeconds,
			startedAt,
		});
		this.emit({type: 'state', state: 'running', detail: `experiment ${n}`});
		const argv = splitCommand(rules.command);
		if (commandWantsPython(argv) && this.options.python) argv[0] = this.options.python;
		const run = new Run({
			argv,
			cwd: path.join(this.session.arenaDir, rules.cwd),
			env: {
				NIGHTSHIFT_TIME_BUDGET: String(rules.budgetSeconds),
				NIGHTSHIFT_EXPERIMENT: String(n),
				PYTHONUNBUFFERED: '1',
				NIGHTSHIFT_RUN_DIR: folder.dir,
				...this.options.env,
			},
			onSpawn: pid =>
				writeSummaryJson(folder.dir, {
					n,
					commit: short,
					parent: parent.slice(0, 7),
					status: 'running',
					description,
					pid,
					started_at: new Date(startedAt).toISOString(),
				}),
			timeoutSeconds: rules.timeoutSeconds,
			logPath: path.join(folder.dir, 'run.log'),
			onLine: line => this.emit({type: 'log', n, text: line.text, partial: line.partial}),
			onProgress: progress => this.emit({type: 'progress', n, ...progress}),
			...(this.options.killGraceSeconds === undefined ? {} : {killGraceSeconds: this.options.killGraceSeconds}),
		});
		this.currentRun = run;
		if (this.quitting === 'now') run.stop();
		this.prepareNext(n + 1);
		const result = await run.done;
		const verdict = judge(result, rules, this.best);
		const record: ExperimentRecord = {
			n: this.records.length + 1,
			commit: short,
			metric: verdict.metric,
			memoryGb: verdict.memoryGb,
			status: verdict.status,
			description,
		};
		await this.exclusive(async () => {
			writeSummaryJson(folder.dir, {
				n,
				commit: short,
				parent: parent.slice(0, 7),
				status: verdict.status,
				reason: verdict.reason,
				metric_name: rules.metric,
				metric: verdict.metric,
				memory_gb: Number(verdict.memoryGb.toFixed(3)),
				description,
				rationale: proposal?.rationale,
				proposer: proposal?.proposer ?? 'baseline',
				model: proposal?.model,
				summary: result.summary ?? {},
				exit_code: result.exitCode ?? null,
				signal: result.signal ?? null,
				killed: result.killed ?? null,
				budget_seconds: rules.budgetSeconds,
				timeout_seconds: rules.timeoutSeconds,
				seconds: Number(result.seconds.toFixed(3)),
				started_at: new Date(startedAt).toISOString(),
				ended_at: new Date().toISOString(),
				worker: this.options.worker ?? 'w0',
				python: this.options.python,
			});
			this.results.append(record);
			this.records = [...this.records, record];
			if (verdict.status === 'keep') {
				this.best = record;
				this.bestCommit = commit;
				this.baseline ??= record;
			} else if (commit !== parent) {
				await this.session.worktree.resetHard(parent);
			}
			this.currentRun = undefined;
		});
		if (verdict.status === 'crash') {
			this.lastCrash = {n, description, logTail: result.tail.slice(-40).join('\n')};
		}
		this.emit({type: 'run-end', n, record, best: this.best, baseline: this.baseline, seconds: result.seconds, reason: verdict.reason});
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

	/** A human overrule of the latest result, taken at a point where no run holds the branch. */
	private async applyOverrule(): Promise<void> {
		const to = this.pendingOverrule;
		if (!to || this.currentRun) return;
		this.pendingOverrule = undefined;
		await this.exclusive(async () => {
			const last = this.records.at(-1);
			if (!last) return this.message('warn', 'nothing to overrule yet');
			const {worktree} = this.session;
			const full = await worktree.resolve(last.commit);
			if (!full) return this.message('error', `commit ${last.commit} is gone`);
			if (to === 'keep') {
				if (last.status !== 'discard') {
					return this.message('warn', `/keep: experiment ${last.n} is ${last.status === 'keep' ? 'kept already' : 'a crash, with no result to keep'}`);
				}
				if ((await worktree.parent(full)) !== this.bestCommit) {
					return this.message('warn', `/keep: experiment ${last.n} no longer sits on the best commit`);
				}
				await worktree.resetHard(full);
				this.setStatus(last, 'keep');
				this.best = this.records.at(-1);
				this.bestCommit = full;
			} else {
				if (last.status !== 'keep') return this.message('warn', `/revert: experiment ${last.n} was not kept`);
				if (last === this.baseline || this.records.filter(r => r.status === 'keep').length === 1) {
					return this.message('warn', '/revert: the baseline stays: it is what everything is measured against');
				}
				const parent = await worktree.parent(full);
				if (!parent || this.bestCommit !== full) return this.message('warn', `/revert: experiment ${last.n} is not the branch head`);
				await worktree.resetHard(parent);
				this.setStatus(last, 'discard');
				this.best = [...this.records].reverse().find(r => r.status === 'keep');
				this.bestCommit = parent;
			}
			this.emit({type: 'overrule', n: last.n, from: last.status, to: to === 'keep' ? 'keep' : 'discard'});
			this.emit({type: 'run-end', n: last.n, record: this.records.at(-1)!, best: this.best, baseline: this.baseline, seconds: 0, reason: `overruled by hand`});
		});
	}

	private setStatus(record: ExperimentRecord, status: 'keep' | 'discard'): void {
		this.results.setStatus(record.commit, status);
		this.records = this.records.map(r => (r === record ? {...r, status} : r));
		const folder = listRunFolders(this.session.runsDir).find(f => f.commit === record.commit);
		if (folder) {
			const file = path.join(folder.dir, 'summary.json');
			const summary = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
			writeSummaryJson(folder.dir, {...summary, status, overruled: {from: record.status, to: status, at: new Date().toISOString()}});
		}
	}

	// ---- intents ----

	pause(): void {
		this.paused = true;
		this.message('info', this.currentRun ? 'pausing after this run' : 'paused');
		if (!this.currentRun) this.abortProposals();
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
		this.budgetOverride = seconds;
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
		const note: SteeringNote = {id: Math.max(0, ...this.notes.map(n => n.id)) + 1, text: clean, at: new Date().toISOString()};
		this.notes = [...this.notes, note];
		this.saveNotes();
		this.emit({type: 'chat', role: 'user', text: clean, done: true});
		this.emit({type: 'notes', notes: this.notes});
		const proposer = this.options.proposer;
		if (!proposer.chat) return;
		const chat = proposer.chat.bind(proposer);
		this.chatQueue = this.chatQueue.then(async () => {
			if (this.chatAbort.signal.aborted) return;
			try {
				const answer = await chat({
					message: clean,
					goal: this.arena.goal,
					results: this.records,
					notes: this.notes,
					signal: this.chatAbort.signal,
					onToken: token => this.emit({type: 'chat', role: 'agent', text: token, done: false}),
				});
				this.emit({type: 'chat', role: 'agent', text: answer, done: true});
			} catch (error) {
				if (!this.chatAbort.signal.aborted) this.message('warn', `the agent could not answer: ${(error as Error).message}`);
			}
		});
	}

	removeNote(id?: number): void {
		this.notes = id === undefined ? [] : this.notes.filter(n => n.id !== id);
		this.saveNotes();
		this.emit({type: 'notes', notes: this.notes});
	}

	showNotes(): void {
		this.emit({type: 'notes', notes: this.notes});
	}

	private notesPath(): string {
		return path.join(this.session.runsDir, 'notes.json');
	}

	private loadNotes(): SteeringNote[] {
		try {
			return JSON.parse(readFileSync(this.notesPath(), 'utf8')) as SteeringNote[];
		} catch {
			return [];
		}
	}

	private saveNotes(): void {
		writeFileAtomic(this.notesPath(), JSON.stringify(this.notes, null, 2) + '\n');
	}

	readGoal(): string {
		return readFileSync(path.join(this.options.workspace, 'program.md'), 'utf8');
	}

	async saveGoal(text: string): Promise<void> {
		writeFileAtomic(path.join(this.options.workspace, 'program.md'), text);
		this.emit({type: 'goal-changed'});
		try {
			parseArena(text);
			this.message('info', 'program.md saved; the next proposal reads it');
		} catch (error) {
			this.message('warn', `program.md saved, but ${(error as Error).message}; the loop keeps the previous rules until it is fixed`);
		}
	}

	async quit(mode: 'finish' | 'now'): Promise<void> {
		if (this.quitting !== 'now') this.quitting = mode;
		this.emit({type: 'state', state: 'stopping', detail: mode === 'now' ? 'stopping the run now' : this.currentRun ? 'finishing this run' : 'stopping'});
		this.abortProposals();
		if (mode === 'now') this.currentRun?.stop();
		this.poke();
		if (this.finished) await this.finished;
	}
}
