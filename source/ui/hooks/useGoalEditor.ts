import {useApp} from 'ink';
import {useEffect, useReducer, useRef, useState} from 'react';
import type {LoopControl} from '../../core/intents.js';
import {sanitize} from '../../core/sanitize.js';
import type {GoalStatus} from '../panes/GoalEditor.js';
import type {UiStore} from '../state.js';
import {bufferText, createBuffer, reduce, type Action, type Buffer} from '../text-buffer.js';

// program.md in the Goal pane: the text being edited, whether it is saved,
// and the way out to the user's own editor. The file on disk wins over the
// buffer only while the buffer holds no unsaved edits.

export type GoalEditorOptions = {
	control: LoopControl;
	store: UiStore;
	/** The pane's inside, in rows and cells. */
	rows: number;
	columns: number;
	/** Moves on each `goal-changed` event: program.md changed on disk. */
	version: number;
	/** Opens program.md in the user's editor; the screen suspends around it. */
	openEditor?: (file: string) => Promise<void>;
	programPath: string;
};

export type GoalEditorState = {
	buffer: Buffer;
	status: GoalStatus;
	edit: (action: Action) => void;
	/** Saves; resolves true when the text is on disk. */
	save: () => Promise<boolean>;
	/** Saves unsaved edits, calls `leave` (the keyboard leaves the field), suspends the screen for the editor, reloads. */
	openExternal: (leave: () => void) => Promise<void>;
};

function readGoal(control: LoopControl): {text: string; error?: string} {
	try {
		return {text: control.readGoal()};
	} catch (error) {
		return {text: '', error: (error as Error).message};
	}
}

const unreadable = (error: string): GoalStatus => ({kind: 'error', message: `cannot read program.md: ${sanitize(error)}`});

export function useGoalEditor({control, store, rows, columns, version, openEditor, programPath}: GoalEditorOptions): GoalEditorState {
	const {suspendTerminal} = useApp();
	const [initial] = useState(() => readGoal(control));
	const [status, setStatus] = useState<GoalStatus>(() => (initial.error ? unreadable(initial.error) : undefined));
	const [buffer, edit] = useReducer(reduce, undefined, () => createBuffer(initial.text, rows, columns));
	const busy = useRef(false);

	useEffect(() => edit({type: 'resize', height: rows, width: columns}), [rows, columns]);
	// program.md changed on disk (a `goal-changed` event moved the version): read it, unless there are unsaved edits.
	const [loadedVersion, setLoadedVersion] = useState(version);
	if (version !== loadedVersion) {
		setLoadedVersion(version);
		if (!buffer.dirty) {
			const loaded = readGoal(control);
			if (loaded.error) setStatus(unreadable(loaded.error));
			else edit({type: 'load', text: loaded.text});
		}
	}

	const save = async (): Promise<boolean> => {
		const text = bufferText(buffer);
		setStatus({kind: 'saving'});
		try {
			await control.saveGoal(text);
			edit({type: 'saved'});
			setStatus({kind: 'saved', at: Date.now()});
			return true;
		} catch (error) {
			setStatus({kind: 'error', message: `not saved: ${sanitize((error as Error).message)}`});
			return false;
		}
	};

	const openExternal = async (leave: () => void): Promise<void> => {
		if (!openEditor) return store.note('warn', 'no editor to open here; edit program.md in the Goal pane (Enter)');
		if (busy.current) return;
		busy.current = true;
		try {
			// The editor opens the file on disk: what was typed here goes there first.
			if (buffer.dirty) await save();
			leave();
			await suspendTerminal(async () => openEditor(programPath));
			const loaded = readGoal(control);
			if (loaded.error) throw new Error(loaded.error);
			edit({type: 'load', text: loaded.text});
			setStatus(undefined);
			store.note('info', 'program.md reloaded from the editor');
		} catch (error) {
			store.note('error', `editor: ${(error as Error).message}`);
		} finally {
			busy.current = false;
		}
	};

	return {buffer, status, edit, save, openExternal};
}
