import {Box, useApp, useInput, usePaste, useWindowSize, type Key} from 'ink';
import React, {useEffect, useReducer, useRef, useState, useSyncExternalStore} from 'react';
import type {LoopControl} from '../core/intents.js';
import {commandFor, completions, panes, type Command, type Pane} from './keys.js';
import {layout} from './layout.js';
import {AgentPane} from './panes/AgentPane.js';
import {Experiments} from './panes/Experiments.js';
import {GoalEditor} from './panes/GoalEditor.js';
import {Help} from './panes/Help.js';
import {LossChart, type ChartMode} from './panes/LossChart.js';
import {QuitDialog, type QuitStage} from './panes/QuitDialog.js';
import {StatusBar} from './panes/StatusBar.js';
import {TrainingLog} from './panes/TrainingLog.js';
import type {UiStore} from './state.js';
import {bufferText, createBuffer, reduce, type Action} from './text-buffer.js';
import {runSlash} from './slash.js';

export type AppProps = {
	control: LoopControl;
	store: UiStore;
	/** Opens program.md in $EDITOR; the screen suspends around it. */
	openEditor?: (file: string) => Promise<void>;
	programPath: string;
	/** For tests: a fixed size instead of the terminal's. */
	size?: {columns: number; rows: number};
};

/** Seconds tick only while something counts down: idle means no redraws. */
function useClock(active: boolean): number {
	const [now, setNow] = useState(Date.now());
	useEffect(() => {
		if (!active) return;
		setNow(Date.now());
		const timer = setInterval(() => setNow(Date.now()), 1000);
		return () => clearInterval(timer);
	}, [active]);
	return now;
}

const editKeys = (input: string, key: Key): Action | undefined => {
	if (key.return) return {type: 'newline'};
	if (key.backspace) return {type: 'backspace'};
	if (key.delete) return {type: 'delete'};
	if (key.leftArrow) return key.ctrl || key.meta ? {type: 'wordLeft'} : {type: 'left'};
	if (key.rightArrow) return key.ctrl || key.meta ? {type: 'wordRight'} : {type: 'right'};
	if (key.upArrow) return {type: 'up'};
	if (key.downArrow) return {type: 'down'};
	if (key.home || (key.ctrl && input === 'a')) return {type: 'home'};
	if (key.end || (key.ctrl && input === 'e')) return {type: 'end'};
	if (key.pageUp) return {type: 'pageUp'};
	if (key.pageDown) return {type: 'pageDown'};
	if (input && !key.ctrl && !key.meta) return {type: 'insert', text: input};
	return undefined;
};

