import {Box, Text, useApp, useInput, usePaste, useWindowSize} from 'ink';
import React, {useEffect, useReducer, useRef, useState, useSyncExternalStore} from 'react';
import type {LoopControl} from '../core/intents.js';
import {sanitize} from '../core/sanitize.js';
import {bindingFor, complete, panes, type Command, type Mode, type Pane} from './keys.js';
import {layout, minColumns, minRows, tooSmall, type Rect} from './layout.js';
import {AgentPane} from './panes/AgentPane.js';
import {Experiments} from './panes/Experiments.js';
import {GoalEditor, type GoalStatus} from './panes/GoalEditor.js';
import {Help, helpMaxScroll} from './panes/Help.js';
import {LossChart, type ChartMode} from './panes/LossChart.js';
import {QuitDialog, quitDialogSize, type QuitStage} from './panes/QuitDialog.js';
import {StatusBar} from './panes/StatusBar.js';
import {TrainingLog} from './panes/TrainingLog.js';
import {runSlash} from './slash.js';
import type {Snapshot, UiStore} from './state.js';
import {bufferText, createBuffer, reduce, type Action} from './text-buffer.js';

// The screen: layout, focus, modes and the one key handler. Panes draw what
// they are given; the store holds what the loop said; the key table says
// what each key does.

export type AppProps = {
	control: LoopControl;
	store: UiStore;
	/** Opens program.md in $EDITOR; the screen suspends around it. */
	openEditor?: (file: string) => Promise<void>;
	/** The editor's name, for the hint. */
	editor?: string;
	programPath: string;
	/** For tests: a fixed size instead of the terminal's. */
	size?: {columns: number; rows: number};
};

/** Seconds tick only while something counts down: idle means no redraws. */
function useClock(active: boolean): number {
	const [now, setNow] = useState(() => Date.now());
	useEffect(() => {
		if (!active) return;
		setNow(Date.now());
		const timer = setInterval(() => setNow(Date.now()), 1000);
		return () => clearInterval(timer);
	}, [active]);
	return now;
}

/** Editing commands of the key table -> text-buffer actions (shared by the goal editor and the input line). */
const fieldActions: Partial<Record<Command, Action>> = {
	newline: {type: 'newline'},
	indent: {type: 'indent'},
	cursorLeft: {type: 'left'},
	cursorRight: {type: 'right'},
	cursorUp: {type: 'up'},
	cursorDown: {type: 'down'},
	lineStart: {type: 'home'},
	lineEnd: {type: 'end'},
	wordLeft: {type: 'wordLeft'},
	wordRight: {type: 'wordRight'},
	deleteBack: {type: 'backspace'},
	deleteForward: {type: 'delete'},
	deleteWordBack: {type: 'deleteWordLeft'},
	deleteToLineStart: {type: 'deleteToLineStart'},
	deleteToLineEnd: {type: 'deleteToLineEnd'},
};

const historyLimit = 100;
const interruptWindowMs = 2000;

function readGoal(control: LoopControl): {text: string; error?: string} {
	try {
		return {text: control.readGoal()};
	} catch (error) {
		return {text: '', error: (error as Error).message};
	}
}

function activityOf(s: Snapshot): string | undefined {
	const parts: string[] = [];
	if (s.proposer) parts.push(`#${s.proposer.n} ${s.proposer.phase}…`);
	if (s.run) parts.push(`running #${s.run.n}`);
	else if (s.state === 'paused' || s.state === 'waiting' || s.state === 'done') parts.push(s.state);
	return parts.length ? parts.join(' · ') : undefined;
}

