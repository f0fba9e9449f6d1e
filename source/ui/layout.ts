import type {Pane} from './keys.js';

export type Rect = {x: number; y: number; width: number; height: number};

/**
 * Where each pane sits. `stack` (up to ~160 columns): goal | training on
 * top, loss | experiments in the middle, the agent across the bottom.
 * `wide`: three columns, goal over experiments, training over loss, and the
 * agent the whole height on the right. Sized to the terminal exactly (the
 * status line is the last row), so the frame is never taller than the screen.
 */
export type Layout = Record<Pane, Rect> & {
	arrangement: 'stack' | 'wide';
	status: Rect;
	columns: number;
	rows: number;
};

export const minColumns = 40;
export const minRows = 12;

export function tooSmall(columns: number, rows: number): boolean {
	return columns < minColumns || rows < minRows;
}

const clamp = (v: number, lo: number, hi: number): number => Math.max(lo, Math.min(hi, v));

export function layout(columns: number, rows: number): Layout {
	const cols = Math.max(minColumns, columns);
	const height = Math.max(minRows, rows);
	const avail = height - 1;
	const status = {x: 0, y: avail, width: cols, height: 1};
	if (cols >= 160 && height >= 30) {
		const left = Math.round(cols * 0.3);
		const right = Math.round(cols * 0.3);
		const middle = cols - left - right;
		const goal = Math.round(avail * 0.45);
		const log = Math.round(avail * 0.55);
		return {
			arrangement: 'wide',
			columns: cols,
			rows: height,
			goal: {x: 0, y: 0, width: left, height: goal},
			experiments: {x: 0, y: goal, width: left, height: avail - goal},
			log: {x: left, y: 0, width: middle, height: log},
			chart: {x: left, y: log, width: middle, height: avail - log},
			agent: {x: left + middle, y: 0, width: right, height: avail},
			status,
		};
	}
	const agent = clamp(Math.round(avail * 0.3), 5, avail - 8);
	const rest = avail - agent;
	const top = clamp(Math.round(rest * 0.55), 4, rest - 4);
	const middle = rest - top;
	const goalWidth = clamp(Math.round(cols * 0.38), 20, cols - 20);
	const chartWidth = clamp(Math.round(cols * 0.5), 20, cols - 20);
	return {
		arrangement: 'stack',
		columns: cols,
		rows: height,
		goal: {x: 0, y: 0, width: goalWidth, height: top},
		log: {x: goalWidth, y: 0, width: cols - goalWidth, height: top},
		chart: {x: 0, y: top, width: chartWidth, height: middle},
		experiments: {x: chartWidth, y: top, width: cols - chartWidth, height: middle},
		agent: {x: 0, y: top + middle, width: cols, height: agent},
		status,
	};
}

/** The order Tab walks the panes: as they are laid out, left to right, then top to bottom (by their top-left corners). */
export function focusOrder(box: Layout): Pane[] {
	const all: Pane[] = ['goal', 'log', 'chart', 'agent', 'experiments'];
	return all.sort((a, b) => box[a].y - box[b].y || box[a].x - box[b].x);
}
