import {isStopped} from '../core/judge.js';
import {formatDelta, formatMetric} from '../core/metric.js';
import type {ExperimentRecord} from '../core/types.js';

// How the screen writes a verdict: the difference from the best the judge
// used and the noise band it had to leave (`-0.012±0.006 ×3`), the status
// as a word in its colour (a run stopped by hand is not a crash to the
// reader), and spans of time. The Experiments pane and the morning view
// share these, so they never word the same result two ways.

/** Decimals that show the band to its first significant digit (and the difference with as many). */
function decimalsFor(band: number): number {
	if (!(band > 0) || !Number.isFinite(band)) return 4;
	return Math.max(1, Math.min(6, Math.ceil(-Math.log10(band) + 1e-9)));
}

/** `-0.012±0.006 ×3` (compact) or `-0.012 ± 0.006, 3 runs`; '' for a result that was not judged against a best. */
export function formatJudged(e: Pick<ExperimentRecord, 'delta' | 'band' | 'runs'>, spaced = false): string {
	if (e.delta === undefined || !Number.isFinite(e.delta)) return '';
	const band = e.band !== undefined && Number.isFinite(e.band) && e.band > 0 ? e.band : undefined;
	const digits = band === undefined ? undefined : decimalsFor(band);
	const delta = digits === undefined ? formatDelta(e.delta, 'short') : `${e.delta < 0 ? '-' : '+'}${Math.abs(e.delta).toFixed(digits)}`;
	const plusMinus = band === undefined ? '' : spaced ? ` ± ${band.toFixed(digits)}` : `±${band.toFixed(digits)}`;
	const runs = e.runs !== undefined && e.runs > 1 ? (spaced ? `, ${e.runs} runs` : ` ×${e.runs}`) : '';
	return `${delta}${plusMinus}${runs}`;
}

/** A crash that a person caused (/stop, s in the quit dialog, Ctrl+C twice): core's own test of its reason. */
export {isStopped};

export type StatusLook = {text: string; color: string; dim?: boolean};

/** The status as the table shows it: `stopped` apart from crashes, `re-run` for the runs after the first, `!` when a person overruled. */
export function statusLook(e: Pick<ExperimentRecord, 'status' | 'reason' | 'overruled'>): StatusLook {
	const mark = e.overruled ? '!' : '';
	switch (e.status) {
		case 'keep':
			return {text: `keep${mark}`, color: 'green'};
		case 'discard':
			return {text: `discard${mark}`, color: 'yellow', dim: true};
		case 'crash':
			return isStopped(e) ? {text: `stopped${mark}`, color: 'magenta'} : {text: `crash${mark}`, color: 'red'};
		case 'rerun':
			return {text: 're-run', color: 'gray', dim: true};
	}
}

/** A metric, or `—` (`-` without unicode) for none. */
export function metricText(value: number | null, unicode = true): string {
	return value === null ? (unicode ? '—' : '-') : formatMetric(value, 'short');
}

/** `5 h 12 min`, `12 min`, `40 s`. */
export function span(ms: number): string {
	const s = Math.max(0, Math.round(ms / 1000));
	if (s < 60) return `${s} s`;
	const m = Math.round(s / 60);
	if (m < 60) return `${m} min`;
	const h = Math.floor(m / 60);
	return `${h} h${m % 60 ? ` ${m % 60} min` : ''}`;
}

/** Local wall-clock time `hh:mm`, with the date when it is not today. */
export function clockTime(at: number, now = Date.now()): string {
	const d = new Date(at);
	const hm = `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
	return new Date(now).toDateString() === d.toDateString() ? hm : `${d.getMonth() + 1}/${d.getDate()} ${hm}`;
}
