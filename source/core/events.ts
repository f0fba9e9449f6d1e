import {appendFileSync, readFileSync, existsSync} from 'node:fs';
import type {Direction, ExperimentRecord, Progress, SteeringNote, Status} from './types.js';

/** What the loop is doing; the status bar shows it. */
export type LoopState =
	| 'starting'
	| 'proposing'
	| 'running'
	| 'paused'
	| 'waiting'
	| 'stopping'
	| 'done';

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
			python?: string;
			proposer: string;
	  }
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
	  }
	/** A line of the run's output; `partial` lines are `\r` progress that the next line replaces. */
	| {type: 'log'; n: number; text: string; partial: boolean}
	| ({type: 'progress'; n: number} & Progress)
	| {
			type: 'run-end';
			/** The experiment number (its run folder's). */
			n: number;
			record: ExperimentRecord;
			best: ExperimentRecord | undefined;
			baseline: ExperimentRecord | undefined;
			seconds: number;
			reason?: string;
	  }
	| {type: 'overrule'; n: number; from: Status; to: Status}
	| {type: 'notes'; notes: SteeringNote[]}
	| {type: 'chat'; role: 'user' | 'agent'; text: string; done: boolean}
	| {type: 'goal-changed'}
	| {type: 'budget-changed'; seconds: number}
	| {type: 'model-changed'; model: string}
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

/** Events too frequent for the session log; run.log holds their content. */
const transient = new Set<LoopEvent['type']>(['log', 'progress', 'proposal-token', 'gpu']);

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

	/** Reads every whole line; a torn last line (killed mid-write) is skipped. */
	read(): Array<LoopEvent & {at: string}> {
		if (!existsSync(this.path)) return [];
		const out: Array<LoopEvent & {at: string}> = [];
		for (const line of readFileSync(this.path, 'utf8').split('\n')) {
			if (!line.trim()) continue;
			try {
				out.push(JSON.parse(line) as LoopEvent & {at: string});
			} catch {
				// A line torn by kill -9 is not an event.
			}
		}
		return out;
	}
}
