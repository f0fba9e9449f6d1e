import type {RunResult} from './runner.js';
import type {ArenaRules, ExperimentRecord, Status} from './types.js';

export type Verdict = {status: Status; metric: number | null; memoryGb: number; reason: string};

/** True when `value` beats `best` by more than the arena's minimum improvement. */
export function improves(value: number, best: number, rules: Pick<ArenaRules, 'direction' | 'minImprovement'>): boolean {
	return rules.direction === 'lower' ? value < best - rules.minImprovement : value > best + rules.minImprovement;
}

/**
 * Crash: could not start, killed (timeout or /stop), FAIL, non-zero exit, or
 * no finite metric. Otherwise keep when it beats the best (the first
 * experiment, the baseline, has nothing to beat), else discard.
 */
export function judge(result: RunResult, rules: ArenaRules, best: ExperimentRecord | undefined): Verdict {
	const crash = (reason: string): Verdict => ({status: 'crash', metric: null, memoryGb: 0, reason});
	if (result.spawnError) return crash(result.spawnError);
	if (result.killed === 'timeout') return crash(`killed after the ${rules.timeoutSeconds} s timeout`);
	if (result.killed === 'stop') return crash('stopped by hand');
	if (result.failed) return crash('the run printed FAIL (NaN or exploding loss)');
	if (result.exitCode !== 0) {
		return crash(result.signal ? `killed by ${result.signal}` : `exit status ${result.exitCode ?? '?'}`);
	}
	const raw = result.summary?.[rules.metric];
	if (typeof raw !== 'number' || !Number.isFinite(raw)) {
		return crash(result.summary ? `no finite ${rules.metric} in the summary` : 'no summary block (`---`) in the output');
	}
	const vram = result.summary?.['peak_vram_mb'];
	const memoryGb = typeof vram === 'number' && Number.isFinite(vram) ? vram / 1024 : 0;
	if (best?.metric === null || best === undefined) return {status: 'keep', metric: raw, memoryGb, reason: 'baseline'};
	if (improves(raw, best.metric, rules)) {
		return {status: 'keep', metric: raw, memoryGb, reason: `better than ${best.metric.toFixed(6)}`};
	}
	return {status: 'discard', metric: raw, memoryGb, reason: `not better than ${best.metric.toFixed(6)}`};
}
