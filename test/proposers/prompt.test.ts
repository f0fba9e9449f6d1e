import {describe, expect, it} from 'vitest';
import {buildSystemPrompt, nestHeadings, renderResults} from '../../source/proposers/model-text.js';
import {
	buildChatMessages,
	buildProposalMessages,
	describeTrim,
	estimateMessagesTokens,
	estimateTokens,
	promptBudget,
	PromptTooLargeError,
	TokenCalibration,
	type ProposalInput,
} from '../../source/proposers/prompt.js';
import type {ExperimentRecord, SteeringNote} from '../../source/core/types.js';
import {rules} from './support.js';

const train = 'import torch\nLEARNING_RATE = 3e-4  # peak learning rate\nDEPTH = 4\n';

function records(count: number): ExperimentRecord[] {
	return Array.from({length: count}, (_, i) => ({
		row: i + 1,
		n: i + 1,
		commit: `c${i}`.padEnd(7, '0'),
		// Experiment 3 is the best by far; the rest drift.
		metric: i === 2 ? 0.9 : i % 7 === 6 ? null : 1.1 + (i % 5) * 0.01,
		memoryGb: 1,
		status: i === 2 ? 'keep' : i % 7 === 6 ? 'crash' : 'discard',
		description: i === 0 ? 'baseline' : `experiment number ${i + 1} tried something with a fairly long description`,
	}));
}

const notes = (count: number): SteeringNote[] =>
	Array.from({length: count}, (_, i) => ({
		id: i + 1,
		text: `note ${i + 1}: ${'please focus on the optimizer '.repeat(3)}`,
		at: '2025-01-01T00:00:00Z',
	}));

const input = (over: Partial<ProposalInput> = {}): ProposalInput => ({
	n: 42,
	goal: 'Lower val_bpb on the small corpus.',
	rules,
	files: {'train/train.py': train},
	results: records(3),
	notes: [],
	...over,
});

const userOf = (messages: Array<{role: string; content: string}>) => messages.find(m => m.role === 'user')!.content;

describe('the system prompt', () => {
	it('states the rules and the exact answer format with an example block', () => {
		const s = buildSystemPrompt(rules, {path: 'train/train.py', search: 'DEPTH = 4', replace: 'DEPTH = 8'});
		expect(s).toContain('Edit only these files: train/train.py');
		expect(s).toContain('One focused change per experiment');
		expect(s).toContain('Never repeat an experiment');
		expect(s).toContain('DESCRIPTION:');
		expect(s).toContain('RATIONALE:');
		expect(s).toContain('train/train.py\n<<<<<<< SEARCH\nDEPTH = 4\n=======\nDEPTH = 8\n>>>>>>> REPLACE');
		expect(s).toContain('\n=======\n');
		expect(s).toContain('\n>>>>>>> REPLACE');
		expect(s).toContain('val_bpb (lower is better)');
	});
});

