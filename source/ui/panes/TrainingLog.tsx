import {memo} from 'react';
import {Frame} from '../frame.js';
import {paneTitles} from '../keys.js';
import type {LogLine} from '../snapshot.js';
import type {Line} from '../text.js';

// The running experiment's output as a terminal would show it (`\r`
// progress collapsed by the store's ring), following the newest line until
// the person scrolls back.

export type TrainingLogProps = {
	log: readonly LogLine[];
	run?: {n: number; commit: string};
	/** The run the lines belong to, when it has ended. */
	lastRun?: {n: number; commit: string};
	/** Lines scrolled back from the end; 0 follows the output. */
	scroll: number;
	width: number;
	height: number;
	focused: boolean;
};

/** The visible window of the ring: the newest lines when following, else `scroll` lines back. */
export function logWindow(log: readonly LogLine[], rows: number, scroll: number): {lines: readonly LogLine[]; scroll: number} {
	const maxScroll = Math.max(0, log.length - rows);
	const s = Math.max(0, Math.min(scroll, maxScroll));
	const end = log.length - s;
	return {lines: log.slice(Math.max(0, end - rows), end), scroll: s};
}

export const TrainingLog = memo(function TrainingLog({log, run, lastRun, scroll, width, height, focused}: TrainingLogProps) {
	const rows = Math.max(0, height - 2);
	const view = logWindow(log, rows, scroll);
	// Lines are cut to the pane by the frame (by display width); a `\r` progress line is the one drawn in colour.
	const lines: Line[] =
		log.length === 0
			? [[{text: run ? 'starting…' : 'no run in progress', dim: true}]]
			: view.lines.map(line => [line.partial ? {text: line.text, color: 'cyan'} : {text: line.text}]);
	const where = view.scroll === 0 ? (run ? 'following' : '') : `↑ ${view.scroll} of ${log.length} · G follows`;
	const name = paneTitles.log;
	const title = run ? `${name} #${run.n} ${run.commit}` : lastRun ? `${name} (ended: #${lastRun.n} ${lastRun.commit})` : name;
	return <Frame title={title} info={where} width={width} height={height} focused={focused} lines={lines} />;
});
