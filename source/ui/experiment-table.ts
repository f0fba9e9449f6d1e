import {formatDelta} from '../core/metric.js';
import type {ExperimentRecord} from '../core/types.js';
import {formatJudged, metricText, statusLook, type StatusLook} from './format.js';
import type {Experiment, Pending, RunView} from './snapshot.js';
import {cut, cutMiddle, padStart, width, type Line, type Segment} from './text.js';

// The results table as rows and columns, newest first: the runs in
// progress on top (one per worker), then experiments waiting for their
// re-runs, then every result. What a row must keep visible is the change
// itself (`NAME old -> new`): when the pane is narrow, other columns go
// first (the difference from the best, the worker, the status word becomes
// a mark), and a change that still does not fit loses the middle of its
// name, never its values. Only the visible rows are drawn.

export type TableInput = {
	experiments: readonly Experiment[];
	best?: ExperimentRecord;
	baseline?: ExperimentRecord;
	/** The run in progress (one worker). */
	running?: {n: number; description: string};
	/** Every run in progress (several workers); wins over `running`. */
	runs?: readonly RunView[];
	pending?: readonly Pending[];
	metric?: string;
	/** The budget in force: a result run at another is marked with its own. */
	budgetSeconds?: number;
	/** More than one worker: each row says which ran it. */
	workers?: number;
};

/** One row before it is drawn. */
export type Row =
	| {kind: 'run'; n: number; description: string; worker?: string; of?: number; queued?: string}
	| {kind: 'pending'; n: number; metric: number | null; description: string}
	| {kind: 'result'; n: number; e: Experiment};

/** The rows in the order the table shows them (Enter and the selection go by these). */
export function tableRows(t: Pick<TableInput, 'experiments' | 'running' | 'runs' | 'pending'>): Row[] {
	const rows: Row[] = [];
	const runs = t.runs ?? (t.running ? [t.running] : []);
	for (const r of runs) {
		const run = r as Partial<RunView> & {n: number; description: string};
		rows.push({
			kind: 'run',
			n: run.n,
			description: run.description,
			...(run.worker ? {worker: run.worker} : {}),
			...(run.of === undefined ? {} : {of: run.of}),
			...(run.queued === undefined ? {} : {queued: run.queued}),
		});
	}
	for (const p of t.pending ?? []) rows.push({kind: 'pending', n: p.n, metric: p.metric, description: p.description});
	for (let i = t.experiments.length - 1; i >= 0; i--) rows.push({kind: 'result', n: t.experiments[i]!.n, e: t.experiments[i]!});
	return rows;
}

const glyphs: Record<string, [string, string]> = {
	keep: ['●', '+'],
	discard: ['·', '.'],
	crash: ['✗', 'x'],
	stopped: ['■', 's'],
	're-run': ['↻', 'r'],
	running: ['▶', '>'],
	queued: ['…', 'q'],
	judging: ['?', '?'],
};

/** A status word in at most five letters (`disc`, `stop`, `run`), the `!` of an overrule kept. */
function shortStatus(text: string): string {
	const mark = text.endsWith('!') ? '!' : '';
	const word = text.replace('!', '');
	const short: Record<string, string> = {
		discard: 'disc',
		stopped: 'stop',
		running: 'run',
		queued: 'queue',
		judging: 'judge',
		're-run': 'rerun',
	};
	return `${short[word] ?? word}${mark}`;
}

function lookOf(row: Row): StatusLook {
	if (row.kind === 'run') return row.queued !== undefined ? {text: 'queued', color: 'yellow'} : {text: 'running', color: 'cyan'};
	if (row.kind === 'pending') return {text: 'judging', color: 'cyan'};
	return statusLook(row.e);
}

function descriptionOf(row: Row, budget: number | undefined): {text: string; note: string} {
	if (row.kind === 'run') {
		const text = row.of !== undefined ? `re-run of #${row.of}` : row.description;
		return {text, note: row.queued !== undefined ? ` (queued: ${row.queued})` : ''};
	}
	if (row.kind === 'pending') return {text: row.description, note: ' (waiting for its re-runs)'};
	const e = row.e;
	const text = e.status === 'rerun' && e.of !== undefined ? `re-run of #${e.of}` : e.description;
	return {text, note: e.budget !== undefined && budget !== undefined && e.budget !== budget ? ` @${e.budget}s` : ''};
}

/** The cells a change needs to stay readable: its values whole and enough of its name to know it (`LEARN…RATE`). */
function essential(text: string): number {
	const change = /^(\S+)( \S+ -> \S+)/.exec(text);
	return change ? Math.min(width(text), 10 + width(change[2]!)) : Math.min(width(text), 16);
}

/** A description fitted to `cells`: a change keeps its values whole and loses the middle of its name first; anything else its end. */
export function fitChange(text: string, cells: number): string {
	if (width(text) <= cells) return text;
	const change = /^(\S+)( \S+ -> \S+)(.*)$/.exec(text);
	if (change) {
		const [, name = '', values = '', rest = ''] = change;
		const core = width(name) + width(values);
		if (core < cells) return name + values + cut(rest, cells - core);
		const room = cells - width(values) - (rest ? 1 : 0);
		if (room >= 4) return cutMiddle(name, room) + values + (rest ? '…' : '');
	}
	return cut(text, cells);
}