describe('the proposal prompt', () => {
	it('carries the goal, the files with their paths, every result, the crash and the notes', () => {
		const built = buildProposalMessages(
			input({
				notes: notes(2),
				lastCrash: {n: 2, description: 'depth 64', logTail: 'Traceback\nRuntimeError: CUDA out of memory'},
			}),
			{numCtx: 32768, numPredict: 4096},
		);
		expect(built.messages.map(m => m.role)).toEqual(['system', 'user']);
		const user = userOf(built.messages);
		expect(user).toContain('Lower val_bpb on the small corpus.');
		expect(user).toContain('train/train.py\n```python\nimport torch');
		expect(user).toContain('Best val_bpb so far: 0.9 (experiment 3');
		expect(user).toContain('1 | 1.1 | discard | baseline');
		expect(user).toContain('RuntimeError: CUDA out of memory');
		expect(user).toContain('The human says: note 1');
		expect(user).toContain('The human says: note 2');
		expect(user).toContain('Propose experiment 42');
		expect(built.trimmed).toEqual({droppedResults: 0, droppedCrashLines: 0, droppedNotes: 0, shortenedAnswers: 0, droppedMemory: 0});
		expect(built.tokens).toBe(estimateMessagesTokens(built.messages));
	});

	it('lists the tried experiments newest first, and the best kept ones apart', () => {
		const text = renderResults(records(10), rules).text;
		const tried = text.slice(text.indexOf('newest first'));
		expect(tried.indexOf('\n10 |')).toBeLessThan(tried.indexOf('\n9 |'));
		expect(text.indexOf('Best kept experiments')).toBeLessThan(text.indexOf('newest first'));
		expect(text).toContain('7 | - | crash |');
		// Discards worse than the best are no best, whichever the direction.
		const best = (t: string) => t.slice(t.indexOf('Best kept'), t.indexOf('Experiments tried'));
		expect(best(text).trim().split('\n').slice(2)).toEqual([
			'3 | 0.9 | keep | experiment number 3 tried something with a fairly long description',
		]);
		const higher = renderResults(records(10), {...rules, direction: 'higher'}).text;
		expect(higher).toMatch(/Best val_bpb so far: 0\.9/);
		expect(best(higher)).not.toContain('discard');
	});

	it('leaves re-runs out of the table and shows the noise band and runs where there are some', () => {
		const rows: ExperimentRecord[] = [
			{...records(1)[0]!, status: 'keep', runs: 3, band: 0.012},
			{row: 2, n: 1, commit: 'c0', metric: 1.1, memoryGb: 1, status: 'rerun', description: 'baseline', of: 1},
			{row: 3, n: 2, commit: 'c1', metric: 1.05, memoryGb: 1, status: 'keep', description: 'LR up', runs: 2, band: 0.01, delta: -0.05},
		];
		const text = renderResults(rows, rules).text;
		expect(text).toContain('1 | 1.1 (±0.012, 3 runs) | keep | baseline');
		expect(text).toContain('2 | 1.05 (±0.01, 2 runs) | keep | LR up');
		expect(text).not.toContain('rerun');
		expect(text.match(/\| baseline/g)).toHaveLength(1);
	});

	it('fences file content that holds backticks with a longer fence', () => {
		const user = userOf(
			buildProposalMessages(input({files: {'train/train.py': 'x = """\n```\n"""\n'}}), {numCtx: 32768, numPredict: 4096}).messages,
		);
		expect(user).toContain('````python\nx = """\n```\n"""\n````');
	});

	it('drops old result rows first when the prompt is too large, keeping the best and the newest', () => {
		const many = records(400);
		const limits = {numCtx: 8192, numPredict: 2048};
		const built = buildProposalMessages(
			input({results: many, notes: notes(3), lastCrash: {n: 399, description: 'x', logTail: 'line\n'.repeat(30)}}),
			limits,
		);
		expect(built.tokens).toBeLessThanOrEqual(promptBudget(limits));
		expect(built.trimmed.droppedResults).toBeGreaterThan(0);
		expect(built.trimmed.droppedNotes).toBe(0);
		expect(built.trimmed.droppedCrashLines).toBe(0);
		expect(built.trimmed.droppedMemory).toBe(0);
		const user = userOf(built.messages);
		expect(user).toContain('400 | ');
		expect(user).toContain('3 | 0.9 | keep');
		expect(user).toMatch(/\(\d+ older experiments not shown\)/);
		expect(user).not.toContain('\n4 | 1.13 | discard');
		expect(user).toContain('The human says: note 1');
		expect(user).toContain(train.trim());
		expect(describeTrim(built.trimmed)).toMatch(/older result rows/);
	});

	it('then shortens the crash log, then drops notes oldest first, and never cuts the files', () => {
		const big = 'x = 0\n'.repeat(2700); // 16200 chars: ~4630 tokens of a 5888-token budget
		const limits = {numCtx: 8192, numPredict: 2048};
		const crash = {n: 9, description: 'boom', logTail: Array.from({length: 200}, (_, i) => `log line ${i} ${'.'.repeat(40)}`).join('\n')};
		const built = buildProposalMessages(
			input({files: {'train/train.py': big}, results: records(50), notes: notes(12), lastCrash: crash}),
			limits,
		);
		expect(built.tokens).toBeLessThanOrEqual(promptBudget(limits));
		const user = userOf(built.messages);
		expect(user).toContain(big.trimEnd());
		expect(built.trimmed.droppedResults).toBe(45);
		expect(built.trimmed.droppedCrashLines).toBe(200);
		expect(user).toContain('Experiment 9 (boom) crashed.');
		expect(user).not.toContain('log line');
		expect(built.trimmed.droppedNotes).toBeGreaterThan(0);
		expect(built.trimmed.droppedNotes).toBeLessThan(12);
		expect(user).not.toContain('note 1:');
		expect(user).toContain('note 12:');
		// With a smaller file, the crash log is cut from its start and no note is lost.
		const smaller = buildProposalMessages(
			input({files: {'train/train.py': 'x = 0\n'.repeat(2500)}, results: records(50), notes: notes(12), lastCrash: crash}),
			limits,
		);
		expect(smaller.trimmed.droppedNotes).toBe(0);
		expect(smaller.trimmed.droppedCrashLines).toBeGreaterThan(100);
		expect(smaller.trimmed.droppedCrashLines).toBeLessThan(200);
		expect(userOf(smaller.messages)).toContain('log line 199');
	});

	it('drops notes oldest first when they are what does not fit', () => {
		const limits = {numCtx: 4096, numPredict: 1024};
		const long: SteeringNote[] = Array.from({length: 30}, (_, i) => ({id: i, text: `N${i} ${'keep the model small '.repeat(12)}`, at: ''}));
		const built = buildProposalMessages(input({notes: long}), limits);
		expect(built.trimmed.droppedNotes).toBeGreaterThan(0);
		expect(built.trimmed.droppedNotes).toBeLessThan(30);
		const user = userOf(built.messages);
		expect(user).toContain('N29 ');
		expect(user).not.toContain('N0 ');
	});

	it('throws a clear error when the files alone do not fit', () => {
		const huge = 'y = 1\n'.repeat(20000);
		expect(() => buildProposalMessages(input({files: {'train/train.py': huge}}), {numCtx: 8192, numPredict: 2048})).toThrow(
			PromptTooLargeError,
		);
		expect(() => buildProposalMessages(input({files: {'train/train.py': huge}}), {numCtx: 8192, numPredict: 2048})).toThrow(
			/raise num_ctx/,
		);
	});

	it('keeps retries in the conversation and fits them too, shortening earlier answers first', () => {
		const limits = {numCtx: 8192, numPredict: 2048};
		const answer = Array.from({length: 400}, (_, i) => `answer line ${i} ${'z'.repeat(30)}`).join('\n');
		const built = buildProposalMessages(input({results: records(5)}), limits, [
			{answer, feedback: 'Your edit could not be applied: no match.'},
		]);
		expect(built.messages.map(m => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
		expect(built.messages[3]!.content).toBe('Your edit could not be applied: no match.');
		expect(built.trimmed.shortenedAnswers).toBe(1);
		expect(built.tokens).toBeLessThanOrEqual(promptBudget(limits));
	});

	it('estimates tokens at 3.5 characters each, rounded up, scaled by the calibration', () => {
		expect(estimateTokens('')).toBe(0);
		expect(estimateTokens('abcdefg')).toBe(2);
		expect(estimateTokens('a'.repeat(36))).toBe(11);
		expect(estimateTokens('a'.repeat(35), 1.2)).toBe(12);
		expect(promptBudget({numCtx: 32768, numPredict: 4096})).toBe(32768 - 4096 - 983);
	});

	it('calibrates the estimate per model from prompt_eval_count, bounded, ignoring cached prompts', () => {
		const c = new TokenCalibration();
		const messages = [{role: 'user' as const, content: 'x'.repeat(3500)}];
		const estimate = estimateMessagesTokens(messages);
		expect(c.scale('m')).toBe(1);
		c.observe('m', messages, Math.round(estimate * 1.3));
		expect(c.scale('m')).toBeCloseTo(1.3, 2);
		c.observe('m', messages, Math.round(estimate * 1.1));
		expect(c.scale('m')).toBeCloseTo(1.2, 2);
		expect(c.scale('other')).toBe(1);
		// A prompt Ollama mostly had cached counts a few tokens: not a tokenizer's measure.
		c.observe('m', messages, 12);
		expect(c.scale('m')).toBeCloseTo(1.2, 2);
		c.observe('wild', messages, estimate * 50);
		expect(c.scale('wild')).toBeCloseTo(1.75, 2);
		// A calibrated model's prompt is trimmed sooner.
		const limits = {numCtx: 8192, numPredict: 2048};
		const many = input({results: records(300)});
		const plain = buildProposalMessages(many, limits);
		const scaled = buildProposalMessages(many, {...limits, scale: 1.4});
		expect(scaled.trimmed.droppedResults).toBeGreaterThan(plain.trimmed.droppedResults);
		expect(scaled.tokens).toBeLessThanOrEqual(promptBudget(limits));
	});
});

describe('what the prompt tells of the session', () => {
	const limits = {numCtx: 32768, numPredict: 4096};

	it('shows the format with an example built from a real line of the file, never an invented one', () => {
		const file = 'import torch\n# --- hyperparameters ---\nLR = 1e-3  # peak\nCLIP = 1.0  # max norm\n# --- end hyperparameters ---\n';
		const built = buildProposalMessages(input({files: {'train/train.py': file}}), limits);
		expect(built.messages[0]!.content).toContain(
			'train/train.py\n<<<<<<< SEARCH\nCLIP = 1.0  # max norm\n=======\nCLIP = 2.0  # max norm\n>>>>>>> REPLACE',
		);
		expect(built.messages[0]!.content).not.toContain('LEARNING_RATE = 3e-4');
		expect(built.example).toEqual({path: 'train/train.py', search: 'CLIP = 1.0  # max norm', replace: 'CLIP = 2.0  # max norm'});
	});

	it('describes the machine: a CPU, or the GPU by name and memory, and the workers when more than one', () => {
		const cpu = userOf(buildProposalMessages(input({machine: {device: 'cpu', workers: 1}}), limits).messages);
		expect(cpu).toContain('Experiments train on a CPU.');
		expect(cpu).not.toContain('workers');
		const gpu = userOf(
			buildProposalMessages(input({machine: {device: 'cuda', gpu: 'NVIDIA H200', memoryGb: 141, workers: 4}}), limits).messages,
		);
		expect(gpu).toContain('Experiments train on a GPU (NVIDIA H200, 141 GB of memory). 4 workers train experiments at the same time.');
	});

	it('lists the experiments running and prepared now, not to be repeated', () => {
		const user = userOf(
			buildProposalMessages(
				input({
					inFlight: [
						{n: 41, description: 'DEPTH 4 -> 6', state: 'running'},
						{n: 42, description: 'WARMUP_RATIO 0.1 -> 0.05', state: 'prepared'},
					],
				}),
				limits,
			).messages,
		);
		expect(user).toContain(
			'# Experiments running or prepared now (do not repeat these)\n- #41 (running now): DEPTH 4 -> 6\n- #42 (prepared, runs next): WARMUP_RATIO 0.1 -> 0.05',
		);
	});

	it("nests program.md's headings under the prompt's own, outside code", () => {
		expect(nestHeadings('# Goal\ntext\n## Rules\n```\n# a comment\n```')).toBe('## Goal\ntext\n### Rules\n```\n# a comment\n```');
		const user = userOf(buildProposalMessages(input({goal: '# Goal\nLower it.\n# The arena\nOne file.'}), limits).messages);
		expect(user).toContain('# Research goal (program.md)\n## Goal\nLower it.\n## The arena\nOne file.');
		expect(user.match(/^# /gm)!.length).toBe(
			user.match(/^# (?:Research goal|The arena|Files you may edit|Results so far|Your task)/gm)!.length,
		);
	});

	it('carries the memory digest once there is history', () => {
		const history = [{n: 1, description: 'baseline', status: 'keep' as const, metric: 1.1, diff: ''}];
		expect(userOf(buildProposalMessages(input({history}), limits).messages)).toContain(
			'# What the experiments so far taught\n1 experiment decided: 1 kept, 0 discarded, 0 crashed.',
		);
		expect(userOf(buildProposalMessages(input(), limits).messages)).not.toContain('What the experiments so far taught');
	});
});

describe('the chat prompt', () => {
	it('gives the goal, the results and earlier notes, and the question once', () => {
		const ns = [...notes(1), {id: 2, text: 'what worked so far?', at: ''}];
		const built = buildChatMessages(
			{message: 'what worked so far?', goal: 'Lower val_bpb.', rules, results: records(4), notes: ns},
			{numCtx: 8192, numPredict: 1024},
		);
		const user = userOf(built.messages);
		expect(user).toContain('Lower val_bpb.');
		expect(user).toContain('3 | 0.9 | keep');
		expect(user).toContain('The human says: note 1');
		expect(user.match(/what worked so far\?/g)).toHaveLength(1);
		expect(built.messages[0]!.content).toMatch(/briefly/);
	});

	it('trims old rows to fit', () => {
		const limits = {numCtx: 2048, numPredict: 512};
		const built = buildChatMessages({message: 'hi', goal: 'g', rules, results: records(300), notes: []}, limits);
		expect(built.tokens).toBeLessThanOrEqual(promptBudget(limits));
		expect(built.trimmed.droppedResults).toBeGreaterThan(0);
	});
});
