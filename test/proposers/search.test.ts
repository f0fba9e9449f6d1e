import {describe, expect, it} from 'vitest';
import {formatValue, parseHyperparameters, parseLiteral, replaceValue, type Value} from '../../source/proposers/hyperparams.js';
import type {CheckResult, InFlight, Proposal, ProposalRequest} from '../../source/core/proposer.js';
import {parseMoves, SearchProposer} from '../../source/proposers/search.js';
import {further, ladder, way} from '../../source/proposers/steps.js';
import {applyEdits} from '../../source/core/edits.js';
import type {ExperimentRecord} from '../../source/core/types.js';
import {driveFile, searchRequest} from './search-support.js';

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
			judge: 'single',
			baselineRuns: 1,
			confirmRuns: 0,
		},
		files,
		results,
		notes: [],
		inFlight: [],
		history: [],
		machine: {device: 'cpu', workers: 1},
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
	const value = (text: string) =>
		objective(new Map(parseHyperparameters(text).flatMap(p => (p.kind === 'choice' ? [] : [[p.name, p.value] as const]))));
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

const block = (...lines: string[]) =>
	['import torch', '# --- hyperparameters ---', ...lines, '# --- end hyperparameters ---', ''].join('\n');
const knob = (text: string, name: string) => parseHyperparameters(text).find(p => p.name === name)!;

describe('the steps of each kind', () => {
	const text = block(
		'DEPTH = 8  # layers',
		'WARMUP_STEPS = 300',
		'DEVICE_BATCH = 128',
		'TOTAL_BATCH = 2**19',
		'LR = 3e-3',
		'ADAM_BETAS = (0.8, 0.95)',
		'WINDOW = "SSSL"  # choices: "SSSL", "SSLL", "LLLL"',
		'KIND = "gpt"',
		'USE_ROPE = True',
		'OFFSET = -4',
	);
	const cases: Array<{name: string; up: Value[]; down: Value[]}> = [
		{name: 'DEPTH', up: [9, 10, 12, 16], down: [7, 6, 4]},
		{name: 'WARMUP_STEPS', up: [310, 320, 340, 380, 460, 600], down: [290, 280, 260, 220, 150]},
		{name: 'DEVICE_BATCH', up: [256], down: [64]},
		{name: 'TOTAL_BATCH', up: [2 ** 20], down: [2 ** 18]},
		{name: 'LR', up: [6e-3, 4.24e-3, 3.57e-3, 3.27e-3], down: [1.5e-3, 2.12e-3, 2.52e-3, 2.75e-3]},
		{name: 'ADAM_BETAS[0]', up: [0.9, 0.859, 0.832, 0.817], down: [0.6, 0.717, 0.762, 0.782]},
		{name: 'ADAM_BETAS[1]', up: [0.975, 0.965, 0.958, 0.954], down: [0.9, 0.929, 0.941, 0.945]},
		{name: 'WINDOW', up: ['SSLL', 'LLLL'], down: []},
		{name: 'USE_ROPE', up: [0], down: []},
		{name: 'OFFSET', up: [-3, -2], down: [-5, -6, -8]},
	];
	it.each(cases)('$name', ({name, up, down}) => {
		expect(ladder(knob(text, name), 1)).toEqual(up);
		expect(ladder(knob(text, name), -1)).toEqual(down);
	});

	it('leaves a string without choices alone', () => {
		expect(parseHyperparameters(text).some(p => p.constant === 'KIND')).toBe(false);
	});

	it('writes powers as powers and tuple elements in place', async () => {
		const files = {'train.py': text};
		const seen = new Set<string>();
		const results: ExperimentRecord[] = [{row: 1, n: 1, commit: 'a', metric: 1, memoryGb: 0, status: 'keep', description: 'baseline'}];
		for (let n = 2; n < 24; n++) {
			const proposal = await new SearchProposer().propose(searchRequest(n, files, results));
			seen.add(proposal.description);
			results.push({row: n, n, commit: String(n), metric: 1.5, memoryGb: 0, status: 'discard', description: proposal.description});
		}
		expect(seen).toContain('TOTAL_BATCH 2**19 -> 2**20');
		expect(seen).toContain('ADAM_BETAS[0] 0.8 -> 0.9');
		expect(seen).toContain('WINDOW "SSSL" -> "SSLL"');
		expect(seen).toContain('USE_ROPE True -> False');
		// Depth by one each way first, then by two.
		const depth = [...seen].filter(d => d.startsWith('DEPTH'));
		expect(depth.slice(0, 2).sort()).toEqual(['DEPTH 8 -> 7', 'DEPTH 8 -> 9']);
		expect(depth[2]).toMatch(/^DEPTH 8 -> (10|6)$/);
		expect([...seen].some(d => /KIND/.test(d))).toBe(false);
	});

	it('pushes a kept move further by the same step', () => {
		const after = (from: string, to: string, name: string) => knob(text.replace(from, to), name);
		expect(further(after('DEPTH = 8', 'DEPTH = 9', 'DEPTH'), 8, 9)).toBe(10);
		expect(further(after('2**19', '2**20', 'TOTAL_BATCH'), 2 ** 19, 2 ** 20)).toBe(2 ** 21);
		expect(further(after('0.95)', '0.975)', 'ADAM_BETAS[1]'), 0.95, 0.975)).toBeCloseTo(0.9875, 3);
		expect(further(after('LR = 3e-3', 'LR = 1.5e-3', 'LR'), 3e-3, 1.5e-3)).toBe(7.5e-4);
		expect(further(knob(text, 'WINDOW'), 'SSLL', 'SSSL')).toBeUndefined();
	});
});

