import {describe, expect, it} from 'vitest';
import {formatValue, parseHyperparameters, parseLiteral, replaceValue} from '../../source/proposers/hyperparams.js';
import type {ProposalRequest} from '../../source/core/proposer.js';
import {parseMoves, SearchProposer} from '../../source/proposers/search.js';
import {applyEdits} from '../../source/core/edits.js';
import type {ExperimentRecord} from '../../source/core/types.js';

const train = `import torch
# --- hyperparameters ---
LEARNING_RATE = 3e-3  # peak learning rate
WEIGHT_DECAY = 0.1  # AdamW weight decay
CPU_DEPTH = 2  # layers on a CPU
CUDA_DEPTH = 8  # layers on a GPU
CPU_BATCH_SIZE = 32  # sequences per step
ADAM_BETA2 = 0.95  # second moment
USE_ROPE = True  # rotary embeddings
TOTAL_BATCH = 2**19  # tokens per step
NAME = "gpt"  # not tunable
# --- end hyperparameters ---
HIDDEN = 4  # outside the block
`;

describe('hyperparameter block', () => {
	it('reads the literals in the block only', () => {
		expect(parseHyperparameters(train).map(p => [p.name, p.kind, p.value])).toEqual([
			['LEARNING_RATE', 'float', 0.003],
			['WEIGHT_DECAY', 'float', 0.1],
			['CPU_DEPTH', 'int', 2],
			['CUDA_DEPTH', 'int', 8],
			['CPU_BATCH_SIZE', 'int', 32],
			['ADAM_BETA2', 'float', 0.95],
			['USE_ROPE', 'bool', 1],
			['TOTAL_BATCH', 'int', 524288],
		]);
	});

	it('reads every top-level constant when there are no markers', () => {
		expect(parseHyperparameters('A = 1\nB = 0.5  # x\n  C = 3\nd = 4\n').map(p => p.name)).toEqual(['A', 'B']);
	});

	it('writes values back in the style of the file', () => {
		const [lr, , , , , , , total] = parseHyperparameters(train);
		expect(replaceValue(lr!, 0.006)).toBe('LEARNING_RATE = 6e-3  # peak learning rate');
		expect(formatValue({kind: 'float', raw: '0.1'}, 0.05)).toBe('0.05');
		expect(formatValue({kind: 'float', raw: '0.1'}, 2)).toBe('2.0');
		expect(formatValue({kind: 'int', raw: '2**19'}, 2 ** 20)).toBe('2**20');
		expect(replaceValue(total!, 2 ** 18)).toBe('TOTAL_BATCH = 2**18  # tokens per step');
		expect(parseLiteral('1_000')).toEqual({kind: 'int', value: 1000});
		expect(parseLiteral('"x"')).toBeUndefined();
	});
});

function request(n: number, results: ExperimentRecord[], content = train, device?: string): ProposalRequest {
	const files = {'train/train.py': content};
	return {
		n,
		goal: '',
		rules: {
			editable: ['train/train.py'],
			command: 'python train.py',
			cwd: 'train',
			metric: 'val_bpb',
			direction: 'lower',
			budgetSeconds: 1,
			timeoutSeconds: 10,
			minImprovement: 0,
		},
		files,
		results,
		notes: [],
		check: async edits => applyEdits(files, edits, ['train/train.py']),
		signal: new AbortController().signal,
		emit: () => undefined,
		...(device ? {} : {}),
	};
}

/** Drives the search against a synthetic objective, as the loop would. */
async function drive(objective: (config: Map<string, number>) => number | null, steps: number, device: 'cpu' | 'cuda' = 'cpu') {
	const proposer = new SearchProposer({device});
	let content = train;
	const results: ExperimentRecord[] = [];
	const value = (text: string) => objective(new Map(parseHyperparameters(text).map(p => [p.name, p.value])));
	results.push({row: 1, n: 1, commit: '0000001', metric: value(content), memoryGb: 0, status: 'keep', description: 'baseline'});
	let best = results[0]!.metric!;
	const seen = new Set<string>([content]);
	for (let n = 2; n <= steps; n++) {
		const proposal = await proposer.propose(request(n, results, content));
		const applied = applyEdits({'train/train.py': content}, proposal.edits, ['train/train.py']);
		if (!applied.ok) throw new Error(applied.reason);
		const candidate = applied.files['train/train.py']!;
		expect(seen.has(candidate), `experiment ${n} repeats a configuration: ${proposal.description}`).toBe(false);
		seen.add(candidate);
		const metric = value(candidate);
		const status = metric === null ? 'crash' : metric < best ? 'keep' : 'discard';
		results.push({row: n, n, commit: String(n).padStart(7, '0'), metric, memoryGb: 0, status, description: proposal.description});
		if (status === 'keep') {
			best = metric!;
			content = candidate;
		}
	}
	return {results, best, content};
}

describe('the search proposer', () => {
	it('describes its moves so that a restart can read them back', async () => {
		const proposal = await new SearchProposer({device: 'cpu'}).propose(request(2, []));
		expect(parseMoves(proposal.description).length).toBeGreaterThanOrEqual(1);
		expect(proposal.edits[0]!.path).toBe('train/train.py');
		expect(parseMoves('LEARNING_RATE 3e-3 -> 6e-3, CPU_DEPTH 2 -> 3')).toEqual([
			{name: 'LEARNING_RATE', from: 0.003, to: 0.006},
			{name: 'CPU_DEPTH', from: 2, to: 3},
		]);
	});

	it('never repeats a configuration and improves a smooth objective', async () => {
		// Best at LR 0.02, depth 4, batch 64; the rest do not matter.
		const objective = (c: Map<string, number>) =>
			1 +
			Math.log(c.get('LEARNING_RATE')! / 0.02) ** 2 +
			0.1 * (c.get('CPU_DEPTH')! - 4) ** 2 +
			0.05 * Math.log2(c.get('CPU_BATCH_SIZE')! / 64) ** 2;
		const {results, best, content} = await drive(objective, 40);
		expect(best).toBeLessThan(results[0]!.metric! * 0.5);
		expect(content).toMatch(/CPU_DEPTH = [345]\b/);
		expect(results.every(r => !/CUDA_/.test(r.description))).toBe(true);
	});

	it('keeps pushing in a direction that worked and stops short of values that crashed', async () => {
		// Any learning rate above 0.01 crashes (NaN); below, higher is better.
		const objective = (c: Map<string, number>) => (c.get('LEARNING_RATE')! > 0.01 ? null : 1 - c.get('LEARNING_RATE')! * 10);
		const {results} = await drive(objective, 30);
		const lrMoves = results.flatMap(r =>
			parseMoves(r.description)
				.filter(m => m.name === 'LEARNING_RATE')
				.map(m => ({...m, status: r.status})),
		);
		expect(lrMoves.some(m => m.status === 'keep')).toBe(true);
		// After the first crash from a value, it does not go up from that value again.
		const crashes = lrMoves.filter(m => m.status === 'crash');
		for (const crash of crashes) {
			expect(crashes.filter(m => m.from === crash.from && m.to > m.from)).toHaveLength(1);
		}
	});

	it('names the block it needs when there is none', async () => {
		await expect(new SearchProposer().propose(request(2, [], 'print(1)\n'))).rejects.toThrow(/no hyperparameter block/);
	});
});
