import type {GpuReading, LoopEvent} from './events.js';
import {exec} from './exec.js';

// GPU utilisation, memory and temperature for the status bar, from
// nvidia-smi. Where there is no nvidia-smi (or its first answer is not one
// we can read), nothing is ever sent and polling stops: a machine without a
// GPU shows no GPU, not an error. A GPU that answers once and then fails
// now and then (a busy driver) is skipped for that reading, not dropped.

export const nvidiaSmiArgs = [
	'--query-gpu=index,name,utilization.gpu,memory.used,memory.total,temperature.gpu',
	'--format=csv,noheader,nounits',
];

/** Runs nvidia-smi once: its stdout, or undefined when it is absent or fails. */
export type SmiQuery = (signal: AbortSignal) => Promise<string | undefined>;

export const runNvidiaSmi: SmiQuery = async signal => {
	const result = await exec('nvidia-smi', nvidiaSmiArgs, {reject: false, timeout: 10_000, stdin: 'ignore', cancelSignal: signal});
	return result.exitCode === 0 ? String(result.stdout) : undefined;
};

/** A number, or NaN for what nvidia-smi could not tell (`[N/A]`, `[Not Supported]`, e.g. utilisation under MIG). */
function field(text: string | undefined): number {
	if (text === undefined || text === '' || text.startsWith('[')) return Number.NaN;
	const value = Number(text);
	return Number.isFinite(value) ? value : Number.NaN;
}

/**
 * Parses `nvidia-smi --query-gpu=index,name,utilization.gpu,memory.used,
 * memory.total,temperature.gpu --format=csv,noheader,nounits`: one line per
 * GPU. A line without a numeric index is not a GPU; fields nvidia-smi cannot
 * tell are NaN.
 */
export function parseNvidiaSmi(output: string): GpuReading[] {
	const readings: GpuReading[] = [];
	for (const line of output.split(/\r?\n/)) {
		const cols = line.split(',').map(c => c.trim());
		if (cols.length < 6) continue;
		// A name with a comma in it: the fields around it are fixed.
		const [index, ...rest] = cols;
		const numbers = rest.slice(-4);
		const name = rest.slice(0, -4).join(', ');
		if (!/^\d+$/.test(index!)) continue;
		const [utilization, used, total, temperature] = numbers.map(field);
		readings.push({
			index: Number(index),
			name,
			utilization: utilization!,
			memoryUsedMb: used!,
			memoryTotalMb: total!,
			temperatureC: temperature!,
		});
	}
	return readings;
}

/**
 * Polls every `intervalMs` and emits `gpu` events; returns the function that
 * stops it (an nvidia-smi in flight is cancelled). Never emits when the first
 * query finds no GPU; gives up after 5 failures in a row. Its timers do not
 * keep the process alive.
 */
export function startGpuPolling(emit: (event: LoopEvent) => void, intervalMs = 5000, query: SmiQuery = runNvidiaSmi): () => void {
	let stopped = false;
	let seen = false;
	let failures = 0;
	let timer: NodeJS.Timeout | undefined;
	const abort = new AbortController();
	const poll = async (): Promise<void> => {
		let gpus: GpuReading[];
		try {
			const output = await query(abort.signal);
			gpus = output === undefined ? [] : parseNvidiaSmi(output);
		} catch {
			gpus = [];
		}
		if (stopped) return;
		if (gpus.length === 0) {
			failures++;
			if (!seen || failures >= 5) return; // No GPU here, or it went away: stop asking.
		} else {
			seen = true;
			failures = 0;
			emit({type: 'gpu', gpus});
		}
		timer = setTimeout(() => void poll(), intervalMs);
		timer.unref();
	};
	void poll();
	return () => {
		stopped = true;
		if (timer) clearTimeout(timer);
		abort.abort();
	};
}

/** The GPU indices nvidia-smi lists, or undefined when there is no nvidia-smi (or it fails). */
export async function listGpuIndices(query: SmiQuery = runNvidiaSmi): Promise<number[] | undefined> {
	let output: string | undefined;
	try {
		output = await query(AbortSignal.timeout(15_000));
	} catch {
		return undefined;
	}
	return output === undefined ? undefined : parseNvidiaSmi(output).map(g => g.index);
}

/**
 * Checks `--gpus` against the machine before anything runs: every index must
 * be one nvidia-smi lists, and none given twice. The problem in words, or
 * undefined when the list is good.
 */
export async function checkGpus(requested: readonly number[], query: SmiQuery = runNvidiaSmi): Promise<string | undefined> {
	const bad = requested.filter(g => !Number.isInteger(g) || g < 0);
	if (bad.length > 0) return `--gpus takes GPU indices (0, 1, ...), not ${bad.join(', ')}`;
	const twice = requested.filter((g, i) => requested.indexOf(g) !== i);
	if (twice.length > 0) return `--gpus names GPU ${[...new Set(twice)].join(', ')} more than once: one worker per GPU`;
	const listed = await listGpuIndices(query);
	if (listed === undefined) return `--gpus ${requested.join(',')}: nvidia-smi is not available here, so no GPU can be checked or used`;
	const missing = requested.filter(g => !listed.includes(g));
	if (missing.length === 0) return undefined;
	const have = listed.length === 0 ? 'lists no GPU' : `lists ${listed.length === 1 ? 'GPU' : 'GPUs'} ${listed.join(', ')}`;
	return `--gpus ${requested.join(',')}: ${missing.length === 1 ? 'GPU' : 'GPUs'} ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not on this machine (nvidia-smi ${have})`;
}
