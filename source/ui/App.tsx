import {Box, Text, useWindowSize} from 'ink';
import type React from 'react';
import {useEffect, useSyncExternalStore} from 'react';
import {isIdle} from '../core/events.js';
import type {LoopControl} from '../core/intents.js';
import {isWorking} from './activity.js';
import {useKeyboard} from './hooks/useKeyboard.js';
import {useScreen} from './hooks/useScreen.js';
import {layout, minColumns, minRows, tooSmall, type Rect} from './layout.js';
import {AgentPane} from './panes/AgentPane.js';
import {Experiments} from './panes/Experiments.js';
import {GoalEditor} from './panes/GoalEditor.js';
import {Help} from './panes/Help.js';
import {LossChart} from './panes/LossChart.js';
import {QuitDialog, quitDialogSize} from './panes/QuitDialog.js';
import {StatusBar} from './panes/StatusBar.js';
import {TrainingLog} from './panes/TrainingLog.js';
import {Viewer} from './panes/Viewer.js';
import type {Snapshot} from './snapshot.js';
import type {UiStore} from './state.js';
import {bufferText} from './text-buffer.js';

// The screen assembled: the layout, the panes in it and the overlays on
// top. What the loop said comes from the store; what the person does is
// kept by the hooks (hooks/useScreen.ts) and the key table (keys.ts).

export type AppProps = {
	control: LoopControl;
	store: UiStore;
	/** Opens program.md in the user's editor; the screen suspends around it. */
	openEditor?: (file: string) => Promise<void>;
	/** The editor's name for the Goal pane's hint (`vim`); `$EDITOR` when not given. */
	editor?: string;
	programPath: string;
	/** For tests: a fixed size instead of the terminal's. */
	size?: {columns: number; rows: number};
};

/** What the proposer and the loop are doing, for the Agent pane's title. */
function activityOf(s: Snapshot): string | undefined {
	const parts: string[] = [];
	if (s.proposer) parts.push(s.proposer.phase === 'queued' ? `#${s.proposer.n} queued` : `#${s.proposer.n} ${s.proposer.phase}…`);
	if (s.runs.length > 1) parts.push(`running ${s.runs.map(r => `#${r.n}`).join(' ')}`);
	else if (s.run) parts.push(`running #${s.run.n}`);
	else if (isIdle(s.state)) parts.push(s.state);
	return parts.length ? parts.join(' · ') : undefined;
}

const hints = {
	editor: 'editing program.md · Ctrl+S save · Esc done',
	input: 'Enter send · Tab complete · ↑ history · Esc done',
};

const at = (rect: Rect, child: React.ReactNode) => (
	<Box position="absolute" left={rect.x} top={rect.y} width={rect.width} height={rect.height}>
		{child}
	</Box>
);

export function App({control, store, openEditor, editor, programPath, size}: AppProps) {
	const window = useWindowSize();
	const {columns, rows} = size ?? window;
	const snapshot = useSyncExternalStore(store.subscribe, store.getSnapshot);
	const box = layout(columns, rows);
	const ui = useScreen({control, store, snapshot, box, programPath, ...(openEditor ? {openEditor} : {})});
	useKeyboard(ui.mode, ui.focus, ui.actions);
	// The countdown and the spinner move with the store's clock: one timer, and a second costs one frame.
	useEffect(() => store.startClock(), [store]);
	const counting = snapshot.runs.length > 0 || isWorking(snapshot);
	const several = snapshot.workers.length > 1;

	if (tooSmall(columns, rows)) {
		return (
			<Box width={Math.max(1, columns)} height={Math.max(1, rows)}>
				<Text wrap="truncate">{`nightshift needs ${minColumns}x${minRows} at least (now ${columns}x${rows}); q quits`}</Text>
			</Box>
		);
	}

	const {focus, field} = ui;
	const session = snapshot.session ? {direction: snapshot.session.direction, metric: snapshot.session.metric} : {};
	const dialog = {width: Math.min(quitDialogSize.width, box.columns), height: Math.min(quitDialogSize.height, box.rows - 1)};
	const overlay = {x: 0, y: 0, width: box.columns, height: box.rows - 1};
	const centred = {
		x: Math.floor((box.columns - dialog.width) / 2),
		y: Math.max(0, Math.floor((box.rows - 1 - dialog.height) / 2)),
		...dialog,
	};

	return (
		<Box flexDirection="column" width={box.columns} height={box.rows}>
			{at(
				box.goal,
				<GoalEditor
					buffer={ui.goal.buffer}
					editing={field === 'editor'}
					status={ui.goal.status}
					editor={editor}
					width={box.goal.width}
					height={box.goal.height}
					focused={focus === 'goal'}
				/>,
			)}
			{at(
				box.log,
				<TrainingLog
					log={snapshot.log}
					run={snapshot.run}
					lastRun={snapshot.lastRun}
					worker={several ? snapshot.followed : undefined}
					scroll={ui.scroll.log}
					width={box.log.width}
					height={box.log.height}
					focused={focus === 'log'}
				/>,
			)}
			{at(
				box.chart,
				<LossChart
					mode={ui.chartMode}
					loss={snapshot.loss}
					bestLoss={snapshot.bestLoss}
					experiments={snapshot.experiments}
					{...session}
					runNumber={snapshot.run?.n}
					worker={several ? snapshot.followed : undefined}
					width={box.chart.width}
					height={box.chart.height}
					focused={focus === 'chart'}
				/>,
			)}
			{at(
				box.experiments,
				<Experiments
					experiments={snapshot.experiments}
					best={snapshot.best}
					baseline={snapshot.baseline}
					runs={snapshot.runs}
					pending={snapshot.pending}
					budgetSeconds={snapshot.budgetSeconds}
					workers={snapshot.workers.length}
					{...session}
					scroll={ui.scroll.experiments}
					selected={ui.scroll.selected}
					width={box.experiments.width}
					height={box.experiments.height}
					focused={focus === 'experiments'}
				/>,
			)}
			{at(
				box.agent,
				<AgentPane
					entries={snapshot.agent}
					input={bufferText(ui.input.buffer)}
					cursor={ui.input.buffer.col}
					typing={field === 'input'}
					activity={activityOf(snapshot)}
					scroll={ui.scroll.agent}
					width={box.agent.width}
					height={box.agent.height}
					focused={focus === 'agent'}
				/>,
			)}
			{at(
				box.status,
				<StatusBar
					state={snapshot.state}
					detail={snapshot.detail}
					run={snapshot.run}
					workers={several ? snapshot.workers : undefined}
					proposer={snapshot.proposer}
					now={counting ? snapshot.now : 0}
					fresh={ui.viewer.fresh}
					best={snapshot.best}
					baseline={snapshot.baseline}
					metric={snapshot.session?.metric}
					gpus={snapshot.gpus}
					hint={field ? hints[field] : undefined}
					flash={ui.quit.flash}
					width={box.columns}
				/>,
			)}
			{ui.viewer.open
				? at(
						overlay,
						<Viewer
							title={ui.viewer.open.title}
							keys={ui.viewer.open.keys}
							lines={ui.viewer.open.lines}
							scroll={ui.viewer.open.scroll}
							width={overlay.width}
							height={overlay.height}
						/>,
					)
				: null}
			{ui.help ? at(overlay, <Help width={overlay.width} height={overlay.height} scroll={ui.scroll.help} />) : null}
			{ui.quit.stage ? at(centred, <QuitDialog stage={ui.quit.stage} width={centred.width} height={centred.height} />) : null}
		</Box>
	);
}
