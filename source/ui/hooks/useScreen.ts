import {useState} from 'react';
import type {LoopControl} from '../../core/intents.js';
import type {UiActions} from '../actions.js';
import {panes, type Mode, type Pane} from '../keys.js';
import type {Layout} from '../layout.js';
import type {ChartMode} from '../panes/LossChart.js';
import {runSlash} from '../slash.js';
import type {Snapshot} from '../snapshot.js';
import type {UiStore} from '../state.js';
import {useChatInput, type ChatInput} from './useChatInput.js';
import {useGoalEditor, type GoalEditorState} from './useGoalEditor.js';
import {usePaneScroll, type PaneScroll} from './usePaneScroll.js';
import {useQuit, type Quit} from './useQuit.js';

// The screen's own state (focus, which field has the keyboard, the
// overlays, the chart's view) over the goal editor, the input line, the
// scroll positions and the ways out; and the one implementation of
// UiActions, the interface every key binding acts through.

export type ScreenOptions = {
	control: LoopControl;
	store: UiStore;
	snapshot: Snapshot;
	box: Layout;
	openEditor?: (file: string) => Promise<void>;
	programPath: string;
};

export type Screen = {
	focus: Pane;
	field: 'editor' | 'input' | undefined;
	/** What has the keyboard: which scopes of the key table apply. */
	mode: Mode;
	help: boolean;
	chartMode: ChartMode;
	quit: Quit;
	goal: GoalEditorState;
	input: ChatInput;
	scroll: PaneScroll;
	actions: UiActions;
};

export function useScreen({control, store, snapshot, box, openEditor, programPath}: ScreenOptions): Screen {
	const [focus, setFocus] = useState<Pane>('log');
	const [field, setField] = useState<'editor' | 'input' | undefined>();
	const [help, setHelp] = useState(false);
	const [chartMode, setChartMode] = useState<ChartMode>('run');
	const quit = useQuit(control);
	const goal = useGoalEditor({
		control,
		store,
		rows: box.goal.height - 2,
		columns: box.goal.width - 2,
		version: snapshot.goalVersion,
		...(openEditor ? {openEditor} : {}),
		programPath,
	});
	const scroll = usePaneScroll({
		focus,
		box,
		logLength: snapshot.log.length,
		logTotal: snapshot.logTotal,
		experiments: snapshot.experiments.length,
		scrollGoal: goal.edit,
	});

	const openHelp = (): void => {
		setHelp(true);
		scroll.resetHelp();
	};

	const input = useChatInput(text => {
		scroll.followAgent();
		if (!text.startsWith('/')) return control.say(text);
		const answer = runSlash(text, control, snapshot.notes);
		if (answer.help) openHelp();
		if (answer.message) store.note(answer.level ?? 'info', answer.message);
	});

	const focusBy = (step: number): void => {
		setField(undefined);
		setFocus(f => panes[(panes.indexOf(f) + step + panes.length) % panes.length]!);
	};

	const typeIn = (pane: 'goal' | 'agent'): void => {
		setFocus(pane);
		setField(pane === 'goal' ? 'editor' : 'input');
	};

	const actions: UiActions = {
		interrupt: quit.interrupt,
		openHelp,
		closeHelp: () => setHelp(false),
		scrollHelp: scroll.scrollHelp,
		quit: quit.quit,
		answerQuit: quit.answer,
		focus: focusBy,
		scroll: scroll.scroll,
		jump: scroll.jump,
		toggleChart: () => setChartMode(m => (m === 'run' ? 'experiments' : 'run')),
		startCommand: () => {
			typeIn('agent');
			input.setText('/');
		},
		openEditor: () => void goal.openExternal(() => setField(undefined)),
		editGoal: () => typeIn('goal'),
		typeToAgent: () => typeIn('agent'),
		saveGoal: () => void goal.save(),
		leaveField: () => setField(undefined),
		edit: action => {
			if (field === 'editor') goal.edit(action);
			else if (field === 'input') input.edit(action);
		},
		submit: input.submit,
		complete: () => {
			if (!input.complete()) focusBy(1);
		},
		recall: input.recall,
		paste: text => {
			if (quit.stage || help) return;
			// Into the field being typed in; else the goal editor when its pane has focus; else the input line.
			const target = field ?? (focus === 'goal' ? 'editor' : 'input');
			typeIn(target === 'editor' ? 'goal' : 'agent');
			(target === 'editor' ? goal : input).edit({type: 'insert', text});
		},
	};

	const mode: Mode = quit.stage ? 'quit' : help ? 'help' : (field ?? 'normal');
	return {focus, field, mode, help, chartMode, quit, goal, input, scroll, actions};
}
