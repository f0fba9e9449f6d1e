import type {Action} from './text-buffer.js';

// What a key may do to the screen. Every binding in keys.ts acts only
// through this interface, and the screen (hooks/useScreen.ts) implements it
// once: a binding cannot reach into React state, and a new binding is one
// row of the key table, not one more case in a handler somewhere else.

export type UiActions = {
	/** Ctrl+C: the first says what a second does; a second within 2 s quits at once. */
	interrupt(): void;
	openHelp(): void;
	closeHelp(): void;
	/** Scrolls the help overlay by rows, or by pages. */
	scrollHelp(delta: number, page: boolean): void;
	/** q: quits at once between runs, asks first while a run is in progress. */
	quit(): void;
	/** The quit dialog's answers; nothing happens unless it is asking. */
	answerQuit(answer: 'finish' | 'stop' | 'cancel'): void;
	/** Moves focus to the next (1) or previous (-1) pane, leaving any text field. */
	focus(step: 1 | -1): void;
	/** Scrolls the focused pane by rows, or by pages (positive is down). */
	scroll(delta: number, page: boolean): void;
	/** To the start (the log stops following) or the end (it follows again). */
	jump(to: 'start' | 'end'): void;
	/** The Loss pane: this run's loss, or the metric across experiments. */
	toggleChart(): void;
	/** Opens the agent input with a `/` typed. */
	startCommand(): void;
	/** Opens program.md in the user's editor, saving unsaved edits first. */
	openEditor(): void;
	/** Gives the keyboard to the goal editor. */
	editGoal(): void;
	/** Gives the keyboard to the agent input. */
	typeToAgent(): void;
	saveGoal(): void;
	/** Takes the keyboard back from a text field; its text stays. */
	leaveField(): void;
	/** An editing action for the text field that has the keyboard. */
	edit(action: Action): void;
	/** Sends the input line: a /command to the loop, anything else to the agent. */
	submit(): void;
	/** Tab in the input line: completes a /command; on plain text, the next pane. */
	complete(): void;
	/** Walks the input history: 1 older, -1 newer. */
	recall(direction: 1 | -1): void;
	/** A bracketed paste: into the field with focus (or the one the focused pane has). */
	paste(text: string): void;
	/** The morning view: what happened since the person last looked. */
	openSummary(): void;
	/** The morning view counts from when the person last looked, or from the start. */
	toggleSince(): void;
	/** The whole change from the baseline to the best, in the viewer. */
	showChange(): void;
	/** Training and Loss follow the next worker. */
	followNextWorker(): void;
	/** The selected experiment's diff and log, in the viewer. */
	openDetails(): void;
	/** Closes the viewer (the morning view: the person has now looked). */
	closeView(): void;
	scrollView(delta: number, page: boolean): void;
	jumpView(to: 'start' | 'end'): void;
	/** Quitting with unsaved goal edits: save them, drop them, or stay. */
	answerUnsaved(answer: 'save' | 'discard' | 'cancel'): void;
};
