import type {ArenaRules, Edit} from './types.js';
import type {LoopEvent} from './events.js';
import type {RunHandle} from './executor.js';
import type {WorkerContext} from './experiment.js';
import type {GitLock} from './git-lock.js';
import type {Ledger} from './ledger.js';
import type {Member} from './measure.js';
import type {NoiseRule} from './noise.js';
import type {Numbers} from './numbers.js';
import type {CheckResult, Proposal} from './proposer.js';
import type {ProposalQueue, Ready} from './queue.js';
import type {Pending} from './recovery.js';
import type {ResultsFile} from './results.js';
import type {RunRole} from './run-summary.js';
import type {Session} from './session.js';
import type {Tried} from './tried.js';

// The shapes the jobs share (jobs.ts, shared-runs.ts, candidates.ts): what a
// worker is, what it can be given to do, what the loop lends them, and the
// little state they keep between them.

export type WorkerState = WorkerContext & {
	handle: RunHandle | undefined;
	current: {n: number; description: string; role: RunRole} | undefined;
};

export type Shared = {
	kind: 'baseline' | 'reference';
	/** The baseline's experiment number; for a reference, the best's. */
	group: number;
	commit: string;
	budget: number;
	description: string;
	needed: number;
	assigned: number;
	members: Member[];
	crashes: number;
	firstTaken: boolean;
};

export type Job = {kind: 'resume'; pending: Pending} | {kind: 'candidate'; ready: Ready} | {kind: 'shared'; shared: Shared};

export type Candidate = {
	n: number;
	description: string;
	proposal?: Proposal;
	commit?: string;
	parent: string;
	diff: string;
	key?: string;
	members: Member[];
	interrupted?: number;
	/** Re-runs asked for by a close first run. */
	confirming?: boolean;
	/** Run again once already after an end that was not its doing (RunResult.requeue). */
	requeued?: boolean;
};

export type JobDeps = {
	session: Session;
	emit: (event: LoopEvent) => void;
	lock: GitLock;
	results: ResultsFile;
	ledger: Ledger;
	numbers: Numbers;
	tried: Tried;
	queue: ProposalQueue;
	rules: () => ArenaRules;
	filesAt: (commit: string) => Promise<Record<string, string>>;
	check: (base: Readonly<Record<string, string>>) => (edits: Edit[]) => Promise<CheckResult>;
	argv: (rules: ArenaRules) => string[];
	env: Record<string, string> | undefined;
	killGraceSeconds: number | undefined;
	python: string | undefined;
	stopping: () => 'finish' | 'now' | 'interrupt' | undefined;
	/** Resolves at the next change (a result, an intent). */
	changed: () => Promise<void>;
	/** Tells the workers waiting for a change that one came (a result recorded). */
	poke: () => void;
	firstBudget: () => number | undefined;
	/** The noise rule's thresholds (noise.ts); the default unless a benchmark tries others. */
	noiseRule?: NoiseRule;
};

/** What the jobs keep between them: why the loop stopped, the shared measurement under way, the candidates under way. */
export type JobState = {halted: string | undefined; shared: Shared | undefined; underWay: number};

export function newShared(
	kind: Shared['kind'],
	commit: string,
	budget: number,
	group: number,
	description: string,
	needed: number,
): Shared {
	return {kind, group, commit, budget, description, needed, assigned: 0, members: [], crashes: 0, firstTaken: false};
}
