import {describe, expect, it} from 'vitest';
import type {LoopEvent} from '../../source/core/events.js';
import {parseNvidiaSmi, startGpuPolling, type SmiQuery} from '../../source/core/gpu.js';

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

describe('nvidia-smi output', () => {
	it('reads one line per GPU', () => {
		const output = '0, NVIDIA H100 80GB HBM3, 97, 45060, 81559, 64\n1, NVIDIA H100 80GB HBM3, 3, 10, 81559, 30\n';
		expect(parseNvidiaSmi(output)).toEqual([
			{index: 0, name: 'NVIDIA H100 80GB HBM3', utilization: 97, memoryUsedMb: 45060, memoryTotalMb: 81559, temperatureC: 64},
			{index: 1, name: 'NVIDIA H100 80GB HBM3', utilization: 3, memoryUsedMb: 10, memoryTotalMb: 81559, temperatureC: 30},
		]);
	});

	it.each([
		['empty', '', []],
		[
			'blank lines and CRLF',
			'\r\n0, A, 1, 2, 3, 4\r\n\r\n',
			[{index: 0, name: 'A', utilization: 1, memoryUsedMb: 2, memoryTotalMb: 3, temperatureC: 4}],
		],
		['an error message is no GPU', 'NVIDIA-SMI has failed because it could not communicate with the NVIDIA driver.', []],
		['a header line is skipped', 'index, name, utilization.gpu [%], memory.used [MiB], memory.total [MiB], temperature.gpu\n', []],
		['too few fields', '0, A, 1, 2', []],
	])('%s', (_name, output, expected) => {
		expect(parseNvidiaSmi(output)).toEqual(expected);
	});

	it('keeps a GPU whose fields nvidia-smi cannot tell (MIG: [N/A]) with those as NaN', () => {
		const [gpu] = parseNvidiaSmi('0, NVIDIA A100-SXM4-40GB MIG 1g.5gb, [N/A], 1000, [Not Supported], 41\n');
		expect(gpu!.name).toBe('NVIDIA A100-SXM4-40GB MIG 1g.5gb');
		expect(gpu!.utilization).toBeNaN();
		expect(gpu!.memoryUsedMb).toBe(1000);
		expect(gpu!.memoryTotalMb).toBeNaN();
		expect(gpu!.temperatureC).toBe(41);
	});

	it('reads a name with a comma in it', () => {
		expect(parseNvidiaSmi('2, Tesla V100, PCIe, 5, 6, 7, 8')[0]).toMatchObject({
			index: 2,
			name: 'Tesla V100, PCIe',
			utilization: 5,
			temperatureC: 8,
		});
	});
});

describe('GPU polling', () => {
	it('never emits when nvidia-smi is absent or fails, and stops asking', async () => {
		for (const answer of [undefined, '', 'garbage']) {
			let calls = 0;
			const query: SmiQuery = async () => {
				calls++;
				return answer;
			};
			const events: LoopEvent[] = [];
			const stop = startGpuPolling(e => events.push(e), 5, query);
			await sleep(60);
			stop();
			expect(events).toEqual([]);
			expect(calls).toBe(1);
		}
		const throwing: SmiQuery = async () => {
			throw new Error('spawn nvidia-smi ENOENT');
		};
		const events: LoopEvent[] = [];
		const stop = startGpuPolling(e => events.push(e), 5, throwing);
		await sleep(30);
		stop();
		expect(events).toEqual([]);
	});

	it('emits readings every interval, skips a failed one, and stops cleanly', async () => {
		let calls = 0;
		let aborted = false;
		const query: SmiQuery = async signal => {
			calls++;
			signal.addEventListener('abort', () => (aborted = true));
			return calls === 2 ? undefined : `0, H100, ${calls}, 1, 2, 3`;
		};
		const events: LoopEvent[] = [];
		const stop = startGpuPolling(e => events.push(e), 10, query);
		await sleep(75);
		stop();
		const seen = events.length;
		expect(seen).toBeGreaterThanOrEqual(3);
		expect(events.every(e => e.type === 'gpu')).toBe(true);
		expect(events.map(e => (e.type === 'gpu' ? e.gpus[0]!.utilization : -1))).not.toContain(2);
		expect(aborted).toBe(true);
		await sleep(50);
		expect(events.length).toBe(seen);
	});

	it('gives up after five failures in a row', async () => {
		let calls = 0;
		const query: SmiQuery = async () => (++calls === 1 ? '0, H100, 1, 1, 2, 3' : undefined);
		const stop = startGpuPolling(() => undefined, 2, query);
		await sleep(100);
		stop();
		expect(calls).toBe(6);
	});
});
