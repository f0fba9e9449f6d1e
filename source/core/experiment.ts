import {appendFileSync, existsSync, mkdirSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {waitForSpace, writeWhenSpace} from './disk.js';
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
// restart can finish from (recovery.ts). A run starts only with room on the
// disk, and a result it measured is held until it can be written (disk.ts).

export type RunDeps = {
	session: Session;
	emit: (event: LoopEvent) => void;
	argv: (rules: ArenaRules) => string[];
	env: Record<string, string> | undefined;
	killGraceSeconds: number | undefined;
	python: string | undefined;
	/** How the loop is stopping, if it is: a run waiting for disk space gives up then (interrupt, now) or does not start (any). */
	stopping?: () => 'finish' | 'now' | 'interrupt' | undefined;
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
	try {
		mkdirSync(dir);
	} catch (error) {
		// A folder with no summary yet is this claim's own, begun before the disk filled: finish it.
		if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || existsSync(path.join(dir, 'summary.json'))) throw error;
	}
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
		executor: worker.executor.name,
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
	const stopping = deps.stopping ?? (() => (interrupted() ? 'interrupt' : undefined));
	const room = {emit: deps.emit, stopped: () => stopping() !== undefined || interrupted()};
	// No new run on a full disk: it would fail for want of room, and its result could not be kept.
	if (!(await waitForSpace([deps.session.runsDir, deps.session.repo], room))) return undefined;
	await checkout.worktree.checkout(plan.commit);
	const leftBefore = new Set(await checkout.worktree.untrackedFiles());
	let claimed: RunFolder | undefined;
	if (!(await writeWhenSpace(() => (claimed = claimFolder(deps.session, plan, rules, worker)), deps.session.runsDir, room)))
		return undefined;
	const folder = claimed!;
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
		...(rules.writable ? {writable: rules.writable} : {}),
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
	// The next runs must read the code as committed: a run that changed it (unsandboxed) is a crash, and it is put back.
	const touched = await checkout.worktree.changedFiles();
	const added = (await checkout.worktree.untrackedFiles()).filter(f => !leftBefore.has(f));
	if (touched.length > 0) await checkout.worktree.resetHard('HEAD');
	if (added.length > 0) checkout.worktree.removeFiles(added);
	if (touched.length > 0 || added.length > 0) {
		const what = [
			...(touched.length > 0 ? [`changed ${touched.join(', ')}`] : []),
			...(added.length > 0 ? [`added ${added.join(', ')}`] : []),
		].join(' and ');
		reading = {
			ok: false,
			reason: `the run ${what} in its worktree, which it may not (a run writes in $NIGHTSHIFT_RUN_DIR); they were put back`,
		};
	}
	const seconds = (Date.now() - startedAt) / 1000;
	// The result is measured: held until the disk has room for it, never lost to a full one.
	const measured = (): unknown =>
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
	const kept = await writeWhenSpace(measured, path.join(folder.dir, 'summary.json'), {
		emit: deps.emit,
		stopped: () => interrupted() || stopping() === 'now',
		holding: `Experiment ${plan.n}'s result is held and recorded once it fits`,
	});
	if (!kept) return undefined;
	if (result.unwritten) {
		// The log lost its copy to the full disk: what the run printed last (its summary) goes in now that there is room.
		try {
			appendFileSync(
				path.join(folder.dir, 'run.log'),
				`\nnightshift: the disk was full: ${result.unwritten} bytes of output are missing above; the last lines were:\n${result.tail.join('\n')}\n`,
			);
		} catch {
			// Still no room: summary.json has the result.
		}
	}
	return {folder, result, reading, seconds};
}
