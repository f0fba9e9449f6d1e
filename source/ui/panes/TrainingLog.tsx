import {memo} from 'react';
import {Frame} from '../frame.js';
import {paneTitles} from '../keys.js';
import type {LogLine} from '../snapshot.js';
import {width as cellsOf, type Line} from '../text.js';

// The running experiment's output as a terminal would show it (`\r`
// progress collapsed by the store's ring), following the newest line until
// the person scrolls back. A progress line too long for the pane keeps its
// first and its last fields (step and loss; epoch and time remaining) and
// loses those between, so what matters most is never the part cut off.

export type TrainingLogProps = {
	log: readonly LogLine[];
	run?: {n: number; commit: string};
	/** The run the lines belong to, when it has ended. */
	lastRun?: {n: number; commit: string};
	/** The worker it follows, when there are several. */
	worker?: string | undefined;
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

/**
 * A `field | field | ...` progress line fitted to `cells`: padding squeezed
 * out first, then fields dropped from the middle (`…` where they were), the
 * first and the last kept. Other lines come back as they are (the frame cuts them).
 */
export function fitProgress(text: string, cells: number): string {
	if (cellsOf(text) <= cells) return text;
	const fields = text
		.trim()
		.split(/\s+\|\s+/)
		.map(f => f.replace(/\s{2,}/g, ' '));
	if (fields.length < 3) return text;
	const joined = fields.join(' | ');
	if (cellsOf(joined) <= cells) return joined;
	// Keep the head (the step, the loss) and the tail (time remaining), as many of each as fit.
	let head = 2;
	let tail = 1;
	const build = (h: number, t: number): string => [...fields.slice(0, h), '…', ...fields.slice(fields.length - t)].join(' | ');
	if (cellsOf(build(head, tail)) > cells) return cellsOf(build(1, 1)) <= cells ? build(1, 1) : joined;
	for (;;) {
		if (head + tail >= fields.length - 1) return build(head, tail);
		const moreTail = build(head, tail + 1);
		const moreHead = build(head + 1, tail);
		if (tail < head && cellsOf(moreTail) <= cells) tail++;
		else if (cellsOf(moreHead) <= cells) head++;
		else if (cellsOf(moreTail) <= cells) tail++;
		else return build(head, tail);
	}
}

export const TrainingLog = memo(function TrainingLog({log, run, lastRun, worker, scroll, width, height, focused}: TrainingLogProps) {
	const rows = Math.max(0, height - 2);
	const view = logWindow(log, rows, scroll);
	const inner = Math.max(1, width - 2);
	// Lines are cut to the pane by the frame (by display width); a `\r` progress line is the one drawn in colour, fitted by its fields.
	const lines: Line[] =
		log.length === 0
			? [[{text: run ? 'starting…' : 'no run in progress', dim: true}]]
			: view.lines.map(line => [line.partial ? {text: fitProgress(line.text, inner), color: 'cyan'} : {text: line.text}]);
	const where = view.scroll === 0 ? (run ? 'following' : '') : `↑ ${view.scroll} of ${log.length} · G follows`;
	const name = `${paneTitles.log}${worker ? ` ${worker}` : ''}`;
	const title = run ? `${name} #${run.n} ${run.commit}` : lastRun ? `${name} (ended: #${lastRun.n} ${lastRun.commit})` : name;
	return <Frame title={title} info={where} width={width} height={height} focused={focused} lines={lines} />;
});
