import type {RunResult} from './executor.js';
import {metricRange} from './metric.js';
import {decide, type Reference} from './noise.js';
import type {ArenaRules} from './types.js';

// What one run came to (a result, or a crash and why), and the verdict on a
// candidate. A number is a result only if the run finished cleanly and the
// number can be trusted: inside the metric's range, printed once, and not
// reported after the loss went NaN.

export type RunReading = {ok: true; metric: number; memoryGb: number} | {ok: false; reason: string};

/** The reason of a run a person stopped (/stop, quitting now): a crash in results.tsv, not the idea's fault. */
export const stoppedByHand = 'stopped by hand';

/** A crash that a person caused, as results.tsv and the run's summary record it. */
export function isStopped(e: {status: string; reason?: string | undefined}): boolean {
	return e.status === 'crash' && (e.reason ?? '').startsWith(stoppedByHand);
}

const shown = (value: number | string): string => (typeof value === 'number' ? String(value) : JSON.stringify(value));

/** Crash: could not start, killed (timeout or /stop), FAIL, non-zero exit, no finite metric, or a metric that cannot be right. */
export function readRun(result: RunResult, rules: ArenaRules): RunReading {
	const crash = (reason: string): RunReading => ({ok: false, reason});
	if (result.spawnError) return crash(result.spawnError);
	if (result.requeue) return crash(result.requeue);
	if (result.killed === 'timeout') return crash(`killed after the ${rules.timeoutSeconds} s timeout`);
	if (result.killed === 'stop') return crash(stoppedByHand);
	if (result.failed) return crash('the run printed FAIL (NaN or exploding loss)');
	if (result.exitCode !== 0) return crash(result.signal ? `killed by ${result.signal}` : `exit status ${result.exitCode ?? '?'}`);
	const twice = result.conflicts[rules.metric];
	if (twice) return crash(`${rules.metric} was printed more than once, with different values (${twice.map(shown).join(', ')})`);
	const raw = result.summary?.[rules.metric];
	if (typeof raw !== 'number' || !Number.isFinite(raw)) {
		return crash(result.summary ? `no finite ${rules.metric} in the summary` : 'no summary block (`---`) in the output');
	}
	if (result.nonFiniteLoss) {
		return crash(
			`the loss was ${result.nonFiniteLoss.loss} at step ${result.nonFiniteLoss.step}: a ${rules.metric} reported after that is not a result`,
		);
	}
	const [low, high] = metricRange(rules);
	if (raw < low || raw > high) {
		return crash(
			`${rules.metric} ${raw} is outside what it can be ([${low}, ${high}]${rules.metricRange ? ', metric_range in program.md' : ''})`,
		);
	}
	const vram = result.summary?.['peak_vram_mb'];
	const memoryGb = typeof vram === 'number' && Number.isFinite(vram) ? vram / 1024 : 0;
	return {ok: true, metric: raw, memoryGb};
}

export type Verdict = {
	status: 'keep' | 'discard' | 'crash' | 'confirm';
	metric: number | null;
	memoryGb: number;
	reason: string;
	/** The difference from the best's mean, and the noise band it had to leave (see noise.ts). */
	delta?: number;
	band?: number;
};

/**
 * One run judged against the best (`reference`; none for the baseline,
 * which has nothing to beat). `sigma`: the measured noise of one run, if
 * any. `maxRuns`: how many runs the candidate may take in all (1: no re-runs).
 */
export function judge(result: RunResult, rules: ArenaRules, reference: Reference | undefined, sigma?: number, maxRuns = 1): Verdict {
	const reading = readRun(result, rules);
	if (!reading.ok) return {status: 'crash', metric: null, memoryGb: 0, reason: reading.reason};
	if (!reference) return {status: 'keep', metric: reading.metric, memoryGb: reading.memoryGb, reason: 'baseline'};
	const decision = decide([reading.metric], reference, sigma, rules, maxRuns);
	return {
		status: decision.kind,
		metric: reading.metric,
		memoryGb: reading.memoryGb,
		reason: decision.reason,
		delta: decision.delta,
		...(decision.band === undefined ? {} : {band: decision.band}),
	};
}
