import {mkdirSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import type {LoopEvent} from './events.js';
import type {Executor, RunHandle, RunResult} from './executor.js';
import {writeFileAtomic} from './fsutil.js';
import {readRun, type RunReading} from './judge.js';
import type {Proposal, CheckResult} from './proposer.js';
import {runFolderName, type RunFolder} from './results.js';
import {oneLine, sanitizeBlock} from './sanitize.js';
import {updateRunSummary, writeRunSummary, type RunRole, type RunSummary} from './run-summary.js';
import type {Checkout, Session} from './session.js';
import type {ArenaRules, Edit} from './types.js';

// One run, in the order program.md's loop gives it: commit the proposal (on
// top of the best, in the worker's own worktree), claim the run folder, run,
// read what it printed. Judging and recording the experiment (which may take
// several runs) is measure.ts's. Each step leaves a sign on disk that a
// restart can finish from (recovery.ts).

export type RunDeps = {
	session: Session;
	emit: (event: LoopEvent) => void;
	argv: (rules: ArenaRules) => string[];
	env: Record<string, string> | undefined;
	killGraceSeconds: number | undefined;
	python: string | undefined;
};

/** A worker: its name, its checkout, how it runs a command, and what it runs now. */
export type WorkerContext = {
	name: string;
	checkout: Checkout;
	executor: Executor;
	/** Added to every run's environment (CUDA_VISIBLE_DEVICES for its GPU). */
	env: Record<string, string>;
	gpu?: number;
};

/** What is being run, as its summary.json says from the start. */
export type RunPlan = {
	n: number;
	commit: string;
	parent: string;
	role: RunRole;
	/** The experiment this run measures (its first run's number). */
	group: number;
	description: string;
	proposal?: Proposal;
	diff: string;
	/** Times this experiment was interrupted before. */
	interrupted?: number;
};

export type RunOutcome = {folder: RunFolder; result: RunResult; reading: RunReading; seconds: number};

/**
 * Writes a proposal's files over `parent` in the worker's worktree and
 * commits them there (the branch does not move). Returns the commit and its
 * diff, or why the proposal no longer applies.
 */
export async function commitProposal(
	worker: WorkerContext,
	relative: string,
	files: (commit: string) => Promise<Record<string, string>>,
	check: (base: Readonly<Record<string, string>>) => (edits: Edit[]) => Promise<CheckResult>,
	proposal: Proposal,
	parent: string,
): Promise<{commit: string; diff: string} | {reason: string}> {
	const {worktree, arenaDir} = worker.checkout;
	const base = await files(parent);
	const checked = await check(base)(proposal.edits);
	if (!checked.ok) return {reason: checked.reason};
	await worktree.checkout(parent);
	const changed = Object.keys(checked.files).filter(f => checked.files[f] !== base[f]);
	for (const file of changed) writeFileSync(path.join(arenaDir, file), checked.files[file]!);
	// The model's words go into git: no control bytes (git refuses a NUL) and no escape sequences for a later `git log`.
	const message = [
		oneLine(proposal.description) || 'experiment',
		sanitizeBlock(proposal.rationale ?? '').trim(),
		`nightshift: proposed by ${oneLine(proposal.proposer)}${proposal.model ? ` (${oneLine(proposal.model)})` : ''}`,
	]
		.filter(Boolean)
		.join('\n\n');
	const commit = await worktree.commit(
		changed.map(f => path.posix.join(relative, f)),
		message,
	);
	return {commit, diff: await worktree.diff(parent, commit)};
}

/** Claims the run folder under the plan's number (reserved for it), with the diff and a `running` summary in it. */
export function claimFolder(session: Session, plan: RunPlan, rules: ArenaRules, worker: WorkerContext): RunFolder {
	const short = plan.commit.slice(0, 7);
	const dir = path.join(session.runsDir, runFolderName(plan.n, short));
	mkdirSync(dir);
	writeFileAtomic(path.join(dir, 'diff.patch'), plan.diff);
	writeRunSummary(dir, {
		...baseSummary(plan, rules, worker),
		status: 'running',
		started_at: new Date().toISOString(),
	});
	return {n: plan.n, commit: short, dir};
}

function baseSummary(plan: RunPlan, rules: ArenaRules, worker: WorkerContext): RunSummary {
	return {
		n: plan.n,
		commit: plan.commit.slice(0, 7),
		commit_full: plan.commit,
		parent: plan.parent.slice(0, 7),
		parent_full: plan.parent,
		status: 'running',
		description: plan.description,
		role: plan.role,
		group: plan.group,
		...(plan.proposal?.rationale ? {rationale: plan.proposal.rationale} : {}),
		proposer: plan.proposal?.proposer ?? plan.role,
		...(plan.proposal?.model ? {model: plan.proposal.model} : {}),
		metric_name: rules.metric,
		budget_seconds: rules.budgetSeconds,
		timeout_seconds: rules.timeoutSeconds,
		worker: worker.name,
		...(plan.interrupted ? {interrupted: plan.interrupted} : {}),
	};
}

/**
 * Runs the plan's commit in the worker's worktree through its executor,
 * streaming output as events, then reads the result and leaves the summary
 * `measured`. A run that changed its own tracked files is a crash, and the
 * worktree is put back.
 */
export async function runPlan(
	deps: RunDeps,
	worker: WorkerContext,
	plan: RunPlan,
	rules: ArenaRules,
	started: (handle: RunHandle) => void,
	interrupted: () => boolean,
): Promise<RunOutcome | undefined> {
	const {checkout} = worker;
	await checkout.worktree.checkout(plan.commit);
	const folder = claimFolder(deps.session, plan, rules, worker);
	const short = plan.commit.slice(0, 7);
	const startedAt = Date.now();
	deps.emit({
		type: 'run-start',
		n: plan.n,
		commit: short,
		description: plan.description,
		budgetSeconds: rules.budgetSeconds,
		timeoutSeconds: rules.timeoutSeconds,
		startedAt,
		worker: worker.name,
		role: plan.role,
		...(plan.group === plan.n ? {} : {of: plan.group}),
	});
	deps.emit({type: 'state', state: 'running', detail: `experiment ${plan.n}`});
	const handle = worker.executor.start({
		argv: deps.argv(rules),
		cwd: path.join(checkout.arenaDir, rules.cwd),
		env: {
			NIGHTSHIFT_TIME_BUDGET: String(rules.budgetSeconds),
			NIGHTSHIFT_EXPERIMENT: String(plan.n),
			PYTHONUNBUFFERED: '1',
			PYTHONDONTWRITEBYTECODE: '1',
			NIGHTSHIFT_RUN_DIR: folder.dir,
			...worker.env,
			...deps.env,
		},
		runDir: folder.dir,
		worktree: checkout.worktree.dir,
		logPath: path.join(folder.dir, 'run.log'),
		timeoutSeconds: rules.timeoutSeconds,
		onSpawn: pid => updateRunSummary(folder.dir, {n: plan.n, commit: short, description: plan.description}, {pid}),
		onLine: line => deps.emit({type: 'log', n: plan.n, text: line.text, partial: line.partial, worker: worker.name}),
		onProgress: progress => deps.emit({type: 'progress', n: plan.n, ...progress, worker: worker.name}),
		onQueued: reason => deps.emit({type: 'run-queued', n: plan.n, worker: worker.name, reason}),
		...(deps.killGraceSeconds === undefined ? {} : {killGraceSeconds: deps.killGraceSeconds}),
	});
	started(handle);
	const result = await handle.done;
	// The loop is being interrupted (SIGTERM, SIGHUP): no result; the summary stays `running` so a restart runs it again.
	if (interrupted()) return undefined;
	let reading = readRun(result, rules);
	const touched = await checkout.worktree.changedFiles();
	if (touched.length > 0) {
		await checkout.worktree.resetHard('HEAD');
		reading = {ok: false, reason: `the run changed files it may not (${touched.join(', ')}); they were put back`};
	}
	const seconds = (Date.now() - startedAt) / 1000;
	updateRunSummary(
		folder.dir,
		{n: plan.n, commit: short, description: plan.description},
		{
			status: 'measured',
			run_metric: reading.ok ? reading.metric : null,
			memory_gb: reading.ok ? Number(reading.memoryGb.toFixed(3)) : 0,
			...(reading.ok ? {} : {reason: reading.reason}),
			summary: result.summary ?? {},
			exit_code: result.exitCode ?? null,
			signal: result.signal ?? null,
			killed: result.killed ?? null,
			seconds: Number(result.seconds.toFixed(3)),
			started_at: new Date(startedAt).toISOString(),
			ended_at: new Date().toISOString(),
			...(deps.python ? {python: deps.python} : {}),
		},
	);
	return {folder, result, reading, seconds};
}
