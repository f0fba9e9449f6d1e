import {appendFileSync} from 'node:fs';
import type {RunRole} from './run-summary.js';
import type {Direction, ExperimentRecord, Progress, SteeringNote, Status} from './types.js';

/** What the loop is doing; the status bar shows it. */
export type LoopState = 'starting' | 'proposing' | 'running' | 'paused' | 'waiting' | 'stopping' | 'done';

/**
 * Everything the core tells the outside world. The UI reduces these into
 * its state, headless mode prints them, and the session's event log keeps
 * all but the high-rate ones (log lines, progress, tokens live in run.log).
 */
export type LoopEvent =
	| {
			type: 'session';
			tag: string;
			branch: string;
			workspace: string;
			worktree: string;
			runsDir: string;
			resumed: boolean;
			metric: string;
			direction: Direction;
			editable: string[];
			budgetSeconds: number;
			/** True when the budget is not program.md's (a flag or /budget set it). */
			budgetOverride?: boolean;
			python?: string;
			proposer: string;
			/** The workers, each with its GPU where one was given. */
			workers?: Array<{name: string; gpu?: number}>;
			/** How runs are run: local, sandboxed, or through Slurm. */
			executor?: string;
	  }
	/** What candidates are judged against at the budget in force: the best's mean over its runs, and the noise of one run. */
	| {type: 'reference'; budgetSeconds: number; mean: number; runs: number; sigma?: number; commit: string}
	| {type: 'state'; state: LoopState; detail?: string}
	| {type: 'message'; level: 'info' | 'warn' | 'error'; text: string}
	| {type: 'proposal-start'; n: number; proposer: string; model?: string}
	| {type: 'proposal-token'; n: number; text: string; channel: 'text' | 'thinking'}
	| {type: 'proposal-retry'; n: number; attempt: number; reason: string}
	| {
			type: 'proposal';
			n: number;
			description: string;
			rationale?: string;
			diff: string;
			proposer: string;
			model?: string;
	  }
	| {type: 'proposal-failed'; n: number; reason: string}
	| {
			type: 'run-start';
			n: number;
			commit: string;
			description: string;
			budgetSeconds: number;
			timeoutSeconds: number;
			startedAt: number;
			/** The worker that runs it (w0, w1, ...). */
			worker?: string;
			/** Why it runs: the baseline, a candidate, a re-run confirming one, or the best re-measured at a new budget. */
			role?: RunRole;
			/** For a re-run: the experiment it re-runs. */
			of?: number;
	  }
	/** The run is waiting for its turn (a Slurm job pending), with the scheduler's reason. */
	| {type: 'run-queued'; n: number; worker?: string; reason: string}
	/** A line of the run's output; `partial` lines are `\r` progress that the next line replaces. */
	| {type: 'log'; n: number; text: string; partial: boolean; worker?: string}
	| ({type: 'progress'; n: number; worker?: string} & Progress)
	/** An experiment judged and recorded just now. */
	| {
			type: 'run-end';
			/** The experiment number (its run folder's). */
			n: number;
			record: ExperimentRecord;
			best: ExperimentRecord | undefined;
			baseline: ExperimentRecord | undefined;
			seconds: number;
			reason?: string;
			worker?: string;
			/** Re-run rows recorded with it (its confirmations). */
			reruns?: ExperimentRecord[];
	  }
	/** One more run of an experiment already judged, recorded (the best re-measured at a new budget). */
	| {type: 'rerun'; n: number; record: ExperimentRecord; seconds: number; worker?: string}
	/** A run finished whose experiment waits for more runs before its verdict (the noise band was close). */
	| {type: 'run-measured'; n: number; group: number; metric: number | null; seconds: number; worker?: string; detail: string}
	/** An experiment recorded by an earlier loop, replayed once at startup so a face can show the session so far. */
	| {
			type: 'recorded';
			n: number;
			record: ExperimentRecord;
			best: ExperimentRecord | undefined;
			baseline: ExperimentRecord | undefined;
	  }
	/** A human overruled the judge: `record` is the experiment as it stands now. */
	| {
			type: 'overrule';
			n: number;
			from: Status;
			to: Status;
			record: ExperimentRecord;
			best: ExperimentRecord | undefined;
			baseline: ExperimentRecord | undefined;
	  }
	| {type: 'notes'; notes: readonly SteeringNote[]}
	| {type: 'chat'; role: 'user' | 'agent'; text: string; done: boolean}
	| {type: 'goal-changed'}
	| {type: 'budget-changed'; seconds: number}
	| {type: 'model-changed'; model: string}
	/** Text for the human to read in full (the memory digest, an experiment's details). */
	| {type: 'show'; title: string; text: string}
	/** nvidia-smi's reading, polled while a GPU is present; never sent when there is none. */
	| {type: 'gpu'; gpus: GpuReading[]};

export type GpuReading = {
	index: number;
	name: string;
	utilization: number;
	memoryUsedMb: number;
	memoryTotalMb: number;
	temperatureC: number;
};

export type EventListener = (event: LoopEvent) => void;

export type EventType = LoopEvent['type'];
export type EventOf<T extends EventType> = Extract<LoopEvent, {type: T}>;

/**
 * One named handler per event type. A face builds one of these; the
 * compiler refuses it when a type is missing, so a new event cannot be
 * forgotten by the screen or the printer.
 */
export type EventHandlers<R = void> = {[T in EventType]: (event: EventOf<T>) => R};

export function dispatch<R>(handlers: EventHandlers<R>, event: LoopEvent): R {
	// The mapped type pairs each key with its own event type; indexing by a union key loses that pairing.
	return (handlers[event.type] as (event: LoopEvent) => R)(event);
}

/** States in which the loop is not working on an experiment (no spinner, no proposal under way). */
export function isIdle(state: LoopState): boolean {
	return state === 'paused' || state === 'waiting' || state === 'stopping' || state === 'done';
}

/** Events too frequent for the session log (run.log holds their content), and the startup replay of what the log has already. */
const transient = new Set<LoopEvent['type']>(['log', 'progress', 'proposal-token', 'gpu', 'recorded']);

export function isPersisted(event: LoopEvent): boolean {
	if (event.type === 'chat') return event.done;
	return !transient.has(event.type);
}

/** The session's append-only event log: one JSON object a line, written whole. */
export class EventLog {
	constructor(readonly path: string) {}

	append(event: LoopEvent): void {
		if (!isPersisted(event)) return;
		appendFileSync(this.path, JSON.stringify({at: new Date().toISOString(), ...event}) + '\n');
	}
}
