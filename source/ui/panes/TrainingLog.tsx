import React from 'react';
import {Frame} from '../frame.js';
import type {LogLine} from '../state.js';
import {plain, type Line} from '../text.js';

export type TrainingLogProps = {
	log: readonly LogLine[];
	run?: {n: number; commit: string};
	/** Lines scrolled back from the end; 0 follows the output. */
	scroll: number;
	width: number;
	height: number;
	focused: boolean;
};

/** The visible window of the ring: the newest lines when following, else `scroll` lines back. */
export function logWindow(log: readonly LogLine[], rows: number, scroll: number): {lines: LogLine[]; scroll: number} {
	const maxScroll = Math.max(0, log.length - rows);
	const s = Math.max(0, Math.min(scroll, maxScroll));
	const end = log.length - s;
	return {lines: log.slice(Math.max(0, end - rows), end), scroll: s};
}

export function TrainingLog({log, run, scroll, width, height, focused}: TrainingLogProps) {
	const rows = Math.max(0, height - 2);
	const view = logWindow(log, rows, scroll);
	const lines: Line[] =
		log.length === 0
			? [plain(run ? 'starting…' : 'no run in progress', {dim: true})]
			: view.lines.map(line => plain(line.text, line.partial ? {color: 'cyan'} : {}));
	const where = view.scroll === 0 ? 'following' : `↑ ${view.scroll} lines (G: follow)`;
	return <Frame title={run ? `Training #${run.n} ${run.commit}` : 'Training'} info={where} width={width} height={height} focused={focused} lines={lines} />;
}