export function App({control, store, openEditor, editor, programPath, size}: AppProps) {
	const {exit, suspendTerminal} = useApp();
	const window = useWindowSize();
	const {columns, rows} = size ?? window;
	const snapshot = useSyncExternalStore(store.subscribe, store.getSnapshot);
	const box = layout(columns, rows);
	const [focus, setFocus] = useState<Pane>('log');
	const [field, setField] = useState<'editor' | 'input' | undefined>();
	const [help, setHelp] = useState(false);
	const [helpScroll, setHelpScroll] = useState(0);
	const [quit, setQuit] = useState<QuitStage | undefined>();
	const [chartMode, setChartMode] = useState<ChartMode>('run');
	const [logScroll, setLogScroll] = useState({offset: 0, total: 0});
	const [agentScroll, setAgentScroll] = useState(0);
	const [experimentsScroll, setExperimentsScroll] = useState(0);
	const [initialGoal] = useState(() => readGoal(control));
	const [goalStatus, setGoalStatus] = useState<GoalStatus>(() =>
		initialGoal.error ? {kind: 'error', message: `cannot read program.md: ${sanitize(initialGoal.error)}`} : undefined,
	);
	const [flash, setFlash] = useState<string | undefined>();
	const [goal, dispatchGoal] = useReducer(reduce, undefined, () => createBuffer(initialGoal.text, box.goal.height - 2, box.goal.width - 2));
	const [input, dispatchInput] = useReducer(reduce, undefined, () => createBuffer('', 1, 1_000_000));
	const history = useRef<{items: string[]; index: number; draft: string}>({items: [], index: -1, draft: ''});
	const lastInterrupt = useRef(0);
	const flashTimer = useRef<NodeJS.Timeout | undefined>(undefined);
	const busyEditor = useRef(false);
	const now = useClock(snapshot.run !== undefined);

	useEffect(() => dispatchGoal({type: 'resize', height: box.goal.height - 2, width: box.goal.width - 2}), [box.goal.height, box.goal.width]);
	useEffect(() => () => clearTimeout(flashTimer.current), []);
	useEffect(() => {
		if (snapshot.goalVersion === 0 || goal.dirty) return;
		const loaded = readGoal(control);
		if (loaded.error) setGoalStatus({kind: 'error', message: `cannot read program.md: ${sanitize(loaded.error)}`});
		else dispatchGoal({type: 'load', text: loaded.text});
		// Reload when the file changed, not on every keystroke.
		// eslint-disable-next-line react-hooks/exhaustive-deps
	}, [snapshot.goalVersion]);

	const mode: Mode = quit ? 'quit' : help ? 'help' : (field ?? 'normal');

	const showFlash = (text: string): void => {
		setFlash(text);
		clearTimeout(flashTimer.current);
		flashTimer.current = setTimeout(() => setFlash(undefined), interruptWindowMs);
	};

	const leaveWith = (stage: QuitStage, how: 'finish' | 'now'): void => {
		setQuit(stage);
		control.quit(how).then(
			() => exit(),
			(error: unknown) => exit(error instanceof Error ? error : new Error(String(error))),
		);
	};

	// A scrolled-back log stays on the same lines while new ones arrive.
	const logOffset = logScroll.offset === 0 ? 0 : logScroll.offset + (snapshot.logTotal - logScroll.total);
	const setLogOffset = (offset: number): void => setLogScroll({offset: Math.max(0, Math.min(offset, snapshot.log.length)), total: snapshot.logTotal});

	const pageOf = (rect: Rect): number => Math.max(1, rect.height - 3);

	const scroll = (delta: number, page: boolean): void => {
		if (help) return setHelpScroll(s => Math.max(0, Math.min(helpMaxScroll(box.rows - 1), s + delta * (page ? box.rows - 4 : 1))));
		switch (focus) {
			case 'log':
				return setLogOffset(logOffset - delta * (page ? pageOf(box.log) : 1));
			case 'agent':
				return setAgentScroll(s => Math.max(0, s - delta * (page ? pageOf(box.agent) : 1)));
			case 'experiments':
				return setExperimentsScroll(s => Math.max(0, Math.min(snapshot.experiments.length, s + delta * (page ? pageOf(box.experiments) : 1))));
			case 'goal':
				return dispatchGoal(page ? {type: delta > 0 ? 'pageDown' : 'pageUp'} : {type: 'scroll', rows: delta});
			case 'chart':
				return;
		}
	};

	const jump = (end: boolean): void => {
		switch (focus) {
			case 'log':
				return setLogOffset(end ? 0 : snapshot.log.length);
			case 'agent':
				return setAgentScroll(end ? 0 : Number.MAX_SAFE_INTEGER);
			case 'experiments':
				return setExperimentsScroll(end ? snapshot.experiments.length : 0);
			case 'goal':
				return dispatchGoal({type: end ? 'bottom' : 'top'});
			case 'chart':
				return;
		}
	};

	const saveGoal = async (): Promise<void> => {
		const text = bufferText(goal);
		setGoalStatus({kind: 'saving'});
		try {
			await control.saveGoal(text);
			dispatchGoal({type: 'saved'});
			setGoalStatus({kind: 'saved', at: Date.now()});
		} catch (error) {
			setGoalStatus({kind: 'error', message: `not saved: ${sanitize((error as Error).message)}`});
		}
	};

	const externalEditor = async (): Promise<void> => {
		if (!openEditor) return store.note('warn', 'no editor to open here; edit program.md in the Goal pane (Enter)');
		if (busyEditor.current) return;
		busyEditor.current = true;
		try {
			// The editor opens the file on disk: what was typed here goes there first.
			if (goal.dirty) await saveGoal();
			setField(undefined);
			await suspendTerminal(async () => openEditor(programPath));
			const loaded = readGoal(control);
			if (loaded.error) throw new Error(loaded.error);
			dispatchGoal({type: 'load', text: loaded.text});
			setGoalStatus(undefined);
			store.note('info', 'program.md reloaded from the editor');
		} catch (error) {
			store.note('error', `editor: ${(error as Error).message}`);
		} finally {
			busyEditor.current = false;
		}
	};

	const setInputText = (text: string): void => {
		dispatchInput({type: 'load', text});
		dispatchInput({type: 'end'});
	};

	const submit = (): void => {
		const text = bufferText(input).trim();
		setInputText('');
		const h = history.current;
		h.index = -1;
		h.draft = '';
		if (text === '') return;
		if (h.items.at(-1) !== text) h.items = [...h.items, text].slice(-historyLimit);
		setAgentScroll(0);
		if (text.startsWith('/')) {
			const answer = runSlash(text, control, snapshot.notes);
			if (answer.help) {
				setHelp(true);
				setHelpScroll(0);
			}
			if (answer.message) store.note(answer.level ?? 'info', answer.message);
			return;
		}
		control.say(text);
	};

	const recall = (direction: 1 | -1): void => {
		const h = history.current;
		if (h.items.length === 0) return;
		if (h.index === -1 && direction === 1) h.draft = bufferText(input);
		const index = Math.max(-1, Math.min(h.items.length - 1, h.index + direction));
		if (index === h.index) return;
		h.index = index;
		setInputText(index === -1 ? h.draft : h.items[h.items.length - 1 - index]!);
	};

	const focusBy = (step: number): void => {
		setField(undefined);
		setFocus(f => panes[(panes.indexOf(f) + step + panes.length) % panes.length]!);
	};

	const run = (command: Command): void => {
		const action = fieldActions[command];
		if (action && field) {
			if (field === 'editor') dispatchGoal(action);
			else dispatchInput(action);
			return;
		}
		switch (command) {
			case 'interrupt': {
				const t = Date.now();
				if (t - lastInterrupt.current < interruptWindowMs) return leaveWith('stopping', 'now');
				lastInterrupt.current = t;
				showFlash(control.running ? 'Ctrl+C again: quit now, the run recorded as crash (q asks)' : 'Ctrl+C again to quit');
				return;
			}
			case 'help':
				setHelp(true);
				setHelpScroll(0);
				return;
			case 'closeHelp':
				setHelp(false);
				return;
			case 'quit':
				if (control.running) setQuit('ask');
				else leaveWith('quitting', 'finish');
				return;
			case 'quitFinish':
				if (quit === 'ask') leaveWith('finishing', 'finish');
				return;
			case 'quitStop':
				if (quit === 'ask') leaveWith('stopping', 'now');
				return;
			case 'quitCancel':
				if (quit === 'ask') setQuit(undefined);
				return;
			case 'focusNext':
				return focusBy(1);
			case 'focusPrevious':
				return focusBy(-1);
			case 'scrollDown':
				return scroll(1, false);
			case 'scrollUp':
				return scroll(-1, false);
			case 'pageDown':
				if (field === 'editor') return dispatchGoal({type: 'pageDown'});
				return scroll(1, true);
			case 'pageUp':
				if (field === 'editor') return dispatchGoal({type: 'pageUp'});
				return scroll(-1, true);
			case 'top':
				return jump(false);
			case 'bottom':
				return jump(true);
			case 'toggleChart':
				setChartMode(m => (m === 'run' ? 'experiments' : 'run'));
				return;
			case 'command':
				setFocus('agent');
				setField('input');
				setInputText('/');
				return;
			case 'externalEditor':
				void externalEditor();
				return;
			case 'edit':
				setFocus('goal');
				setField('editor');
				return;
			case 'type':
				setFocus('agent');
				setField('input');
				return;
			case 'save':
				void saveGoal();
				return;
			case 'leave':
				setField(undefined);
				return;
			case 'submit':
				return submit();
			case 'complete': {
				const text = bufferText(input);
				if (!text.startsWith('/')) return focusBy(1);
				const completed = complete(text);
				if (completed !== undefined) setInputText(completed);
				return;
			}
			case 'historyPrevious':
				return recall(1);
			case 'historyNext':
				return recall(-1);
			default:
				return;
		}
	};

	useInput((raw, key) => {
		const binding = bindingFor(raw, key, mode, focus);
		if (binding) return run(binding.command);
		if ((mode === 'editor' || mode === 'input') && raw !== '' && !key.ctrl && !key.meta && !key.escape) {
			// A printable key (or a burst of them, a paste without bracketed paste) goes into the field.
			const text = mode === 'input' ? raw.replace(/[\r\n]+/g, ' ') : raw;
			if (mode === 'editor') dispatchGoal({type: 'insert', text});
			else dispatchInput({type: 'insert', text});
		}
	});

	usePaste(text => {
		if (quit || help) return;
		if (field === 'editor' || (!field && focus === 'goal')) {
			setField('editor');
			dispatchGoal({type: 'insert', text});
			return;
		}
		setFocus('agent');
		setField('input');
		dispatchInput({type: 'insert', text: text.replace(/[\r\n]+/g, ' ')});
	});

	if (tooSmall(columns, rows)) {
		return (
			<Box width={Math.max(1, columns)} height={Math.max(1, rows)}>
				<Text wrap="truncate">{`nightshift needs ${minColumns}x${minRows} at least (now ${columns}x${rows}); q quits`}</Text>
			</Box>
		);
	}

	const hint =
		field === 'editor'
			? 'editing program.md · Ctrl+S save · Esc done'
			: field === 'input'
				? 'Enter send · Tab complete · ↑ history · Esc done'
				: undefined;
	const at = (rect: Rect, child: React.ReactNode) => (
		<Box position="absolute" left={rect.x} top={rect.y} width={rect.width} height={rect.height}>
			{child}
		</Box>
	);
	const dialog = {
		width: Math.min(quitDialogSize.width, box.columns),
		height: Math.min(quitDialogSize.height, box.rows - 1),
	};

	return (
		<Box flexDirection="column" width={box.columns} height={box.rows}>
			{at(
				box.goal,
				<GoalEditor buffer={goal} editing={field === 'editor'} status={goalStatus} {...(editor ? {editor} : {})} width={box.goal.width} height={box.goal.height} focused={focus === 'goal'} />,
			)}
			{at(
				box.log,
				<TrainingLog
					log={snapshot.log}
					{...(snapshot.run ? {run: snapshot.run} : {})}
					{...(snapshot.lastRun ? {lastRun: snapshot.lastRun} : {})}
					scroll={logOffset}
					width={box.log.width}
					height={box.log.height}
					focused={focus === 'log'}
				/>,
			)}
			{at(
				box.chart,
				<LossChart
					mode={chartMode}
					loss={snapshot.loss}
					bestLoss={snapshot.bestLoss}
					experiments={snapshot.experiments}
					{...(snapshot.session ? {direction: snapshot.session.direction, metric: snapshot.session.metric} : {})}
					{...(snapshot.run ? {runNumber: snapshot.run.n} : {})}
					width={box.chart.width}
					height={box.chart.height}
					focused={focus === 'chart'}
				/>,
			)}
			{at(
				box.experiments,
				<Experiments
					experiments={snapshot.experiments}
					{...(snapshot.best ? {best: snapshot.best} : {})}
					{...(snapshot.baseline ? {baseline: snapshot.baseline} : {})}
					{...(snapshot.run ? {running: snapshot.run} : {})}
					{...(snapshot.session ? {direction: snapshot.session.direction, metric: snapshot.session.metric} : {})}
					scroll={experimentsScroll}
					width={box.experiments.width}
					height={box.experiments.height}
					focused={focus === 'experiments'}
				/>,
			)}
			{at(
				box.agent,
				<AgentPane
					entries={snapshot.agent}
					input={bufferText(input)}
					cursor={input.col}
					typing={field === 'input'}
					{...(activityOf(snapshot) ? {activity: activityOf(snapshot)} : {})}
					scroll={agentScroll}
					width={box.agent.width}
					height={box.agent.height}
					focused={focus === 'agent'}
				/>,
			)}
			{at(
				box.status,
				<StatusBar
					state={snapshot.state}
					{...(snapshot.detail ? {detail: snapshot.detail} : {})}
					{...(snapshot.run ? {run: snapshot.run} : {})}
					{...(snapshot.proposer ? {proposer: snapshot.proposer} : {})}
					now={snapshot.run ? now : 0}
					{...(snapshot.best ? {best: snapshot.best} : {})}
					{...(snapshot.baseline ? {baseline: snapshot.baseline} : {})}
					{...(snapshot.session ? {metric: snapshot.session.metric} : {})}
					gpus={snapshot.gpus}
					{...(hint ? {hint} : {})}
					{...(flash ? {flash} : {})}
					width={box.columns}
				/>,
			)}
			{help ? at({x: 0, y: 0, width: box.columns, height: box.rows - 1}, <Help width={box.columns} height={box.rows - 1} scroll={helpScroll} />) : null}
			{quit
				? at(
						{
							x: Math.floor((box.columns - dialog.width) / 2),
							y: Math.max(0, Math.floor((box.rows - 1 - dialog.height) / 2)),
							width: dialog.width,
							height: dialog.height,
						},
						<QuitDialog stage={quit} width={dialog.width} height={dialog.height} />,
					)
				: null}
		</Box>
	);
}
