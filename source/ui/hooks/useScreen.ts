import {useState} from 'react';
import type {LoopControl} from '../../core/intents.js';
import type {UiActions} from '../actions.js';
import type {Mode, Pane} from '../keys.js';
import {focusOrder, type Layout} from '../layout.js';
import {agentFooterRows} from '../panes/AgentPane.js';
import type {ChartMode} from '../panes/LossChart.js';
import {runSlash} from '../slash.js';
import type {Snapshot} from '../snapshot.js';
import type {UiStore} from '../state.js';
import {bufferText} from '../text-buffer.js';
import {useChatInput, type ChatInput} from './useChatInput.js';
import {useGoalEditor, type GoalEditorState} from './useGoalEditor.js';
import {usePaneScroll, type PaneScroll} from './usePaneScroll.js';
import {useQuit, type Quit} from './useQuit.js';
import {useViewer, type Viewer} from './useViewer.js';

// The screen's own state (focus, which field has the keyboard, the
// overlays, the chart's view) over the goal editor, the input line, the
// scroll positions, the reading overlay and the ways out; and the one
// implementation of UiActions, the interface every key binding acts through.

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
	viewer: Viewer;
	actions: UiActions;
};

export function useScreen({control, store, snapshot, box, openEditor, programPath}: ScreenOptions): Screen {
	const [focus, setFocus] = useState<Pane>('log');
	const [field, setField] = useState<'editor' | 'input' | undefined>();
	const [help, setHelp] = useState(false);
	const [chartMode, setChartMode] = useState<ChartMode>('run');
	const goal = useGoalEditor({
		control,
		store,
		rows: box.goal.height - 2,
		columns: box.goal.width - 2,
		version: snapshot.goalVersion,
		...(openEditor ? {openEditor} : {}),
		programPath,
	});
	const quit = useQuit(control, {dirty: goal.buffer.dirty, save: goal.save});
	const viewer = useViewer(control, snapshot, box.rows - 1);
	const input = useChatInput();
	const scroll = usePaneScroll({
		focus,
		box,
		snapshot,
		agentFooter: agentFooterRows(bufferText(input.buffer), field === 'input'),
		scrollGoal: goal.edit,
	});

	const openHelp = (): void => {
		setHelp(true);
		scroll.resetHelp();
	};

	/** What a sent line does: a /command acts on the loop, anything else goes to the agent. */
	const send = (text: string): void => {
		scroll.followAgent();
		if (!text.startsWith('/')) return control.say(text);
		const answer = runSlash(text, control, snapshot.notes);
		if (answer.help) openHelp();
		if (answer.message) store.note(answer.level ?? 'info', answer.message);
	};

	const focusBy = (step: number): void => {
		setField(undefined);
		const order = focusOrder(box);
		setFocus(f => order[(order.indexOf(f) + step + order.length) % order.length]!);
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
		answerUnsaved: quit.answerUnsaved,
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
		submit: () => {
			const text = input.submit();
			if (text !== undefined) send(text);
		},
		complete: () => {
			if (!input.complete()) focusBy(1);
		},
		recall: input.recall,
		paste: text => {
			if (quit.stage || help || viewer.open) return;
			// Into the field being typed in; else the goal editor when its pane has focus; else the input line.
			const target = field ?? (focus === 'goal' ? 'editor' : 'input');
			typeIn(target === 'editor' ? 'goal' : 'agent');
			(target === 'editor' ? goal : input).edit({type: 'insert', text});
		},
		openSummary: viewer.openSummary,
		toggleSince: viewer.toggleSince,
		showChange: viewer.showChange,
		followNextWorker: () => {
			if (snapshot.workers.length < 2) return store.note('info', 'one worker: Training and Loss show it');
			store.note('info', `Training and Loss follow ${store.follow()} (w: the next)`);
		},
		openDetails: () => {
			const n = scroll.selectedN;
			if (n === undefined) return store.note('info', 'no experiment to open yet');
			viewer.openDetails(n);
		},
		closeView: viewer.close,
		scrollView: viewer.scroll,
		jumpView: viewer.jump,
	};

	const mode: Mode = quit.stage
		? quit.stage === 'unsaved'
			? 'unsaved'
			: 'quit'
		: help
			? 'help'
			: viewer.open
				? viewer.open.kind === 'summary'
					? 'summary'
					: 'view'
				: (field ?? 'normal');
	return {focus, field, mode, help, chartMode, quit, goal, input, scroll, viewer, actions};
}
