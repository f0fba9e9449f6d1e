import {writeFileSync} from 'node:fs';
import path from 'node:path';
import type {LoopEvent} from './events.js';
import type {Executor, RunHandle} from './executor.js';
import {writeFileAtomic} from './fsutil.js';
import type {GitLock} from './git-lock.js';
import {judge, type Verdict} from './judge.js';
import type {Ledger} from './ledger.js';
import type {Proposal} from './proposer.js';
import {claimRunFolder, type ResultsFile, type RunFolder} from './results.js';
import type {RunResult} from './runner.js';
import {oneLine, sanitizeBlock} from './sanitize.js';
import {updateRunSummary, writeRunSummary, type RunSummary} from './run-summary.js';
import type {Session} from './session.js';
import type {ArenaRules, Edit, ExperimentRecord} from './types.js';
import type {CheckResult} from './proposer.js';

// One experiment, in the order program.md's loop gives it: commit the
// proposal, claim the run folder, run, judge, record, keep or revert. Each
// step leaves a sign on disk that a restart can finish from (session.ts's
// recover() reads them; docs/ARCHITECTURE.md has the table).

export type ExperimentDeps = {
	session: Session;
	ledger: Ledger;
	lock: GitLock;
	results: ResultsFile;
	executor: Executor;
	emit: (event: LoopEvent) => void;
	/** The editable files at a commit. */
	filesAt: (commit: string) => Promise<Record<string, string>>;
	/** The dry run without compiling: the loop lets a broken file run and crash, as recorded. */
	check: (base: Readonly<Record<string, string>>) => (edits: Edit[]) => Promise<CheckResult>;
	/** The experiment number the next run folder should have at least. */
	nextNumber: () => number;
	argv: (rules: ArenaRules) => string[];
	env: Record<string, string> | undefined;
	killGraceSeconds: number | undefined;
	worker: string;
	python: string | undefined;
};

export type ExperimentHooks = {
	/** The run exists: the loop may stop it, and prepares the next proposal meanwhile. */
	started: (n: number, handle: RunHandle) => void;
	/** A proposal that stopped applying before it was committed. */
	unusable: (reason: string) => void;
};

export type ExperimentOutcome =
	{kind: 'not-run'} | {kind: 'recorded'; n: number; record: ExperimentRecord; verdict: Verdict; result: RunResult};

type Claimed = {commit: string; folder: RunFolder; parent: string};

/** Writes the proposal's files and commits them on the session branch; undefined when it no longer applies. */
async function commitProposal(deps: ExperimentDeps, proposal: Proposal, parent: string): Promise<{commit: string; diff: string} | string> {
	const {worktree, arenaDir, relative} = deps.session;
	const base = await deps.filesAt(parent);
	const checked = await deps.check(base)(proposal.edits);
	if (!checked.ok) return checked.reason;
	const changed = Object.keys(checked.files).filter(f => checked.files[f] !== base[f]);
	for (const file of changed) writeFileSync(path.join(arenaDir, file), checked.files[file]!);
	// The model's words go into git: no control bytes (git refuses a NUL) and no escape sequences for a later `git log`.
	const message = `${oneLine(proposal.description)}\n\n${sanitizeBlock(proposal.rationale ?? '')}\n\nnightshift: proposed by ${oneLine(proposal.proposer)}${proposal.model ? ` (${oneLine(proposal.model)})` : ''}`;
	const commit = await worktree.commit(
		changed.map(f => path.posix.join(relative, f)),
		message.replace(/\n{3,}/g, '\n\n'),
	);
	return {commit, diff: await worktree.diff(parent, commit)};
}

/** Claims the next experiment number by creating its folder, with the diff and a `running` summary in it. */
function claimFolder(deps: ExperimentDeps, commit: string, parent: string, diff: string, description: string): RunFolder {
	const folder = claimRunFolder(deps.session.runsDir, commit.slice(0, 7), deps.nextNumber());
	writeFileAtomic(path.join(folder.dir, 'diff.patch'), diff);
	writeRunSummary(folder.dir, {
		n: folder.n,
		commit: commit.slice(0, 7),
		parent: parent.slice(0, 7),
		status: 'running',
		description,
		started_at: new Date().toISOString(),
	});
	return folder;
}

