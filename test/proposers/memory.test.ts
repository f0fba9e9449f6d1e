import {readFileSync} from 'node:fs';
import {createTwoFilesPatch} from 'diff';
import {describe, expect, it} from 'vitest';
import {buildDigest, describeMemory, movesOf} from '../../source/proposers/memory.js';
import {buildChatMessages, buildProposalMessages, promptBudget} from '../../source/proposers/prompt.js';
import type {ExperimentMemory} from '../../source/core/proposer.js';
import type {ExperimentRecord} from '../../source/core/types.js';
import {rules, train} from './support.js';

const bundled = readFileSync(new URL('../../train/train.py', import.meta.url), 'utf8');
const file = 'train/train.py';
const diff = (before: string, after: string) => createTwoFilesPatch(`a/${file}`, `b/${file}`, before, after, '', '', {context: 3});
const set = (source: string, name: string, value: string) => source.replace(new RegExp(`^${name} = \\S+`, 'm'), `${name} = ${value}`);

function memory(
	n: number,
	status: ExperimentMemory['status'],
	description: string,
	after: string,
	extra: Partial<ExperimentMemory> = {},
): ExperimentMemory {
	return {n, description, status, metric: status === 'crash' ? null : 1.2, diff: diff(train, after), ...extra};
}

describe('movesOf', () => {
	it('reads constants moved up, down or changed, and code changed in a scope', () => {
		expect(movesOf(diff(train, set(train, 'LEARNING_RATE', '6e-4')))).toEqual([{kind: 'constant', name: 'LEARNING_RATE', way: 'up'}]);
		expect(movesOf(diff(train, set(set(train, 'DEPTH', '2'), 'WARMUP_RATIO', '0.2')))).toEqual([
			{kind: 'constant', name: 'WARMUP_RATIO', way: 'up'},
			{kind: 'constant', name: 'DEPTH', way: 'down'},
		]);
		expect(movesOf(diff(train, train.replace('min(1.0,', 'min(0.9,')))).toEqual([{kind: 'area', scope: 'lr_at'}]);
		expect(movesOf(diff(train, train.replace('import torch', 'import torch\nimport math')))).toEqual([{kind: 'area', scope: null}]);
	});

	it('finds the scope in the file as it is now when the diff context does not show it', () => {
		const after = bundled.replace('        return self.down(F.relu(self.up(x)).square())', '        return self.down(F.gelu(self.up(x)))');
		expect(movesOf(createTwoFilesPatch(`a/${file}`, `b/${file}`, bundled, after, '', '', {context: 1}), {[file]: bundled})).toEqual([
			{kind: 'area', scope: 'MLP.forward'},
		]);
		const ratio = bundled.replace('        return (progress + 1e-3) / WARMUP_RATIO', '        return progress / WARMUP_RATIO');
		expect(movesOf(createTwoFilesPatch(`a/${file}`, `b/${file}`, bundled, ratio, '', '', {context: 0}), {[file]: bundled})).toEqual([
			{kind: 'area', scope: 'lr_multiplier'},
		]);
	});
});