export function App({control, store, openEditor, programPath, size}: AppProps) {
	const {exit, suspendTerminal} = useApp();
	const window = useWindowSize();
	const {columns, rows} = size ?? window;
	const snapshot = useSyncExternalStore(store.subscribe, store.getSnapshot);
	const box = layout(columns, rows);
	const [focus, setFocus] = useState<Pane>('log');
	const [typing, setTyping] = useState<'goal' | 'agent' | undefined>();
	const [buffer, dispatch] = useReducer(reduce, undefined, () => createBuffer(control.readGoal(), box.goal.height - 2));
	const [input, setInput] = useState('');
	const [help, setHelp] = useState(false);
	const [helpScroll, setHelpScroll] = useState(0);
	const [quit, setQuit] = useState<QuitStage | undefined>();
	const [chartMode, setChartMode] = useState<ChartMode>('run');
	const [logScroll, setLogScroll] = useState({offset: 0, total: 0});
	const [agentScroll, setAgentScroll] = useState(0);
	const [experimentsScroll, setExperimentsScroll] = useState(0);
	const lastInterrupt = useRef(0);
	const now = useClock(snapshot.run !== undefined);

	useEffect(() => dispatch({type: 'resize', height: box.goal.height - 2}), [box.goal.height]);
	useEffect(() => {
		if (snapshot.goalVersion > 0 && !buffer.dirty) dispatch({type: 'load', text: control.readGoal()});
		// Reload only when the file changed, not on every keystroke.
		// eslint-disable-next-line react-hooks/exhaustive-deps
	}, [snapshot.goalVersion]);

	// A scrolled-back log stays on the same lines while new ones arrive.
	const logOffset = logScroll.offset === 0 ? 0 : logScroll.offset + (snapshot.logTotal - logScroll.total);

	const quitNow = (): void => {
		setQuit('finishing');
		void control.quit('now').then(() => exit());
	};

	const scrollBy = (delta: number): void => {
		if (help) return setHelpScroll(s => Math.max(0, s + delta));
		if (focus === 'log') setLogScroll({offset: Math.max(0, logOffset - delta), total: snapshot.logTotal});
		else if (focus === 'agent') setAgentScroll(s => Math.max(0, s - delta));
		else if (focus === 'experiments') setExperimentsScroll(s => Math.max(0, s + delta));
		else if (focus === 'goal') dispatch({type: delta > 0 ? 'pageDown' : 'pageUp'});
	};

	const run = async (command: Command, raw: string): Promise<void> => {
		const page = Math.max(1, (focus === 'log' ? box.log.height : focus === 'agent' ? box.agent.height : box.experiments.height) - 3);
		switch (command) {
			case 'help':
				setHelp(h => !h);
				setHelpScroll(0);
				return;
			case 'quit':
				setQuit('ask');
				return;
			case 'interrupt': {
				const t = Date.now();
				if (t - lastInterrupt.current < 2000) return quitNow();
				lastInterrupt.current = t;
				store.note('info', control.running ? 'Ctrl+C again within 2 s: quit now, the run recorded as crash (q: the gentle way)' : 'Ctrl+C again within 2 s to quit');
				return;
			}
			case 'focusNext':
			case 'focusPrevious': {
				setTyping(undefined);
				const i = panes.indexOf(focus);
				setFocus(panes[(i + (command === 'focusNext' ? 1 : panes.length - 1)) % panes.length]!);
				return;
			}
			case 'scrollDown':
				return scrollBy(1);
			case 'scrollUp':
				return scrollBy(-1);
			case 'pageDown':
				return scrollBy(page);
			case 'pageUp':
				return scrollBy(-page);
			case 'top':
				if (focus === 'log') setLogScroll({offset: snapshot.log.length, total: snapshot.logTotal});
				else if (focus === 'agent') setAgentScroll(1e9);
				else if (focus === 'experiments') setExperimentsScroll(0);
				else if (focus === 'goal') dispatch({type: 'top'});
				return;
			case 'bottom':
				if (focus === 'log') setLogScroll({offset: 0, total: snapshot.logTotal});
				else if (focus === 'agent') setAgentScroll(0);
				else if (focus === 'experiments') setExperimentsScroll(1e9);
				else if (focus === 'goal') dispatch({type: 'bottom'});
				return;
			case 'toggleChart':
				setChartMode(m => (m === 'run' ? 'experiments' : 'run'));
				return;
			case 'edit':
				setTyping('goal');
				return;
			case 'externalEditor':
				if (!openEditor) return store.note('warn', 'no editor available');
				try {
					await suspendTerminal(async () => openEditor(programPath));
					dispatch({type: 'load', text: control.readGoal()});
					store.note('info', 'program.md reloaded from the editor');
				} catch (error) {
					store.note('error', (error as Error).message);
				}
				return;
			case 'chat':
				setFocus('agent');
				setTyping('agent');
				if (raw === '/') setInput('/');
				return;
			case 'save':
				if (typing !== 'goal') return;
				try {
					await control.saveGoal(bufferText(buffer));
					dispatch({type: 'saved'});
				} catch (error) {
					store.note('error', `could not save program.md: ${(error as Error).message}`);
				}
				return;
			case 'leave':
				setTyping(undefined);
				return;
		}
	};

	const answerQuit = (input: string, key: Key): void => {
		if (quit === 'finishing') {
			if (key.ctrl && input === 'c') void run('interrupt', input);
			return;
		}
		if (control.running) {
			if (input === 'f') {
				setQuit('finishing');
				void control.quit('finish').then(() => exit());
			} else if (input === 's') quitNow();
			else if (key.escape || input === 'n' || input === 'q') setQuit(undefined);
			else if (key.ctrl && input === 'c') void run('interrupt', input);
			return;
		}
		if (input === 'y' || input === 'q' || key.return) {
			setQuit('finishing');
			void control.quit('finish').then(() => exit());
		} else if (key.escape || input === 'n') setQuit(undefined);
	};

	const submit = (): void => {
		const text = input.trim();
		setInput('');
		if (text === '') return;
		if (text.startsWith('/')) {
			const answer = runSlash(text, control, snapshot.notes);
			if (answer.help) setHelp(true);
			if (answer.message) store.note(answer.level ?? 'info', answer.message);
			return;
		}
		control.say(text);
	};

	useInput((raw, key) => {
		if (quit) return answerQuit(raw, key);
		if (help && (key.escape || raw === '?' || raw === 'q')) return setHelp(false);
		if (typing === 'agent' && key.tab && input.startsWith('/')) {
			const options = completions(input);
			if (options.length === 1) return setInput(`${options[0]!.name}${options[0]!.args ? ' ' : ''}`);
		}
		const command = commandFor(raw, key, focus, typing !== undefined);
		if (command) return void run(command, raw);
		if (typing === 'goal') {
			const action = editKeys(raw, key);
			if (action) dispatch(action);
			return;
		}
		if (typing === 'agent') {
			if (key.return) return submit();
			if (key.backspace || key.delete) return setInput(s => Array.from(s).slice(0, -1).join(''));
			if (raw && !key.ctrl && !key.meta) setInput(s => s + raw.replace(/[\r\n]+/g, ' '));
		}
	});

	usePaste(text => {
		if (typing === 'goal') dispatch({type: 'insert', text});
		else if (typing === 'agent') setInput(s => s + text.replace(/[\r\n]+/g, ' '));
	});

	const activity =
		snapshot.state === 'proposing' ? 'proposing…' : snapshot.run ? `running #${snapshot.run.n}` : snapshot.state === 'paused' ? 'paused' : undefined;
	const overlayHeight = box.goal.height + box.chart.height;

	return (
		<Box flexDirection="column" width={box.columns} height={box.rows}>
			{help ? (
				<Help width={box.columns} height={overlayHeight} scroll={helpScroll} />
			) : (
				<>
					<Box flexDirection="row" height={box.goal.height}>
						<GoalEditor buffer={buffer} editing={typing === 'goal'} width={box.goal.width} height={box.goal.height} focused={focus === 'goal'} />
						<TrainingLog log={snapshot.log} run={snapshot.run} scroll={logOffset} width={box.log.width} height={box.log.height} focused={focus === 'log'} />
					</Box>
					<Box flexDirection="row" height={box.chart.height}>
						<LossChart
							mode={chartMode}
							loss={snapshot.loss}
							bestLoss={snapshot.bestLoss}
							experiments={snapshot.experiments}
							direction={snapshot.session?.direction}
							metric={snapshot.session?.metric}
							runNumber={snapshot.run?.n}
							width={box.chart.width}
							height={box.chart.height}
							focused={focus === 'chart'}
						/>
						<Experiments
							experiments={snapshot.experiments}
							best={snapshot.best}
							baseline={snapshot.baseline}
							running={snapshot.run}
							direction={snapshot.session?.direction}
							scroll={experimentsScroll}
							width={box.experiments.width}
							height={box.experiments.height}
							focused={focus === 'experiments'}
						/>
					</Box>
				</>
			)}
			{quit ? (
				<QuitDialog stage={quit} running={control.running} width={box.agent.width} height={box.agent.height} />
			) : (
				<AgentPane
					entries={snapshot.agent}
					input={input}
					typing={typing === 'agent'}
					activity={activity}
					scroll={agentScroll}
					width={box.agent.width}
					height={box.agent.height}
					focused={focus === 'agent'}
				/>
			)}
			<StatusBar
				state={snapshot.state}
				detail={snapshot.detail}
				run={snapshot.run}
				now={now}
				best={snapshot.best}
				baseline={snapshot.baseline}
				metric={snapshot.session?.metric}
				gpus={snapshot.gpus}
				hint={typing ? 'Esc stop typing · Tab next pane' : undefined}
				width={box.columns}
			/>
		</Box>
	);
}