/** Runs the command through the executor, streaming its output as events. */
async function run(
	deps: ExperimentDeps,
	claimed: Claimed,
	rules: ArenaRules,
	description: string,
	hooks: ExperimentHooks,
): Promise<RunResult> {
	const {folder} = claimed;
	const n = folder.n;
	const short = claimed.commit.slice(0, 7);
	const startedAt = Date.now();
	deps.emit({
		type: 'run-start',
		n,
		commit: short,
		description,
		budgetSeconds: rules.budgetSeconds,
		timeoutSeconds: rules.timeoutSeconds,
		startedAt,
	});
	deps.emit({type: 'state', state: 'running', detail: `experiment ${n}`});
	const handle = deps.executor.start({
		argv: deps.argv(rules),
		cwd: path.join(deps.session.arenaDir, rules.cwd),
		env: {
			NIGHTSHIFT_TIME_BUDGET: String(rules.budgetSeconds),
			NIGHTSHIFT_EXPERIMENT: String(n),
			PYTHONUNBUFFERED: '1',
			NIGHTSHIFT_RUN_DIR: folder.dir,
			...deps.env,
		},
		runDir: folder.dir,
		logPath: path.join(folder.dir, 'run.log'),
		timeoutSeconds: rules.timeoutSeconds,
		onSpawn: pid => updateRunSummary(folder.dir, {n, commit: short, description}, {pid, started_at: new Date(startedAt).toISOString()}),
		onLine: line => deps.emit({type: 'log', n, text: line.text, partial: line.partial}),
		onProgress: progress => deps.emit({type: 'progress', n, ...progress}),
		...(deps.killGraceSeconds === undefined ? {} : {killGraceSeconds: deps.killGraceSeconds}),
	});
	hooks.started(n, handle);
	return handle.done;
}

/** The final summary.json, then one results.tsv row, then the branch: forward to a keep, back to the best otherwise. */
async function recordAndSettle(deps: ExperimentDeps, claimed: Claimed, summary: RunSummary, record: ExperimentRecord): Promise<void> {
	writeRunSummary(claimed.folder.dir, summary);
	deps.results.append(record);
	deps.ledger.add(record, claimed.commit);
	if (record.status !== 'keep' && claimed.commit !== claimed.parent) await deps.session.worktree.resetHard(claimed.parent);
}

/**
 * One experiment. `undefined` is the baseline: the arena as it is. The git
 * steps hold the lock; the run itself does not.
 */
export async function runExperiment(
	deps: ExperimentDeps,
	proposal: Proposal | undefined,
	rules: ArenaRules,
	hooks: ExperimentHooks,
): Promise<ExperimentOutcome> {
	const {ledger, lock} = deps;
	const parent = ledger.bestCommit;
	const description = proposal ? proposal.description : 'baseline';
	const claimed = await lock.exclusive(async (): Promise<Claimed | undefined> => {
		let commit = parent;
		let diff = '';
		if (proposal) {
			const committed = await commitProposal(deps, proposal, parent);
			if (typeof committed === 'string') {
				hooks.unusable(committed);
				return undefined;
			}
			({commit, diff} = committed);
		}
		return {commit, parent, folder: claimFolder(deps, commit, parent, diff, description)};
	});
	if (!claimed) return {kind: 'not-run'};
	const startedAt = new Date();
	const result = await run(deps, claimed, rules, description, hooks);
	const verdict = judge(result, rules, ledger.best);
	const n = claimed.folder.n;
	const short = claimed.commit.slice(0, 7);
	const record: ExperimentRecord = {
		row: ledger.nextRow,
		n,
		commit: short,
		metric: verdict.metric,
		memoryGb: verdict.memoryGb,
		status: verdict.status,
		description,
	};
	await lock.exclusive(() =>
		recordAndSettle(
			deps,
			claimed,
			{
				n,
				commit: short,
				parent: claimed.parent.slice(0, 7),
				status: verdict.status,
				reason: verdict.reason,
				metric_name: rules.metric,
				metric: verdict.metric,
				memory_gb: Number(verdict.memoryGb.toFixed(3)),
				description,
				...(proposal?.rationale ? {rationale: proposal.rationale} : {}),
				proposer: proposal?.proposer ?? 'baseline',
				...(proposal?.model ? {model: proposal.model} : {}),
				summary: result.summary ?? {},
				exit_code: result.exitCode ?? null,
				signal: result.signal ?? null,
				killed: result.killed ?? null,
				budget_seconds: rules.budgetSeconds,
				timeout_seconds: rules.timeoutSeconds,
				seconds: Number(result.seconds.toFixed(3)),
				started_at: startedAt.toISOString(),
				ended_at: new Date().toISOString(),
				worker: deps.worker,
				...(deps.python ? {python: deps.python} : {}),
			},
			record,
		),
	);
	return {kind: 'recorded', n, record, verdict, result};
}