describe('the words of a rationale', () => {
	const text = block(
		'LEARNING_RATE = 3e-3',
		'ADAM_BETA1 = 0.9',
		'ADAM_BETAS = (0.8, 0.95)',
		'WARMUP_RATIO = 0.1',
		'MLP_RATIO = 4.0',
		'DROPOUT = 0.0',
		'SHIFT = -0.5',
		'DEPTH = 8',
		'OFFSET = -3',
		'TOTAL_BATCH = 2**19',
		'WIDTH = 512',
		'STEPS = 1500',
	);
	const words = (rationale: string, name: string) =>
		[...rationale.matchAll(new RegExp(`${name.replace(/[[\]]/g, '\\$&')} (up|down)\\b`, 'g'))].map(m => m[1]);

	it('say the way every value actually went, over many constants, both ways, kept or not', async () => {
		const seen = new Set<string>();
		for (const keepEvery of [0, 3]) {
			let n = 0;
			const objective = () => (keepEvery > 0 && ++n % keepEvery === 0 ? 1 - n : 1 + n);
			const {results, rationales} = await driveFile('train.py', {'train.py': text}, objective, 80);
			for (const [i, rationale] of rationales.entries()) {
				for (const move of parseMoves(results[i + 1]!.description)) {
					const said = words(rationale, move.name);
					const went = Number(move.to) > Number(move.from) ? 'up' : 'down';
					expect(said, `#${i + 2} ${results[i + 1]!.description}: ${rationale}`).toEqual([went]);
					seen.add(`${move.name} ${went}`);
				}
			}
		}
		const names = parseHyperparameters(text).map(p => p.name);
		for (const name of names.filter(n => n !== 'DROPOUT'))
			expect([...seen]).toEqual(expect.arrayContaining([`${name} up`, `${name} down`]));
		expect(way(knob(text, 'ADAM_BETA1'), 0.9, 0.95)).toBe('up');
	});

	it('never moves a beta the other way than it says (0.9 -> 0.95 is up)', () => {
		const beta = knob(text, 'ADAM_BETA1');
		expect(ladder(beta, -1).every(v => Number(v) < 0.9)).toBe(true);
		expect(ladder(beta, 1).every(v => Number(v) > 0.9 && Number(v) < 1)).toBe(true);
	});
});

