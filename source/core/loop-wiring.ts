import type {ArenaWatch} from './arena-watch.js';
import type {Conversation} from './conversation.js';
import type {LoopEvent} from './events.js';
import type {GitLock} from './git-lock.js';
import {Jobs, type WorkerState} from './jobs.js';
import type {Ledger} from './ledger.js';
import type {LoopOptions} from './loop.js';
import {memoryOf} from './memory.js';
import type {Numbers} from './numbers.js';
import {runArgv} from './preflight.js';
import type {CheckResult} from './proposer.js';
import {ProposalQueue} from './queue.js';
import type {ResultsFile} from './results.js';
import type {Session} from './session.js';
import type {Tried} from './tried.js';
import type {Edit} from './types.js';

// How the loop's parts are plugged into each other: the proposal queue reads
// the session as it is when it asks, and the jobs get the loop's lock,
// ledger and signals. Kept apart from loop.ts so that the loop reads as its
// recipe.

export type LoopParts = {
	options: LoopOptions;
	session: Session;
	arena: ArenaWatch;
	ledger: Ledger;
	conversation: Conversation;
	numbers: Numbers;
	tried: Tried;
	workers: WorkerState[];
	results: ResultsFile;
	lock: GitLock;
	emit: (event: LoopEvent) => void;
	filesAt: (commit: string) => Promise<Record<string, string>>;
	check: (base: Readonly<Record<string, string>>, compile: boolean) => (edits: Edit[]) => Promise<CheckResult>;
};

export function makeQueue(parts: LoopParts, running: () => boolean): ProposalQueue {
	const {options, arena, ledger, conversation, workers, session} = parts;
	return new ProposalQueue({
		proposer: options.proposer,
		emit: parts.emit,
		numbers: parts.numbers,
		tried: parts.tried,
		inputs: () => ({
			goal: arena.arena.goal,
			rules: arena.rules(),
			results: ledger.records,
			notes: conversation.notes.all,
			...(ledger.crash ? {lastCrash: ledger.crash} : {}),
			history: memoryOf(session.runsDir, ledger.records),
			machine: {device: 'cpu', ...options.machine, workers: workers.length},
		}),
		running: () =>
			workers.flatMap(w => (w.current ? [{n: w.current.n, description: w.current.description, state: 'running' as const}] : [])),
		bestCommit: () => ledger.bestCommit,
		filesAt: parts.filesAt,
		check: parts.check,
		depth: () => Math.max(options.queueDepth ?? 2, workers.length),
		// A worker waits this long for the model before the stand-in supplies the experiment: a sliver of a run.
		graceMs: () => Math.min(3000, Math.max(250, arena.rules().budgetSeconds * 10)),
		idle: () => !running(),
	});
}

export function makeJobs(
	parts: LoopParts,
	queue: ProposalQueue,
	signals: {stopping: () => 'finish' | 'now' | 'interrupt' | undefined; changed: () => Promise<void>; poke: () => void},
): Jobs {
	const {options, ledger, arena} = parts;
	return new Jobs({
		session: parts.session,
		emit: parts.emit,
		lock: parts.lock,
		results: parts.results,
		ledger,
		numbers: parts.numbers,
		tried: parts.tried,
		queue,
		rules: () => arena.rules(),
		filesAt: parts.filesAt,
		check: base => parts.check(base, false),
		argv: rules => runArgv(rules, options.python),
		env: options.env,
		killGraceSeconds: options.killGraceSeconds,
		python: options.python,
		...signals,
		// The budget of the session's first run: a row at another budget says so in results.tsv.
		firstBudget: () => ledger.runs().find(r => r.budget !== undefined)?.budget,
		...(options.noiseRule ? {noiseRule: options.noiseRule} : {}),
	});
}
