import {ArenaError} from './arena.js';
import {fixedBudget, preparedData, type FixedBudget} from './arena-checks.js';
import type {ArenaWatch} from './arena-watch.js';
import type {Executor} from './executor.js';
import type {FixedBudget as Fixed} from './arena-checks.js';
import type {EventListener, LoopEvent} from './events.js';
import type {GitLock} from './git-lock.js';
import type {WorkerState} from './jobs.js';
import type {Ledger} from './ledger.js';
import type {SteeringNote, ArenaRules} from './types.js';
import type {Overrides} from './overrides.js';
import {recover, type Recovery} from './recovery.js';
import type {ResultsFile} from './results.js';
import {adoptNewBase, openCheckout, type Session} from './session.js';
import {Tried} from './tried.js';

// The parts of a loop's setup that are checks and bookkeeping rather than the
// loop's own wiring: what the arena's code says of its budget and data, the
// recovery (with a crashed baseline run again on the user's fix), the
// workers' checkouts, and what was tried already.

/**
 * The budget in force, from the arena's code (a fixed TIME_BUDGET wins and
 * refuses --budget), a flag, or an earlier /budget. Throws on what must stop
 * the start: data not prepared, a --budget the arena would ignore.
 */
export function settleBudget(
	options: {workspace: string; budgetSeconds?: number | undefined},
	arena: ArenaWatch,
	overrides: Overrides,
): {fixed: FixedBudget | undefined; override: number | undefined} {
	const rules = arena.rules();
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
	const override = fixed ? undefined : (options.budgetSeconds ?? overrides.budget);
	if (fixed) arena.fixBudget(fixed.seconds);
	else if (override !== undefined) arena.setBudget(override);
	return {fixed, override};
}

/** Recovery, and a baseline that crashed run again: on the user's fix when they committed one. */
export async function recoverSession(session: Session, results: ResultsFile, lock: GitLock): Promise<Recovery> {
	const recovery = await lock.exclusive(() => recover(session, results));
	const crashed = recovery.records.length > 0 && !recovery.records.some(r => r.status === 'keep');
	if (crashed) {
		const old = session.base;
		const adopted = await lock.exclusive(() => adoptNewBase(session));
		recovery.bestCommit = session.base;
		recovery.notes.push(
			adopted
				? `the baseline crashed on ${old.slice(0, 7)}; it runs again on your commit ${adopted.slice(0, 7)}`
				: `the baseline crashed on ${old.slice(0, 7)} and nothing was committed since; it runs again as it is`,
		);
	}
	return recovery;
}

/** Each worker's checkout (at the best), executor, and GPU. */
export async function openWorkers(
	session: Session,
	specs: ReadonlyArray<{name: string; gpu?: number}>,
	bestCommit: string,
	executorFor: (spec: {name: string; gpu?: number}) => Executor,
): Promise<WorkerState[]> {
	const workers: WorkerState[] = [];
	for (const spec of specs) {
		workers.push({
			name: spec.name,
			...(spec.gpu === undefined ? {} : {gpu: spec.gpu}),
			checkout: await openCheckout(session, spec.name, bestCommit),
			executor: executorFor(spec),
			env: spec.gpu === undefined ? {} : {CUDA_VISIBLE_DEVICES: String(spec.gpu)},
			handle: undefined,
			current: undefined,
		});
	}
	return workers;
}

/** Every experiment recorded, by its files: a proposal that makes the same files again is a repeat. */
export async function triedSoFar(session: Session, ledger: Ledger, editable: readonly string[]): Promise<Tried> {
	const tried = new Tried();
	const commits = [...new Set(ledger.records.map(r => r.commit))];
	const keys = await Tried.keysOf(session.repo, commits, editable, session.relative);
	for (const record of ledger.records) {
		const key = keys.get(record.commit);
		if (key && record.status !== 'rerun') tried.set(key, {n: record.n, description: record.description, state: 'tried'});
	}
	return tried;
}

/** The workers asked for: one per GPU, else `workers` (default 1). */
export function workerSpecs(gpus: readonly number[] | undefined, workers: number | undefined): Array<{name: string; gpu?: number}> {
	if (gpus && gpus.length > 0) return gpus.map((gpu, i) => ({name: `w${i}`, gpu}));
	return Array.from({length: Math.max(1, workers ?? 1)}, (_, i) => ({name: `w${i}`}));
}

/** What a face needs to know first: the session, what the start found, and the results recorded earlier (replayed). */
export function announceStart(
	emit: (event: LoopEvent) => void,
	start: {
		session: Session;
		rules: ArenaRules;
		budgetOverride: boolean;
		proposer: string;
		python: string | undefined;
		workers: WorkerState[];
		notices: Array<{level: 'info' | 'warn'; text: string}>;
		fixed: Fixed | undefined;
		notes: readonly SteeringNote[];
		ledger: Ledger;
	},
): void {
	const {session, rules, ledger} = start;
	emit({
		type: 'session',
		tag: session.tag,
		branch: session.branchName,
		workspace: session.workspace,
		worktree: start.workers[0]!.checkout.worktree.dir,
		runsDir: session.runsDir,
		resumed: session.resumed,
		metric: rules.metric,
		direction: rules.direction,
		editable: rules.editable,
		budgetSeconds: rules.budgetSeconds,
		budgetOverride: start.budgetOverride,
		proposer: start.proposer,
		...(start.python ? {python: start.python} : {}),
		workers: start.workers.map(w => ({name: w.name, ...(w.gpu === undefined ? {} : {gpu: w.gpu})})),
		executor: start.workers[0]!.executor.name,
	});
	const {fixed} = start;
	if (fixed) {
		emit({
			type: 'message',
			level: 'info',
			text: `the arena fixes its training budget at ${fixed.seconds} s (${fixed.file} line ${fixed.line}) and does not read NIGHTSHIFT_TIME_BUDGET: runs are timed and judged at ${fixed.seconds} s; --budget and /budget cannot change it`,
		});
	}
	for (const notice of start.notices) emit({type: 'message', ...notice});
	if (start.notes.length > 0) emit({type: 'notes', notes: start.notes});
	for (const record of ledger.records) emit({type: 'recorded', n: record.n, record, best: ledger.best, baseline: ledger.baseline});
}

/** The loop's listeners, and the session's event log behind them: a broken listener or a full disk stops nobody. */
export class EventBus {
	private readonly listeners = new Set<EventListener>();
	log: {append: (event: LoopEvent) => void} | undefined;

	subscribe(listener: EventListener): () => void {
		this.listeners.add(listener);
		return () => this.listeners.delete(listener);
	}

	emit = (event: LoopEvent): void => {
		try {
			this.log?.append(event);
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
}
