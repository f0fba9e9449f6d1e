import type {EventListener} from './events.js';
import type {RunSummary} from './run-summary.js';

/** What the screen shows of one experiment when it is opened. */
export type ExperimentDetails = {n: number; diff: string; logTail: string[]; summary: Partial<RunSummary> | undefined};

/**
 * What the outside (TUI, headless signal handlers, tests) may ask of a running
 * loop. None of these block: each is taken up at the loop's next safe point
 * and answered with events.
 */
export interface LoopControl {
	subscribe(listener: EventListener): () => void;
	/** Finish the current run, then wait for resume(). */
	pause(): void;
	resume(): void;
	/** Kill the run in progress now (on one worker, or on all): recorded as a crash, stopped by hand. */
	stopRun(worker?: string): void;
	/** Overrule the judge on the last finished experiment (said before it acts). */
	overrule(to: 'keep' | 'revert'): void;
	/** New time budget (seconds) from the next run on. */
	setBudget(seconds: number): void;
	setModel(model: string): void;
	/** Free text from the human: a steering note (a question, ending in `?`, is only answered), and a chat message where a model can answer. */
	say(text: string): void;
	/** A question for the agent, answered and not kept as a note (/ask). */
	ask(text: string): void;
	/** Remove a steering note by id; no id removes them all. */
	removeNote(id?: number): void;
	/** Current notes are also published as a `notes` event. */
	showNotes(): void;
	/** Writes program.md atomically; the next proposal reads it. */
	saveGoal(text: string): Promise<void>;
	/** Reads program.md as it is on disk now. */
	readGoal(): string;
	/**
	 * Stop the loop. `finish`: let the runs in progress end and be recorded.
	 * `now`: kill them, recorded as crashes. `interrupt`: kill them and record
	 * nothing: they run again on restart (SIGTERM, SIGHUP). Resolves when
	 * everything is written.
	 */
	quit(mode: 'finish' | 'now' | 'interrupt'): Promise<void>;
	/** One experiment's diff, the end of its log and its summary, read from its run folder. */
	details(n: number): Promise<ExperimentDetails>;
	/** The whole change from the baseline to the best, as a unified diff. */
	changeSinceBaseline(): Promise<string>;
	/** When the human last looked (the morning view's "since"), and a way to say they have now. */
	lastSeen(): string | undefined;
	markSeen(): void;
	/** The session's memory as the proposer reads it (the digest), for /memory. */
	showMemory(): void;
	/** True while an experiment's process is running. */
	readonly running: boolean;
}
