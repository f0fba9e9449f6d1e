import {formatDelta, formatMetric} from '../core/metric.js';
import type {ExperimentRecord} from '../core/types.js';
import {clockTime, formatJudged, isStopped, span} from './format.js';
import type {Experiment} from './snapshot.js';
import type {Line} from './text.js';

// The morning view: what happened since a moment (when the person last
// looked, or since the start), worked out from the results alone: how many
// experiments ran, which were kept and by how much against the best before
// them (and the noise band they had to leave), which crashed and why, the
// best now against the baseline, the pace, and how busy each trainer was.

export type Since = 'seen' | 'start';

export type NightSummary = {
	since: Since;
	/** The window, in epoch ms. */
	from: number;
	to: number;
	/** When the person last looked, if ever. */
	seen?: number;
	/** Experiments decided in the window (re-runs are not experiments). */
	run: number;
	kept: Experiment[];
	discarded: number;
	crashes: Experiment[];
	stopped: number;
	best?: ExperimentRecord;
	baseline?: ExperimentRecord;
	/** Minutes of wall time per experiment decided. */
	minutesPer?: number;
	/** The share of the window each worker's trainer was busy (the seconds its runs took). */
	busy: Array<{worker: string; share: number}>;
};

export type SummaryInput = {
	experiments: readonly Experiment[];
	since: Since;
	/** control.lastSeen(): ISO time, or undefined when never. */
	seen: string | undefined;
	now: number;
	best?: ExperimentRecord;
	baseline?: ExperimentRecord;
	/** The workers' names, in order; a record without a worker is the first's. */
	workers: readonly string[];
};

const endOf = (e: Experiment): number | undefined => {
	const t = e.endedAt ? Date.parse(e.endedAt) : Number.NaN;
	return Number.isFinite(t) ? t : undefined;
};

/** Experiments decided after `since` (when it is a time), how long they took, and what came of them. */
export function summarize(input: SummaryInput): NightSummary {
	const {experiments, now} = input;
	const seenAt = input.seen ? Date.parse(input.seen) : Number.NaN;
	const seen = Number.isFinite(seenAt) ? seenAt : undefined;
	const since: Since = input.since === 'seen' && seen !== undefined ? 'seen' : 'start';
	let start = now;
	for (const e of experiments) {
		const end = endOf(e);
		if (end !== undefined) start = Math.min(start, end - (e.seconds ?? 0) * 1000);
	}
	const from = since === 'seen' ? seen! : start;
	// Without a time, a record counts only from the start (it is older than any "last looked").
	const inWindow = experiments.filter(e => {
		const end = endOf(e);
		return end === undefined ? since === 'start' : end > from;
	});
	const decided = inWindow.filter(e => e.status !== 'rerun');
	const first = input.workers[0] ?? 'w0';
	const wall = Math.max(1, now - from);
	const seconds = new Map<string, number>(input.workers.map(w => [w, 0]));
	for (const e of inWindow) seconds.set(e.worker ?? first, (seconds.get(e.worker ?? first) ?? 0) + (e.seconds ?? 0));
	const crashes = decided.filter(e => e.status === 'crash');
	return {
		since,
		from,
		to: now,
		...(seen === undefined ? {} : {seen}),
		run: decided.length,
		kept: decided.filter(e => e.status === 'keep'),
		discarded: decided.filter(e => e.status === 'discard').length,
		crashes,
		stopped: crashes.filter(isStopped).length,
		...(input.best ? {best: input.best} : {}),
		...(input.baseline ? {baseline: input.baseline} : {}),
		...(decided.length > 0 ? {minutesPer: wall / 60_000 / decided.length} : {}),
		busy: [...seconds].map(([worker, s]) => ({worker, share: Math.min(1, (s * 1000) / wall)})),
	};
}

const pct = (x: number): string => `${Math.round(x * 100)}%`;
const percent = (x: number): string => `${x < 0 ? '-' : '+'}${Math.abs(x * 100).toFixed(1)}%`;

/** The morning view as lines for the viewer. */
export function summaryLines(s: NightSummary, metric = 'metric'): Line[] {
	const head = (text: string): Line => [{text, bold: true, color: 'cyan'}];
	const lines: Line[] = [];
	const when =
		s.since === 'seen'
			? `Since you last looked, ${clockTime(s.from, s.to)} (${span(s.to - s.from)} ago)`
			: `Since the start, ${clockTime(s.from, s.to)} (${span(s.to - s.from)})`;
	lines.push([{text: when, bold: true}]);
	if (s.run === 0) {
		lines.push([{text: s.since === 'seen' ? 'Nothing finished since then.' : 'Nothing finished yet.', dim: true}]);
	} else {
		const crashed = s.crashes.length > 0 ? ` · ${s.crashes.length} crashed${s.stopped > 0 ? ` (${s.stopped} stopped by hand)` : ''}` : '';
		lines.push([
			{text: `${s.run} experiment${s.run === 1 ? '' : 's'} run`},
			{text: ` · ${s.kept.length} kept`, color: 'green'},
			{text: ` · ${s.discarded} discarded`},
			{text: crashed, color: 'red'},
		]);
	}
	if (s.kept.length > 0) {
		lines.push([], head('Kept (against the best before each, ± the noise band it had to leave)'));
		for (const e of s.kept) {
			const judged = formatJudged(e, true);
			const note = e.overruled ? ' (kept by hand)' : e.n === s.baseline?.n ? ' (the baseline: what the others are measured against)' : '';
			lines.push([
				{text: `  #${e.n} `, bold: true},
				{text: e.description},
				{text: judged ? `  ${judged}` : '', color: 'green'},
				{text: note, dim: true},
			]);
		}
	}
	if (s.crashes.length > 0) {
		lines.push([], head('Crashed'));
		for (const e of s.crashes) {
			lines.push([
				{text: `  #${e.n} `, bold: true},
				{text: e.description},
				{text: `: ${e.reason ?? 'no reason recorded'}`, color: isStopped(e) ? 'magenta' : 'red'},
			]);
		}
	}
	lines.push([], head('Best now'));
	const best = s.best;
	const base = s.baseline;
	if (best?.metric == null) lines.push([{text: '  no result yet', dim: true}]);
	else {
		const vs =
			base?.metric != null && base.n !== best.n
				? `, the baseline ${formatMetric(base.metric, 'short')}: ${formatDelta(best.metric - base.metric, 'short')}${base.metric !== 0 ? ` (${percent((best.metric - base.metric) / Math.abs(base.metric))})` : ''}`
				: ' (the baseline: nothing has beaten it yet)';
		lines.push([{text: `  ${metric} ${formatMetric(best.metric, 'short')} (#${best.n} ${best.description})`, color: 'green'}, {text: vs}]);
	}
	lines.push([], head('Pace'));
	const busy = s.busy.map(b => (s.busy.length > 1 ? `${b.worker} ${pct(b.share)}` : pct(b.share))).join(', ');
	lines.push([
		{text: s.minutesPer === undefined ? '  no experiment finished' : `  ${s.minutesPer.toFixed(1)} min per experiment`},
		{text: ` · trainer busy ${busy || 'n/a'} of the time`},
	]);
	return lines;
}

/** Experiments decided since `seen` (all of them when never): the status bar's "new". */
export function newSince(experiments: readonly Experiment[], seen: string | undefined): number {
	const at = seen ? Date.parse(seen) : Number.NaN;
	let count = 0;
	for (const e of experiments) {
		if (e.status === 'rerun') continue;
		const end = endOf(e);
		if (!Number.isFinite(at) || (end !== undefined && end > at)) count++;
	}
	return count;
}