describe('the memory digest', () => {
	const history: ExperimentMemory[] = [
		{n: 1, description: 'baseline', status: 'keep', metric: 1.2, diff: '', runs: 3, band: 0.01},
		memory(2, 'discard', 'DEPTH 4 -> 8', set(train, 'DEPTH', '8'), {metric: 1.25, delta: 0.05, band: 0.01}),
		memory(3, 'keep', 'LEARNING_RATE 3e-4 -> 6e-4', set(train, 'LEARNING_RATE', '6e-4'), {metric: 1.15, delta: -0.05, band: 0.01, runs: 2}),
		memory(4, 'crash', 'DEPTH 4 -> 64', set(train, 'DEPTH', '64')),
		memory(5, 'discard', 'WARMUP_RATIO 0.1 -> 0.05', set(train, 'WARMUP_RATIO', '0.05'), {metric: 1.155, delta: 0.005, band: 0.01}),
		memory(6, 'discard', 'cosine warmup', train.replace('min(1.0,', 'min(0.9,'), {metric: 1.17, delta: 0.02, band: 0.01}),
		memory(7, 'discard', 'linear warmup', train.replace('(step + 1)', '(step + 2)'), {metric: 1.19, delta: 0.04, band: 0.01}),
		memory(8, 'discard', 'LEARNING_RATE 6e-4 -> 1e-3', set(train, 'LEARNING_RATE', '1e-3'), {metric: 1.151, delta: 0.001, band: 0.01}),
		memory(9, 'discard', 'LEARNING_RATE 6e-4 -> 5e-4', set(train, 'LEARNING_RATE', '2e-4'), {metric: 1.16, delta: 0.01, band: 0.005}),
		memory(10, 'discard', 'LEARNING_RATE 6e-4 -> 8e-4', set(train, 'LEARNING_RATE', '8e-4'), {metric: 1.3, delta: 0.15, band: 0.01}),
	];

	it('holds the lineage of the best, the dead ends, the near misses and a nudge', () => {
		const digest = buildDigest(history, {direction: 'lower', files: {[file]: train}});
		expect(digest.lineage.map(t => t.n)).toEqual([1, 3]);
		// Raising the learning rate was kept (#3), then failed twice from there: a dead end again.
		expect(digest.deadEnds.map(d => [d.move, d.tries.map(t => t.n)])).toEqual([
			[{kind: 'constant', name: 'LEARNING_RATE', way: 'up'}, [8, 10]],
			[{kind: 'area', scope: 'lr_at'}, [6, 7]],
			[{kind: 'constant', name: 'DEPTH', way: 'up'}, [2, 4]],
		]);
		expect(digest.nearMisses.map(t => t.n)).toEqual([8, 5]);
		expect(digest.nudge).toEqual({subject: {kind: 'constant', name: 'LEARNING_RATE', way: 'changed'}, count: 3, elsewhere: ['lr_at']});
		const text = describeMemory(history, {direction: 'lower', files: {[file]: train}});
		expect(text).toBe(
			[
				'10 experiments decided: 2 kept, 7 discarded, 1 crashed.',
				'How the best came to be, oldest first (each kept change: the metric, its gain over the best before it ± the noise):',
				'- #1 baseline: 1.2',
				'- #3 LEARNING_RATE 3e-4 -> 6e-4: 1.15 (-0.05 ±0.01, 2 runs)',
				'Dead ends (failed twice or more, never kept since; do not try them again):',
				'- raising LEARNING_RATE: #8 LEARNING_RATE 6e-4 -> 1e-3 (+0.001 ±0.01); #10 LEARNING_RATE 6e-4 -> 8e-4 (+0.15 ±0.01)',
				'- changes in lr_at: #6 cosine warmup (+0.02 ±0.01); #7 linear warmup (+0.04 ±0.01)',
				'- raising DEPTH: #2 DEPTH 4 -> 8 (+0.05 ±0.01); #4 DEPTH 4 -> 64 (crashed)',
				'Near misses (discarded within the noise of the best; candidates to combine with another change):',
				'- #8 LEARNING_RATE 6e-4 -> 1e-3 (+0.001 ±0.01)',
				'- #5 WARMUP_RATIO 0.1 -> 0.05 (+0.005 ±0.01)',
				'The last 3 experiments were all changing LEARNING_RATE: try another part of the file, for example lr_at.',
			].join('\n'),
		);
	});

	it('forgets a dead end once the same move is kept, and is the same text for the same history', () => {
		const revived = [...history, memory(11, 'keep', 'DEPTH 4 -> 6', set(train, 'DEPTH', '6'), {metric: 1.1, delta: -0.05, band: 0.01})];
		expect(buildDigest(revived, {direction: 'lower'}).deadEnds.map(d => d.move)).not.toContainEqual({
			kind: 'constant',
			name: 'DEPTH',
			way: 'up',
		});
		const options = {direction: 'lower' as const, files: {[file]: train}};
		expect(describeMemory(structuredClone(history), options)).toBe(describeMemory(history, options));
		expect(describeMemory([], options)).toBe('No experiments decided yet.');
	});
});

