import {existsSync, readdirSync, readFileSync} from 'node:fs';
import path from 'node:path';
import {expect} from 'vitest';
import type {LoopEvent} from '../../source/core/events.js';
import {fakeProgram, fakeTrain} from '../support/fake-arena.js';
import type {SlurmCluster} from '../support/slurm-cluster.js';

// The fake arena's train.py, made to show where it ran: it prints the GPU
// Slurm gave it (CUDA_VISIBLE_DEVICES) and leaves `gpu.txt` in its run folder
// with that GPU and the wall-clock span it held it, and it takes
// STANDIN_SLEEP seconds more so that two workers' runs overlap. A test holds
// experiment N running (to cancel it, say) with a file named N in
// STANDIN_HOLD, made before the run starts: no race with a short run.

export const gpuTrain = fakeTrain.replace(
	'print("device: cpu", flush=True)\n',
	`print("device: cpu", flush=True)
gpu = os.environ.get("CUDA_VISIBLE_DEVICES", "")
print(f"cuda_visible_devices={gpu}", flush=True)
held_from = time.time()
time.sleep(float(os.environ.get("STANDIN_SLEEP", "0")))
hold = os.path.join(os.environ.get("STANDIN_HOLD", "/nonexistent"), os.environ.get("NIGHTSHIFT_EXPERIMENT", "-"))
held_until = time.time() + 60
while os.path.exists(hold) and time.time() < held_until:
    time.sleep(0.05)
with open(os.path.join(os.environ["NIGHTSHIFT_RUN_DIR"], "gpu.txt"), "w") as record:
    record.write(f"{gpu} {held_from} {time.time()}\\n")
`,
);

export const gpuProgram = fakeProgram.replace('timeout: 20', 'timeout: 60');

export type Held = {folder: string; gpu: string; from: number; to: number};

/** Each run's GPU and when it held it, from the gpu.txt files its runs left. */
export function heldGpus(runs: string): Held[] {
	return readdirSync(runs)
		.filter(f => /^\d{4,}-[0-9a-f]+$/.test(f) && existsSync(path.join(runs, f, 'gpu.txt')))
		.map(folder => {
			const [gpu, from, to] = readFileSync(path.join(runs, folder, 'gpu.txt'), 'utf8')
				.trim()
				.split(' ');
			return {folder, gpu: gpu ?? '', from: Number(from), to: Number(to)};
		});
}

/** Pairs of runs that held their GPUs at the same moment: none may share one. Returns how many pairs overlapped. */
export function expectDistinctGpus(held: Held[]): number {
	let overlapping = 0;
	for (const [i, a] of held.entries()) {
		for (const b of held.slice(i + 1)) {
			if (a.from < b.to && b.from < a.to) {
				overlapping++;
				expect(a.gpu, `${a.folder} and ${b.folder} ran at once`).not.toBe(b.gpu);
			}
		}
	}
	return overlapping;
}

/** Slurm's jobs, as squeue lists them now (pending, running, completing). */
export function queue(cluster: SlurmCluster): Array<{id: string; name: string; state: string}> {
	return cluster
		.client('squeue', '-h', '-o', '%i|%j|%T')
		.split('\n')
		.filter(Boolean)
		.map(line => {
			const [id, name, state] = line.split('|');
			return {id: id!, name: name!, state: state!};
		});
}

export const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

/** Waits (bounded) until `check` holds. */
export async function until(what: string, check: () => boolean, ms = 30_000): Promise<void> {
	const end = Date.now() + ms;
	while (!check()) {
		if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
		await sleep(100);
	}
}

/** The events of one type, from what a test collected. */
export function eventsOf<T extends LoopEvent['type']>(events: LoopEvent[], type: T): Array<Extract<LoopEvent, {type: T}>> {
	return events.filter((e): e is Extract<LoopEvent, {type: T}> => e.type === type);
}
