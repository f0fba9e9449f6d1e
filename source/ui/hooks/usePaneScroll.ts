import {useMemo, useState} from 'react';
import {tableRows} from '../experiment-table.js';
import type {Pane} from '../keys.js';
import type {Layout, Rect} from '../layout.js';
import {agentMaxScroll} from '../panes/AgentPane.js';
import {experimentRows} from '../panes/Experiments.js';
import {helpMaxScroll} from '../panes/Help.js';
import type {Snapshot} from '../snapshot.js';
import type {Action} from '../text-buffer.js';

// Where each scrollable view is: the Training log (lines back from the
// newest; 0 follows), the Agent pane (lines back), the Experiments table (a
// selected row, and the first row shown) and the help overlay. The Goal
// pane scrolls its own buffer, so it is handed the editing action instead.
//
// Every move is clamped to what the pane can show, so a view never parks
// past an end (after `g`, `j` moves at once), and every update is a function
// of the one before, so three keys in one burst move three lines.

export type PaneScrollOptions = {
	focus: Pane;
	box: Layout;
	snapshot: Snapshot;
	/** The Agent pane's footer (input line and hints), in rows. */
	agentFooter: number;
	scrollGoal: (action: Action) => void;
};

export type PaneScroll = {
	log: number;
	agent: number;
	experiments: number;
	/** The selected row of the Experiments table (an index into tableRows). */
	selected: number;
	/** The experiment number of the selected row, if there is one. */
	selectedN: number | undefined;
	help: number;
	/** The focused pane, by rows or pages; positive is down (towards the newest in the log). */
	scroll: (delta: number, page: boolean) => void;
	jump: (to: 'start' | 'end') => void;
	scrollHelp: (delta: number, page: boolean) => void;
	/** The help opens at its top. */
	resetHelp: () => void;
	/** The Agent pane back to the newest line (after sending). */
	followAgent: () => void;
};

const pageOf = (rect: Rect): number => Math.max(1, rect.height - 3);
const clamp = (v: number, lo: number, hi: number): number => Math.max(lo, Math.min(hi, v));

export function usePaneScroll({focus, box, snapshot, agentFooter, scrollGoal}: PaneScrollOptions): PaneScroll {
	const [log, setLog] = useState({offset: 0, total: 0});
	const [agent, setAgent] = useState(0);
	const [table, setTable] = useState<{n: number | undefined; top: number}>({n: undefined, top: 0});
	const [help, setHelp] = useState(0);

	const logTotal = snapshot.logTotal;
	const logMax = Math.max(0, snapshot.log.length - Math.max(0, box.log.height - 2));
	// A scrolled-back log stays on the same lines while new ones arrive.
	const logOffsetOf = (s: {offset: number; total: number}): number => (s.offset === 0 ? 0 : s.offset + (logTotal - s.total));
	const moveLog = (to: (offset: number) => number): void =>
		setLog(s => ({offset: clamp(to(clamp(logOffsetOf(s), 0, logMax)), 0, logMax), total: logTotal}));

	const agentMax = (): number => agentMaxScroll(snapshot.agent, box.agent.width, box.agent.height, agentFooter);

	// The table's rows only change with the results, the runs or the experiments waiting: not with every log line.
	const {experiments, runs, pending} = snapshot;
	const rows = useMemo(() => tableRows({experiments, runs, pending}), [experiments, runs, pending]);
	const indexOf = (n: number | undefined): number =>
		Math.max(
			0,
			rows.findIndex(r => r.n === n),
		);
	const visibleRows = experimentRows(box.experiments.height);
	const select = (to: (index: number) => number): void =>
		setTable(s => {
			if (rows.length === 0) return s;
			const i = clamp(to(indexOf(s.n)), 0, rows.length - 1);
			const top = clamp(s.top, i - visibleRows + 1, i);
			return {n: rows[i]!.n, top: Math.max(0, top)};
		});

	// A Record, not a switch: a new pane does not compile until it says how it scrolls.
	const panes: Record<Pane, {scroll: (delta: number, page: boolean) => void; jump: (end: boolean) => void}> = {
		log: {
			scroll: (delta, page) => moveLog(o => o - delta * (page ? pageOf(box.log) : 1)),
			jump: end => moveLog(() => (end ? 0 : logMax)),
		},
		agent: {
			scroll: (delta, page) => {
				const max = agentMax();
				setAgent(s => clamp(clamp(s, 0, max) - delta * (page ? pageOf(box.agent) : 1), 0, max));
			},
			jump: end => setAgent(end ? 0 : agentMax()),
		},
		experiments: {
			scroll: (delta, page) => select(i => i + delta * (page ? pageOf(box.experiments) : 1)),
			jump: end => select(() => (end ? rows.length - 1 : 0)),
		},
		goal: {
			scroll: (delta, page) => scrollGoal(page ? {type: delta > 0 ? 'pageDown' : 'pageUp'} : {type: 'scroll', rows: delta}),
			jump: end => scrollGoal({type: end ? 'bottom' : 'top'}),
		},
		chart: {scroll: () => undefined, jump: () => undefined},
	};

	const selected = indexOf(table.n);
	return {
		log: clamp(logOffsetOf(log), 0, logMax),
		agent,
		experiments: table.top,
		selected,
		selectedN: rows[selected]?.n,
		help,
		scroll: (delta, page) => panes[focus].scroll(delta, page),
		jump: to => panes[focus].jump(to === 'end'),
		scrollHelp: (delta, page) => setHelp(s => clamp(s + delta * (page ? box.rows - 4 : 1), 0, helpMaxScroll(box.rows - 1))),
		resetHelp: () => setHelp(0),
		followAgent: () => setAgent(0),
	};
}
