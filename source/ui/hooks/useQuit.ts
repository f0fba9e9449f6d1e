import {useApp} from 'ink';
import {useEffect, useRef, useState} from 'react';
import type {LoopControl} from '../../core/intents.js';
import type {QuitStage} from '../panes/QuitDialog.js';

// The ways out: q (which asks first about unsaved goal edits, then about a
// run in progress, and then waits for the loop's quit to resolve with the
// dialog still up), and Ctrl+C twice within two seconds (at once). The
// first Ctrl+C only says what a second one does, in a flash on the status
// line.

const interruptWindowMs = 2000;

/** What quitting needs of the goal editor: whether it holds unsaved edits, and a save that says whether it worked. */
export type UnsavedGoal = {dirty: boolean; save: () => Promise<boolean>};

export type Quit = {
	/** The quit dialog's stage, while it is up. */
	stage: QuitStage | undefined;
	/** A message the status line must show first. */
	flash: string | undefined;
	quit: () => void;
	answer: (answer: 'finish' | 'stop' | 'cancel') => void;
	answerUnsaved: (answer: 'save' | 'discard' | 'cancel') => void;
	interrupt: () => void;
};

export function useQuit(control: LoopControl, goal: UnsavedGoal): Quit {
	const {exit} = useApp();
	const [stage, setStage] = useState<QuitStage | undefined>();
	const [flash, setFlash] = useState<string | undefined>();
	const lastInterrupt = useRef(0);
	const flashTimer = useRef<NodeJS.Timeout | undefined>(undefined);
	useEffect(() => () => clearTimeout(flashTimer.current), []);

	const leaveWith = (next: QuitStage, how: 'finish' | 'now'): void => {
		setStage(next);
		control.quit(how).then(
			() => exit(),
			(error: unknown) => exit(error instanceof Error ? error : new Error(String(error))),
		);
	};

	/** Past the goal's question: ask about the run, or go. */
	const onward = (): void => (control.running ? setStage('ask') : leaveWith('quitting', 'finish'));

	const answers: Record<'finish' | 'stop' | 'cancel', () => void> = {
		finish: () => leaveWith('finishing', 'finish'),
		stop: () => leaveWith('stopping', 'now'),
		cancel: () => setStage(undefined),
	};

	const unsaved: Record<'save' | 'discard' | 'cancel', () => void> = {
		// A save that fails keeps the screen (the Goal pane says why): nothing typed is lost by quitting.
		save: () => void goal.save().then(saved => (saved ? onward() : setStage(undefined))),
		discard: onward,
		cancel: () => setStage(undefined),
	};

	return {
		stage,
		flash,
		quit: () => (goal.dirty ? setStage('unsaved') : onward()),
		// Once it is finishing or stopping, only Ctrl+C twice changes anything.
		answer: answer => (stage === 'ask' ? answers[answer]() : undefined),
		answerUnsaved: answer => (stage === 'unsaved' ? unsaved[answer]() : undefined),
		interrupt: () => {
			const t = Date.now();
			if (t - lastInterrupt.current < interruptWindowMs) return leaveWith('stopping', 'now');
			lastInterrupt.current = t;
			const lost = goal.dirty ? ' (unsaved goal edits are lost)' : '';
			setFlash(control.running ? `Ctrl+C again: quit now, the run recorded as crash (q asks)${lost}` : `Ctrl+C again to quit${lost}`);
			clearTimeout(flashTimer.current);
			flashTimer.current = setTimeout(() => setFlash(undefined), interruptWindowMs);
		},
	};
}