describe('no repeats', () => {
	const text = block('DEPTH = 4  # layers', 'LEARNING_RATE = 0.01', 'USE_ROPE = True');
	const files = {'train.py': text};
	const baseline: ExperimentRecord = {row: 1, n: 1, commit: 'a', metric: 1, memoryGb: 0, status: 'keep', description: 'baseline'};
	const configOf = async (edits: Proposal['edits']) => {
		const applied = applyEdits(files, edits, ['train.py']);
		return applied.ok ? applied.files['train.py'] : undefined;
	};

	it('counts what runs now and what is prepared as tried', async () => {
		const search = new SearchProposer();
		const first = await search.propose(searchRequest(2, files, [baseline]));
		const second = await search.propose(
			searchRequest(3, files, [baseline], {inFlight: [{n: 2, description: first.description, state: 'running'}]}),
		);
		const inFlight: InFlight[] = [
			{n: 2, description: first.description, state: 'running'},
			{n: 3, description: `${second.description} [budget 20s]`, state: 'prepared'},
		];
		const third = await search.propose(searchRequest(4, files, [baseline], {inFlight}));
		const configs = await Promise.all([first, second, third].map(p => configOf(p.edits)));
		expect(new Set(configs).size).toBe(3);
		// Without them, the search would have proposed the first again.
		expect((await search.propose(searchRequest(2, files, [baseline]))).description).toBe(first.description);
	});

	it('takes the next candidate when the dry run says the edits repeat an experiment', async () => {
		const search = new SearchProposer();
		const plain = await search.propose(searchRequest(2, files, [baseline]));
		const checked: string[] = [];
		const check = async (edits: Proposal['edits']): Promise<CheckResult> => {
			const applied = applyEdits(files, edits, ['train.py']);
			checked.push(JSON.stringify(edits));
			if (applied.ok && applied.files['train.py'] === (await configOf(plain.edits))) {
				return {ok: false, reason: 'repeats #7', repeats: {n: 7, description: 'a hand edit', state: 'tried'}};
			}
			return applied;
		};
		const next = await search.propose(searchRequest(2, files, [baseline], {check}));
		expect(next.description).not.toBe(plain.description);
		expect(checked).toHaveLength(2);
	});

	it('gives up, saying why, when the dry run keeps refusing for another reason than a repeat', async () => {
		let calls = 0;
		const check = async (): Promise<CheckResult> => {
			calls++;
			return {ok: false, reason: 'train.py does not compile: SyntaxError'};
		};
		await expect(new SearchProposer().propose(searchRequest(2, files, [baseline], {check}))).rejects.toThrow(/refused 20 .*SyntaxError/);
		expect(calls).toBe(20);
	});

	it('reads tagged descriptions and skips re-runs when replaying the history', async () => {
		const results: ExperimentRecord[] = [
			baseline,
			{row: 2, n: 2, commit: 'b', metric: 1.2, memoryGb: 0, status: 'discard', description: 'DEPTH 4 -> 3 [mean of 3 runs]'},
			{row: 3, n: 3, commit: 'b', metric: 1.1, memoryGb: 0, status: 'rerun', description: 're-run of #2', of: 2},
			{row: 4, n: 4, commit: 'c', metric: 1.3, memoryGb: 0, status: 'discard', description: 'LEARNING_RATE 0.01 -> 0.02 [budget 20s]'},
		];
		expect(parseMoves('DEPTH 4 -> 3 [mean of 3 runs] [budget 20s]')).toEqual([{name: 'DEPTH', from: 4, to: 3}]);
		const search = new SearchProposer();
		const seen = new Set(results.map(r => r.description.replace(/ \[.*$/, '')));
		for (let n = 5; n < 12; n++) {
			const proposal = await search.propose(searchRequest(n, files, results));
			expect(seen.has(proposal.description), proposal.description).toBe(false);
			seen.add(proposal.description);
			results.push({
				row: n,
				n,
				commit: String(n),
				metric: 1.5,
				memoryGb: 0,
				status: 'discard',
				description: `${proposal.description} [mean of 2 runs]`,
			});
		}
	});
});

describe('noise', () => {
	const row = (n: number, description: string, metric: number, delta?: number, band?: number): ExperimentRecord => ({
		row: n,
		n,
		commit: String(n),
		metric,
		memoryGb: 0,
		status: n === 1 ? 'keep' : 'discard',
		description,
		...(delta === undefined ? {} : {delta, band}),
	});

	it('puts last a knob whose moves all stayed inside the noise band', async () => {
		const files = {'train.py': block('LR = 0.1', 'WD = 0.1')};
		const results = [
			row(1, 'baseline', 1),
			row(2, 'LR 0.1 -> 0.2', 1.01, 0.01, 0.05),
			row(3, 'LR 0.1 -> 0.05', 1.02, 0.02, 0.05),
			row(4, 'WD 0.1 -> 0.2', 1.3, 0.3, 0.05),
			row(5, 'WD 0.1 -> 0.05', 1.3, 0.3, 0.05),
		];
		expect((await new SearchProposer().propose(searchRequest(6, files, results))).description).toMatch(/^WD /);
		// Without a band, a metric that moved at all counts as a reaction: the file's order decides.
		const plain = results.map(r => ({...r, delta: undefined, band: undefined}));
		expect((await new SearchProposer().propose(searchRequest(6, files, plain))).description).toMatch(/^LR /);
	});

	it('pairs the near misses, those inside the band of the best', async () => {
		const files = {'train.py': block('A = True', 'B = True', 'C = True')};
		const results = [
			row(1, 'baseline', 1),
			row(2, 'A True -> False', 1.01, 0.01, 0.05),
			row(3, 'B True -> False', 1.02, 0.02, 0.05),
			row(4, 'C True -> False', 1.2, 0.2, 0.05),
		];
		const pair = await new SearchProposer().propose(searchRequest(5, files, results));
		expect(pair.description).toBe('A True -> False, B True -> False');
		expect(pair.rationale).toMatch(/near misses/);
		results.push(row(5, pair.description, 1.03, 0.03, 0.05));
		expect((await new SearchProposer().propose(searchRequest(6, files, results))).rationale).toMatch(/random/);
	});
});