/** 500 experiments on the bundled train.py: constants moved every way, code changed all over, some kept. */
function longHistory(): {history: ExperimentMemory[]; results: ExperimentRecord[]} {
	const names = [...bundled.matchAll(/^([A-Z][A-Z0-9_]*) = ([\d.e-]+)/gm)].map(m => [m[1]!, m[2]!] as const);
	const history: ExperimentMemory[] = [];
	const results: ExperimentRecord[] = [];
	let best = 1.6;
	for (let n = 1; n <= 500; n++) {
		const [name, value] = names[(n * 7) % names.length]!;
		const code = n % 5 === 0;
		const after = code
			? bundled.replace('F.relu(self.up(x)).square()', `F.relu(self.up(x)).square() * ${1 + n / 1000}`)
			: set(bundled, name, String(Number(value) * (n % 2 ? 2 : 0.5)));
		const status: ExperimentMemory['status'] = n === 1 || n % 37 === 0 ? 'keep' : n % 11 === 0 ? 'crash' : 'discard';
		const before = best;
		const metric = status === 'crash' ? null : status === 'keep' ? (best -= 0.01) : best + ((n * 13) % 17) / 1000;
		const description = code
			? `scale the MLP output by ${1 + n / 1000} to see whether a larger residual helps`
			: `${name} ${value} -> ${Number(value) * (n % 2 ? 2 : 0.5)} to probe the response of the loss`;
		history.push({
			n,
			description,
			status,
			metric,
			diff: n === 1 ? '' : diff(bundled, after),
			band: 0.008,
			runs: 2,
			...(metric === null || n === 1 ? {} : {delta: metric - before}),
		});
		results.push({row: n, n, commit: `c${n}`.padEnd(7, '0'), metric, memoryGb: 1, status, description, runs: 2, band: 0.008});
	}
	return {history, results};
}

describe('the digest in the prompt', () => {
	const {history, results} = longHistory();
	const request = (numCtx: number, numPredict: number) =>
		buildProposalMessages(
			{
				n: 501,
				goal: readFileSync(new URL('../../program.md', import.meta.url), 'utf8')
					.split('---')
					.slice(2)
					.join('---'),
				rules,
				files: {[file]: bundled},
				results,
				notes: [],
				history,
			},
			{numCtx, numPredict},
		);

	it('fits num_ctx 32768 less num_predict with 500 experiments, the digest whole', () => {
		const built = request(32768, 4096);
		expect(built.tokens).toBeLessThanOrEqual(promptBudget({numCtx: 32768, numPredict: 4096}));
		expect(built.tokens).toBeLessThanOrEqual(32768 - 4096);
		const user = built.messages[1]!.content;
		expect(user).toContain('# What the experiments so far taught\n500 experiments decided');
		expect(user).toContain('Dead ends');
		expect(user).toContain('Near misses');
		expect(user).toContain('(2 kept changes in between not shown)');
		expect(built.trimmed).toMatchObject({droppedResults: 0, droppedMemory: 0});
	});

	it('fits 8192 too: old rows go first, the digest is cut last', () => {
		const built = request(8192, 1024);
		expect(built.tokens).toBeLessThanOrEqual(8192 - 1024);
		const user = built.messages[1]!.content;
		expect(user).toContain('500 experiments decided');
		expect(user).toContain(bundled.trim());
		expect(user).toContain('Dead ends');
		expect(built.trimmed.droppedResults).toBeGreaterThan(400);
		expect(built.trimmed.droppedMemory).toBe(0);
		// Tighter still: the digest shrinks once the rows are down to the newest five.
		const tight = request(6144, 1024);
		expect(tight.tokens).toBeLessThanOrEqual(6144 - 1024);
		expect(tight.trimmed.droppedResults).toBe(495);
		expect(tight.trimmed.droppedMemory).toBeGreaterThan(0);
		expect(tight.messages[1]!.content).toContain('500 experiments decided');
	});

	it('is in the chat, so that "what worked so far?" has an answer', () => {
		const built = buildChatMessages(
			{message: 'what worked so far?', goal: 'g', rules, results, notes: [], history, files: {[file]: bundled}},
			{numCtx: 8192, numPredict: 1024},
		);
		const user = built.messages[1]!.content;
		expect(user).toContain('How the best came to be');
		expect(built.tokens).toBeLessThanOrEqual(promptBudget({numCtx: 8192, numPredict: 1024}));
	});
});
