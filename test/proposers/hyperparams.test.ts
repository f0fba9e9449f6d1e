import {describe, expect, it} from 'vitest';
import {applyEdits} from '../../source/core/edits.js';
import {
	findSection,
	formatValue,
	knobEdits,
	parseHyperparameters,
	parseValue,
	readHyperparameters,
	replaceValues,
} from '../../source/proposers/hyperparams.js';

// Which constants are knobs (the section the file declares) and how each
// kind of literal is read and written back.

const rule = '# ' + '-'.repeat(60);

describe('the hyperparameter section', () => {
	const cases: Array<{name: string; source: string[]; how: string; knobs: string[]}> = [
		{
			name: 'explicit markers: between them only',
			source: ['A = 1', '# --- hyperparameters ---', 'B = 2', 'C = 0.5  # c', '# --- end hyperparameters ---', 'D = 3'],
			how: 'markers',
			knobs: ['B', 'C'],
		},
		{
			name: 'a start marker without an end: up to the next banner',
			source: ['# --- hyperparameters ---', 'B = 2', rule, '# Setup', rule, 'PEAK = 1e12'],
			how: 'markers',
			knobs: ['B'],
		},
		{
			name: "autoresearch's banner: from the heading to the next banner",
			source: [
				'EPS = 1e-6',
				rule,
				'# Hyperparameters (edit these directly)',
				rule,
				'',
				'# Model architecture',
				'DEPTH = 8  # layers',
				'ADAM_BETAS = (0.8, 0.95)',
				'',
				rule,
				'# Setup: model, optimiser, data',
				rule,
				'PEAK_FLOPS = 989.5e12',
				'SEED = 42',
			],
			how: 'banner',
			knobs: ['DEPTH', 'ADAM_BETAS[0]', 'ADAM_BETAS[1]'],
		},
		{
			name: 'a banner title in capitals, between = rules, with no closing rule',
			source: ['# ' + '='.repeat(40), '# HYPERPARAMETERS', 'LR = 3e-4', '# ' + '='.repeat(40), '# Training loop', 'STEPS = 10'],
			how: 'banner',
			knobs: ['LR'],
		},
		{
			name: 'a titled banner line',
			source: ['# ===== Model =====', 'WIDTH = 64', '# ===== Hyperparameters =====', 'LR = 3e-4', '# ===== Setup =====', 'SEED = 1'],
			how: 'banner',
			knobs: ['LR'],
		},
		{
			name: 'two hyperparameter banners: both',
			source: [
				rule,
				'# Hyperparameters: model',
				rule,
				'DEPTH = 4',
				rule,
				'# Data',
				rule,
				'ROWS = 8',
				rule,
				'# Hyperparameters: optimiser',
				rule,
				'LR = 0.1',
			],
			how: 'banner',
			knobs: ['DEPTH', 'LR'],
		},
		{
			name: 'banners, none of them hyperparameters: every top-level constant',
			source: [rule, '# Model', rule, 'DEPTH = 4', '    INNER = 3', rule, '# Setup', rule, 'SEED = 1', 'lower = 2'],
			how: 'file',
			knobs: ['DEPTH', 'SEED'],
		},
		{
			name: 'no section at all: every top-level constant',
			source: ['import torch', 'LR = 3e-4', 'NAME = "gpt"', 'def f():', '    X = 1'],
			how: 'file',
			knobs: ['LR'],
		},
	];
	it.each(cases)('$name', ({source, how, knobs}) => {
		const text = source.join('\n');
		expect(findSection(text).how).toBe(how);
		expect(readHyperparameters(text).params.map(p => p.name)).toEqual(knobs);
	});

	it('says where the section lies, in lines', () => {
		const text = ['X = 1', rule, '# Hyperparameters', rule, 'A = 1', 'B = 2', rule, '# Setup', rule, 'C = 3'].join('\n');
		expect(findSection(text)).toEqual({how: 'banner', ranges: [[4, 6]]});
	});
});

