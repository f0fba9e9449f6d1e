import type {EventListener} from './events.js';

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
	/** Kill the current run now: recorded as crash and reverted. */
	stopRun(): void;
	/** Overrule the judge for the most recent finished experiment. */
	overrule(to: 'keep' | 'revert'): void;
	/** New time budget (seconds) from the next run on. */
	setBudget(seconds: number): void;
	setModel(model: string): void;
	/** Free text from the human: a steering note, and a chat message where a model can answer. */
	say(text: string): void;
	/** Remove a steering note by id; no id removes them all. */
	removeNote(id?: number): void;
	/** Current notes are also published as a `notes` event. */
	showNotes(): void;
	/** Writes program.md atomically; the next proposal reads it. */
	saveGoal(text: string): Promise<void>;
	/** Reads program.md as it is on disk now. */
	readGoal(): string;
	/**
	 * Stop the loop. `finish`: let the current run end and be recorded.
	 * `now`: kill it, record crash. Resolves when everything is written.
	 */
	quit(mode: 'finish' | 'now'): Promise<void>;
	/** True while an experiment's process is running. */
	readonly running: boolean;
}
