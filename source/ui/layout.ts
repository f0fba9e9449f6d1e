import type {Pane} from './keys.js';

export type Rect = {width: number; height: number};
export type Layout = Record<Pane, Rect> & {status: Rect; rows: number; columns: number};

/**
 * Splits the terminal: goal | training on top, loss | experiments in the
 * middle, the agent below, the status line last. Sized to the terminal
 * exactly, so the frame is never taller than the screen.
 */
export function layout(columns: number, rows: number): Layout {
	const cols = Math.max(20, columns);
	const avail = Math.max(9, rows - 1);
	const agent = Math.max(5, Math.round(avail * 0.3));
	const rest = avail - agent;
	const top = Math.max(4, Math.round(rest * 0.55));
	const middle = Math.max(3, rest - top);
	const goalWidth = Math.max(20, Math.round(cols * (cols >= 160 ? 0.32 : 0.38)));
	const chartWidth = Math.max(20, Math.round(cols * 0.58));
	return {
		columns: cols,
		rows: agent + top + middle + 1,
		goal: {width: Math.min(goalWidth, cols - 10), height: top},
		log: {width: cols - Math.min(goalWidth, cols - 10), height: top},
		chart: {width: Math.min(chartWidth, cols - 10), height: middle},
		experiments: {width: cols - Math.min(chartWidth, cols - 10), height: middle},
		agent: {width: cols, height: agent},
		status: {width: cols, height: 1},
	};
}
