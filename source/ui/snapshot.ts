import type {GpuReading, LoopState} from '../core/events.js';
import type {Direction, ExperimentRecord, SteeringNote} from '../core/types.js';

// What the screen is drawn from: the store (state.ts) publishes one of
// these at a bounded rate, and the panes take their parts of it. Parts that
// did not change keep their identity, so memoised panes are not redrawn.

export type LogLine = {text: string; partial: boolean};

export type AgentEntry =
	| {kind: 'proposal'; n: number; text: string; thinking: string; streaming: boolean; proposer: string; model?: string}
	| {kind: 'edit'; n: number; description: string; rationale?: string; diff: string}
	| {kind: 'user'; text: string}
	| {kind: 'agent'; text: string; streaming: boolean}
	| {kind: 'info' | 'warn' | 'error'; text: string};

/** A loss reading; `frac` is how far through its time budget the run was (from the line's percent, else the clock). */
export type Point = {step: number; loss: number; frac?: number};

export type Experiment = ExperimentRecord & {n: number; seconds: number};

/** What the proposer is doing now; a pipelined proposer works while a run trains. */
export type ProposerActivity = {n: number; phase: 'waiting' | 'thinking' | 'writing' | 'retrying' | 'applying'};

export type Snapshot = {
	version: number;
	session?: {tag: string; branch: string; metric: string; direction: Direction; proposer: string; python?: string; resumed: boolean};
	state: LoopState;
	detail?: string;
	run?: {n: number; commit: string; description: string; startedAt: number; budgetSeconds: number};
	/** The run whose lines the log still shows once it ended. */
	lastRun?: {n: number; commit: string};
	proposer?: ProposerActivity;
	log: readonly LogLine[];
	/** Lines ever added, so a scrolled view can stay where it is as the ring moves. */
	logTotal: number;
	loss: readonly Point[];
	bestLoss: readonly Point[];
	experiments: readonly Experiment[];
	best?: ExperimentRecord;
	baseline?: ExperimentRecord;
	agent: readonly AgentEntry[];
	notes: readonly SteeringNote[];
	gpus: readonly GpuReading[];
	budgetSeconds?: number;
	model?: string;
	goalVersion: number;
};
