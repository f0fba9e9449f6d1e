import {describe, expect, it} from 'vitest';
import {parseNvidiaSmi} from '../../source/core/gpu.js';

describe('nvidia-smi', () => {
	it('reads one line per GPU and skips what it cannot read', () => {
		const output = '0, NVIDIA H100 80GB HBM3, 97, 45060, 81559, 64\n1, NVIDIA H100 80GB HBM3, [N/A], 10, 81559, 30\n\ngarbage\n';
		expect(parseNvidiaSmi(output)).toEqual([
			{index: 0, name: 'NVIDIA H100 80GB HBM3', utilization: 97, memoryUsedMb: 45060, memoryTotalMb: 81559, temperatureC: 64},
		]);
		expect(parseNvidiaSmi('')).toEqual([]);
	});
});
