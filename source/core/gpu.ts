import type {GpuReading, LoopEvent} from './events.js';
import {exec} from './exec.js';

// GPU utilisation, memory and temperature for the status bar, from
// nvidia-smi. Where there is no nvidia-smi (or it fails), nothing is sent
// and polling stops: a machine without a GPU shows no GPU, not an error.

const query = 'index,name,utilization.gpu,memory.used,memory.total,temperature.gpu';

/** Parses `nvidia-smi --query-gpu=... --format=csv,noheader,nounits` output. */
export function parseNvidiaSmi(output: string): GpuReading[] {
	const readings: GpuReading[] = [];
	for (const line of output.split('\n')) {
		const cols = line.split(',').map(c => c.trim());
		if (cols.length !== 6) continue;
		const [index, name, utilization, used, total, temperature] = cols;
		const numbers = [index, utilization, used, total, temperature].map(Number);
		if (numbers.some(x => !Number.isFinite(x))) continue;
		readings.push({
			index: numbers[0]!,
			name: name!,
			utilization: numbers[1]!,
			memoryUsedMb: numbers[2]!,
			memoryTotalMb: numbers[3]!,
			temperatureC: numbers[4]!,
		});
	}
	return readings;
}

/** Polls every `intervalMs` while readings come; returns the function that stops it. */
export function startGpuPolling(emit: (event: LoopEvent) => void, intervalMs = 5000): () => void {
	let stopped = false;
	let timer: NodeJS.Timeout | undefined;
	const poll = async (): Promise<void> => {
		const result = await exec('nvidia-smi', [`--query-gpu=${query}`, '--format=csv,noheader,nounits'], {
			reject: false,
			timeout: 10_000,
			stdin: 'ignore',
		});
		if (stopped) return;
		const gpus = result.exitCode === 0 ? parseNvidiaSmi(String(result.stdout)) : [];
		if (gpus.length === 0) return; // No GPU, or no driver: stop asking.
		emit({type: 'gpu', gpus});
		timer = setTimeout(() => void poll(), intervalMs);
		timer.unref();
	};
	void poll();
	return () => {
		stopped = true;
		if (timer) clearTimeout(timer);
	};
}
