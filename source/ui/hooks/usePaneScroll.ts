import {useState} from 'react';
import type {Pane} from '../keys.js';
import type {Layout, Rect} from '../layout.js';
import {helpMaxScroll} from '../panes/Help.js';
import type {Action} from '../text-buffer.js';

// Where each scrollable view is: the Training log (lines back from the
// newest; 0 follows), the Agent pane (lines back), the Experiments table
// (rows down from the newest) and the help overlay. The Goal pane scrolls
// its own buffer, so it is handed the editing action instead.

export type PaneScrollOptions = {
	focus: Pane;
	box: Layout;
	/** Lines in the log ring now, and ever added (the ring moves under a scrolled view). */
	logLength: number;
	logTotal: number;
	experiments: number;
	scrollGoal: (action: Action) => void;
};

export type PaneScroll = {
	log: number;
	agent: number;
	experiments: number;
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

export function usePaneScroll({focus, box, logLength, logTotal, experiments, scrollGoal}: PaneScrollOptions): PaneScroll {
	const [log, setLog] = useState({offset: 0, total: 0});
	const [agent, setAgent] = useState(0);
	const [table, setTable] = useState(0);
	const [help, setHelp] = useState(0);

	// A scrolled-back log stays on the same lines while new ones arrive.
	const logOffset = log.offset === 0 ? 0 : log.offset + (logTotal - log.total);
	const setLogOffset = (offset: number): void => setLog({offset: Math.max(0, Math.min(offset, logLength)), total: logTotal});

	// A Record, not a switch: a new pane does not compile until it says how it scrolls.
	const panes: Record<Pane, {scroll: (delta: number, page: boolean) => void; jump: (end: boolean) => void}> = {
		log: {
			scroll: (delta, page) => setLogOffset(logOffset - delta * (page ? pageOf(box.log) : 1)),
			jump: end => setLogOffset(end ? 0 : logLength),
		},
		agent: {
			scroll: (delta, page) => setAgent(s => Math.max(0, s - delta * (page ? pageOf(box.agent) : 1))),
			jump: end => setAgent(end ? 0 : Number.MAX_SAFE_INTEGER),
		},
		experiments: {
			scroll: (delta, page) => setTable(s => Math.max(0, Math.min(experiments, s + delta * (page ? pageOf(box.experiments) : 1)))),
			jump: end => setTable(end ? experiments : 0),
		},
		goal: {
			scroll: (delta, page) => scrollGoal(page ? {type: delta > 0 ? 'pageDown' : 'pageUp'} : {type: 'scroll', rows: delta}),
			jump: end => scrollGoal({type: end ? 'bottom' : 'top'}),
		},
		chart: {scroll: () => undefined, jump: () => undefined},
	};

	return {
		log: logOffset,
		agent,
		experiments: table,
		help,
		scroll: (delta, page) => panes[focus].scroll(delta, page),
		jump: to => panes[focus].jump(to === 'end'),
		scrollHelp: (delta, page) => setHelp(s => Math.max(0, Math.min(helpMaxScroll(box.rows - 1), s + delta * (page ? box.rows - 4 : 1)))),
		resetHelp: () => setHelp(0),
		followAgent: () => setAgent(0),
	};
}
