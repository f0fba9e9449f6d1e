import type {GpuReading, LoopState} from '../core/events.js';
import type {Direction, ExperimentRecord, SteeringNote} from '../core/types.js';

// What the screen is drawn from: the store (state.ts) publishes one of
// these at a bounded rate, and the panes take their parts of it. Parts that
// did not change keep their identity, so memoised panes are not redrawn.

export type LogLine = {text: string; partial: boolean};

export type AgentEntry =
	| {kind: 'proposal'; n: number; text: string; thinking: string; streaming: boolean; proposer: string; model?: string}
	| {kind: 'edit'; n: number; description: string; rationale?: string; diff: string; proposer?: string}
	| {kind: 'user'; text: string}
	| {kind: 'agent'; text: string; streaming: boolean}
	/** `brief`: one line, cut to the pane (a summary of something longer, e.g. feedback meant for the model). */
	| {kind: 'info' | 'warn' | 'error'; text: string; brief?: boolean};

/** A loss reading; `frac` is how far through its time budget the run was (from the line's percent, else the clock). */
export type Point = {step: number; loss: number; frac?: number};

export type Experiment = ExperimentRecord & {n: number; seconds: number};

/** What the proposer is doing now; a pipelined proposer works while a run trains. `queued`: ready, waiting for a worker. */
export type ProposerActivity = {n: number; phase: 'waiting' | 'thinking' | 'writing' | 'retrying' | 'queued'};

/** A run in progress on one worker. */
export type RunView = {
	n: number;
	commit: string;
	description: string;
	startedAt: number;
	budgetSeconds: number;
	worker: string;
	/** A re-run: the experiment it re-runs. */
	of?: number;
	/** Waiting for its turn (a Slurm job pending), with the scheduler's reason. */
	queued?: string;
};

/** One worker as the screen knows it: its GPU, its run, the run whose lines it still shows. */
export type WorkerView = {name: string; gpu?: number; run?: RunView; lastRun?: {n: number; commit: string}};

/** An experiment measured once that waits for its re-runs before its verdict. */
export type Pending = {n: number; metric: number | null; detail: string; description: string};

export type Snapshot = {
	version: number;
	session?: {
		tag: string;
		branch: string;
		metric: string;
		direction: Direction;
		proposer: string;
		python?: string;
		resumed: boolean;
		budgetOverride?: boolean;
		executor?: string;
	};
	state: LoopState;
	detail?: string;
	/** The followed worker's run (Training and Loss show it). */
	run?: RunView;
	/** The run whose lines the log still shows once it ended. */
	lastRun?: {n: number; commit: string};
	/** Every worker, in the session's order; `followed` is the one Training and Loss show. */
	workers: readonly WorkerView[];
	followed: string;
	/** Every run in progress, on any worker. */
	runs: readonly RunView[];
	pending: readonly Pending[];
	proposer?: ProposerActivity;
	log: readonly LogLine[];
	/** Lines ever added, so a scrolled view can stay where it is as the ring moves. */
	logTotal: number;
	loss: readonly Point[];
	bestLoss: readonly Point[];
	experiments: readonly Experiment[];
	best?: ExperimentRecord;
	baseline?: ExperimentRecord;
	/** What candidates are judged against now: the best's mean over its runs, and the noise of one run. */
	reference?: {budgetSeconds: number; mean: number; runs: number; sigma?: number};
	agent: readonly AgentEntry[];
	notes: readonly SteeringNote[];
	gpus: readonly GpuReading[];
	budgetSeconds?: number;
	model?: string;
	goalVersion: number;
	/** The newest text the loop gave to read in full (`show`: the memory digest); `seq` moves with each. */
	shown?: {title: string; text: string; seq: number};
	/** The wall clock when published: it moves once a second while something counts (a run, the spinner). */
	now: number;
};