describe('the kinds of literal', () => {
	const text = [
		'# --- hyperparameters ---',
		'DEPTH = 8  # layers',
		'TOTAL = 2**19  # tokens per step',
		'LR = 3e-4',
		'USE_ROPE = False',
		'ADAM_BETAS = (0.8, 0.95)  # beta1, beta2',
		'PAIR = [4, "x", 0.5]',
		'WINDOW = "SSSL"  # per layer; choices: "SSSL", "SSLL", \'LLLL\'',
		"ACT = 'relu'  # choices: 'gelu', 'swish'",
		'NAME = "gpt"  # a label, no choices',
		'ONLY = "a"  # choices: "a"',
		'# --- end hyperparameters ---',
	].join('\n');
	const params = parseHyperparameters(text);
	const byName = new Map(params.map(p => [p.name, p]));

	it('reads ints, powers, floats, bools, tuple elements and strings with their choices', () => {
		expect(params.map(p => [p.name, p.kind, p.value])).toEqual([
			['DEPTH', 'int', 8],
			['TOTAL', 'int', 2 ** 19],
			['LR', 'float', 3e-4],
			['USE_ROPE', 'bool', 0],
			['ADAM_BETAS[0]', 'float', 0.8],
			['ADAM_BETAS[1]', 'float', 0.95],
			['PAIR[0]', 'int', 4],
			['PAIR[2]', 'float', 0.5],
			['WINDOW', 'choice', 'SSSL'],
			['ACT', 'choice', 'relu'],
		]);
		expect(byName.get('WINDOW')).toMatchObject({choices: ['SSSL', 'SSLL', 'LLLL']});
		// The current value is always a choice, listed or not.
		expect(byName.get('ACT')).toMatchObject({choices: ['relu', 'gelu', 'swish']});
	});

	it('writes one tuple element, or two, leaving the rest of the line', () => {
		const [b1, b2] = [byName.get('ADAM_BETAS[0]')!, byName.get('ADAM_BETAS[1]')!];
		expect(replaceValues(b1.line, [{param: b1, value: 0.85}])).toBe('ADAM_BETAS = (0.85, 0.95)  # beta1, beta2');
		expect(
			replaceValues(b1.line, [
				{param: b2, value: 0.99},
				{param: b1, value: 0.9},
			]),
		).toBe('ADAM_BETAS = (0.9, 0.99)  # beta1, beta2');
		const pair = byName.get('PAIR[2]')!;
		expect(replaceValues(pair.line, [{param: pair, value: 0.25}])).toBe('PAIR = [4, "x", 0.25]');
	});

	it('writes strings in the quotes the file used, powers as powers', () => {
		const window = byName.get('WINDOW')!;
		expect(replaceValues(window.line, [{param: window, value: 'LLLL'}])).toBe(
			'WINDOW = "LLLL"  # per layer; choices: "SSSL", "SSLL", \'LLLL\'',
		);
		expect(formatValue(byName.get('ACT')!, 'gelu')).toBe("'gelu'");
		expect(formatValue(byName.get('TOTAL')!, 2 ** 20)).toBe('2**20');
		expect(formatValue({kind: 'int', raw: '10**3'}, 10 ** 4)).toBe('10**4');
		expect(parseValue('"SSLL"')).toBe('SSLL');
		expect(parseValue('2**18')).toBe(2 ** 18);
	});

	it('makes each SEARCH match one place only', () => {
		const source = ['# --- hyperparameters ---', 'CPU_DEPTH = 4', 'DEPTH = 4', 'LR = 0.1', '# --- end hyperparameters ---', ''].join('\n');
		const [, depth, lr] = parseHyperparameters(source);
		const edits = knobEdits(source, [
			{param: depth!, value: 5},
			{param: lr!, value: 0.2},
		]);
		expect(edits[0]!.search).toBe('CPU_DEPTH = 4\nDEPTH = 4');
		const applied = applyEdits(
			{'t.py': source},
			edits.map(e => ({path: 't.py', ...e})),
			['t.py'],
		);
		expect(applied.ok && applied.files['t.py']).toBe(source.replace('\nDEPTH = 4', '\nDEPTH = 5').replace('LR = 0.1', 'LR = 0.2'));
	});
});