export type Table = {header: Line; rows: Row[]; line: (row: Row, selected: boolean) => Line};

/** The header and a drawer for rows `inner` cells wide; columns sized to `visible` rows. */
export function table(t: TableInput, visible: readonly Row[], inner: number, unicode: boolean): Table {
	const star = unicode ? '★' : '*';
	const looks = visible.map(lookOf);
	const anyJudged = t.experiments.some(e => e.delta !== undefined);
	const base = t.baseline?.metric ?? null;
	const maxN = Math.max(t.running?.n ?? 0, ...(t.runs ?? []).map(r => r.n), t.experiments.at(-1)?.n ?? 0, ...visible.map(r => r.n));
	const nW = Math.max(3, String(maxN).length);
	const metricOf = (row: Row): string =>
		row.kind === 'result' ? metricText(row.e.metric, unicode) : row.kind === 'pending' ? metricText(row.metric, unicode) : '';
	const metricW = Math.max(6, Math.min(7, width(t.metric ?? 'metric')), ...visible.map(r => width(metricOf(r))));
	const judgedOf = (row: Row): string => {
		if (row.kind !== 'result') return '';
		const e = row.e;
		if (anyJudged) return formatJudged(e);
		return e.metric !== null && base !== null && e.n !== t.baseline?.n ? formatDelta(e.metric - base, 'short') : '';
	};
	const judgedW = Math.max(metricW + 1, ...visible.map(r => width(judgedOf(r))));
	const several = (t.workers ?? 1) > 1;
	const workerW = several ? Math.max(2, ...visible.map(r => width(workerOf(r)))) : 0;
	// As wide as the longest word (`discard`), so that the columns stay put while the table scrolls.
	let statusW = Math.max(7, ...looks.map(l => width(l.text)));
	let showJudged = inner >= 56;
	let showWorker = several;
	const need = Math.max(0, ...visible.map(r => essential(descriptionOf(r, t.budgetSeconds).text)));
	const fixed = (): number => nW + 1 + (showWorker ? workerW + 1 : 0) + statusW + 2 + metricW + (showJudged ? judgedW + 1 : 0) + 2;
	// The change must stay readable: drop the difference, the worker, shorten the status word, then make it a mark, until it is.
	if (inner - fixed() < need) showJudged = false;
	if (inner - fixed() < need) showWorker = false;
	let short = false;
	if (inner - fixed() < need) {
		short = true;
		statusW = Math.max(4, ...looks.map(l => width(shortStatus(l.text))));
	}
	if (inner - fixed() < need) statusW = 1;
	const descW = Math.max(1, inner - fixed());
	const judgedTitle = anyJudged ? 'vs best' : unicode ? 'Δ base' : 'vs base';
	const header: Line = [
		{
			text: `${'#'.padStart(nW)} ${showWorker ? `${'w'.padEnd(workerW)} ` : ''}${(statusW === 1 ? '' : 'status').slice(0, statusW).padEnd(statusW)}  ${padStart(t.metric ?? 'metric', metricW)}${showJudged ? ` ${padStart(judgedTitle, judgedW)}` : ''}  description`,
			dim: true,
			bold: true,
		},
	];
	const line = (row: Row, selected: boolean): Line => {
		const look = lookOf(row);
		const isBest = row.kind === 'result' && t.best !== undefined && row.e.n === t.best.n && row.e.status === 'keep';
		const quiet = row.kind === 'result' && row.e.status === 'rerun';
		const statusText =
			statusW === 1
				? (glyphs[look.text.replace('!', '')]?.[unicode ? 0 : 1] ?? look.text[0]!)
				: (short ? shortStatus(look.text) : look.text).padEnd(statusW);
		const {text, note} = descriptionOf(row, t.budgetSeconds);
		const kept = row.kind !== 'result' || row.e.status === 'keep';
		const segments: Segment[] = [
			{text: `${String(row.n).padStart(nW)} `, ...(quiet ? {dim: true} : {})},
			...(showWorker ? [{text: `${workerOf(row).padEnd(workerW)} `, dim: true}] : []),
			{text: statusText, color: look.color, ...(look.dim || quiet ? {dim: true} : {}), ...(row.kind === 'run' ? {bold: true} : {})},
			{text: isBest ? ` ${star}` : '  ', color: 'green', bold: true},
			{text: padStart(metricOf(row), metricW), ...(isBest ? {bold: true} : {}), ...(quiet ? {dim: true} : {})},
			...(showJudged ? [{text: ` ${padStart(judgedOf(row), judgedW)}`, dim: true}] : []),
			{text: `  ${fitChange(text, Math.max(1, descW - Math.min(width(note), Math.max(0, descW - width(text)))))}`, dim: !kept},
			{text: note, dim: true},
		];
		return selected ? segments.map(s => ({...s, inverse: true})) : segments;
	};
	return {header, rows: visible as Row[], line};
}

function workerOf(row: Row): string {
	return row.kind === 'run' ? (row.worker ?? '') : row.kind === 'result' ? (row.e.worker ?? '') : '';
}
