import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import type {ProgressChart} from '../../source/core/plot.js';
import {progressChart} from '../../source/report/chart.js';
import type {ReportExperiment} from '../../source/report/data.js';
import {areaOf, constantsInDiff, groupDiscards, movesOf, triedOf} from '../../source/report/groups.js';
import {code, duration, fence, inline} from '../../source/report/markdown.js';
import {progressSvg, ticks} from '../../source/report/svg.js';
import {parseSvg} from './support.js';

// The report's parts on their own: what an experiment "tried", the chart's
// range and marks, Markdown that cannot be broken by what it quotes.

const dirs: string[] = [];
afterEach(() => {
	for (const dir of dirs.splice(0)) rmSync(dir, {recursive: true, force: true});
});

function experiment(n: number, status: ReportExperiment['status'], metric: number | null, description = `idea ${n}`): ReportExperiment {
	return {n, commit: n.toString(16).padStart(7, '0'), status, description, metric, runs: 1};
}

const diff = (file: string, heading: string, minus: string, plus: string): string =>
	`diff --git a/${file} b/${file}\n--- a/${file}\n+++ b/${file}\n@@ -10,3 +10,3 @@ ${heading}\n ctx\n-${minus}\n+${plus}\n`;

describe('what a discard tried', () => {
	it('reads the constants a description moves', () => {
		expect(movesOf('LEARNING_RATE 0.04 -> 0.08')).toEqual([{name: 'LEARNING_RATE', to: '0.08'}]);
		expect(movesOf('raise WARMUP_RATIO 0.0 -> 0.05, DEPTH 4 -> 6')).toEqual([
			{name: 'WARMUP_RATIO', to: '0.05'},
			{name: 'DEPTH', to: '6'},
		]);
		expect(movesOf('n_layer: 6 → 8')).toEqual([{name: 'n_layer', to: '8'}]);
		expect(movesOf('switch from adam -> sgd')).toEqual([]);
		expect(movesOf('a bigger model')).toEqual([]);
	});

	it('falls back to the constants the diff assigns, then to the part of the file it touches', () => {
		expect(constantsInDiff(diff('train.py', 'import math', 'WIDTH = 64', 'WIDTH = 96'))).toEqual(['WIDTH']);
		expect(triedOf('make the model wider', diff('train.py', '', 'WIDTH = 64', 'WIDTH = 96'))).toEqual({key: 'WIDTH', by: 'constant'});
		expect(areaOf(diff('train/train.py', 'def forward(self, x):', '    x = f(x)', '    x = g(x)'))).toBe('train/train.py: def forward');
		expect(areaOf(diff('train/train.py', 'class GPT(nn.Module):', 'a', 'b'))).toBe('train/train.py: class GPT');
		expect(areaOf(diff('train.py', '', 'a', 'b'))).toBe('train.py');
		expect(triedOf('rewrite attention', diff('train.py', 'def attend(q, k):', 'a', 'b'))).toEqual({
			key: 'train.py: def attend',
			by: 'area',
		});
		expect(triedOf('who knows', '')).toEqual({key: 'other', by: 'other'});
	});

	it('groups the discards, the largest group first, each with its closest try and the values tried', () => {
		const discards = [
			experiment(2, 'discard', 1.3, 'LEARNING_RATE 0.04 -> 0.08'),
			experiment(3, 'discard', 1.1, 'WIDTH 64 -> 32'),
			experiment(4, 'discard', 1.05, 'LEARNING_RATE 0.04 -> 0.05'),
			experiment(5, 'discard', 1.2, 'tweak the attention'),
		];
		const groups = groupDiscards(discards, n => (n === 5 ? diff('train.py', 'def attend(q):', 'a', 'b') : ''), 'lower');
		expect(groups.map(g => [g.key, g.tries.map(t => t.n)])).toEqual([
			['LEARNING_RATE', [2, 4]],
			['WIDTH', [3]],
			['train.py: def attend', [5]],
		]);
		expect(groups[0]).toMatchObject({values: ['0.08', '0.05'], closest: {n: 4}});
		expect(groupDiscards(discards, () => '', 'higher')[0]!.closest?.n).toBe(2);
	});
});

describe('the progress chart', () => {
	const session = [
		experiment(1, 'keep', 2.0, 'baseline'),
		experiment(2, 'discard', 1.95),
		experiment(3, 'keep', 1.8, 'LR 0.01 -> 0.02 <&> "quoted"'),
		experiment(4, 'crash', null),
		experiment(5, 'discard', 9.5, 'diverged'),
		experiment(7, 'keep', 1.7, 'WIDTH 64 -> 128'),
	];

	it('ranges from just past the best to just past the baseline, the running best a step at each keep', () => {
		const chart = progressChart(session, 'val_bpb', 'lower');
		expect(chart.title).toBe('nightshift: 6 experiments, 2 kept improvements');
		expect(chart.x).toEqual([1, 7]);
		expect(chart.y[0]).toBeCloseTo(1.7 - 0.3 * 0.15);
		expect(chart.y[1]).toBeCloseTo(2.0 + 0.3 * 0.15);
		expect(chart.best).toEqual([
			{n: 1, value: 2.0},
			{n: 3, value: 1.8},
			{n: 7, value: 1.7},
		]);
		expect(chart.points.map(p => p.status)).toEqual(['keep', 'discard', 'keep', 'crash', 'discard', 'keep']);
		const higher = progressChart(
			[experiment(1, 'keep', 0.5), experiment(2, 'discard', 0.1), experiment(3, 'keep', 0.7)],
			'accuracy',
			'higher',
		);
		expect(higher.y[0]).toBeCloseTo(0.5 - 0.2 * 0.15);
		expect(higher.y[1]).toBeCloseTo(0.7 + 0.2 * 0.15);
		// Nothing beat the baseline: every value is shown.
		const flat = progressChart([experiment(1, 'keep', 1), experiment(2, 'discard', 1.5)], 'loss', 'lower');
		expect(flat.y[0]).toBeLessThan(1);
		expect(flat.y[1]).toBeGreaterThan(1.5);
	});

	it('is a well-formed SVG: one mark per experiment (crashes and far-off values on the worse edge), text escaped', () => {
		const dir = mkdtempSync(path.join(tmpdir(), 'nightshift-svg-'));
		dirs.push(dir);
		const file = path.join(dir, 'chart.svg');
		writeFileSync(file, progressSvg(progressChart(session, 'val_bpb', 'lower')));
		const svg = parseSvg(file);
		expect(svg.root).toBe('svg');
		expect(svg.marks.map(m => m.n).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 7]);
		expect(Object.fromEntries(svg.marks.map(m => [m.n, m.kind]))).toEqual({
			1: 'keep',
			2: 'discard',
			3: 'keep',
			4: 'crash',
			5: 'discard off',
			7: 'keep',
		});
		expect(svg.marks.find(m => m.n === 3)!.title).toBe('#3 keep 1.800000: LR 0.01 -> 0.02 <&> "quoted"');
	});

	it('draws an empty session and a single experiment without dividing by zero', () => {
		const dir = mkdtempSync(path.join(tmpdir(), 'nightshift-svg-'));
		dirs.push(dir);
		for (const [name, experiments] of [
			['empty', []],
			['one', [experiment(1, 'keep', 3)]],
		] as const) {
			const chart: ProgressChart = progressChart(experiments, 'val_bpb', 'lower');
			const text = progressSvg(chart);
			expect(text).not.toMatch(/NaN|Infinity/);
			writeFileSync(path.join(dir, `${name}.svg`), text);
			expect(parseSvg(path.join(dir, `${name}.svg`)).marks).toHaveLength(experiments.length);
		}
	});

	it('puts ticks on round numbers', () => {
		expect(ticks(0.95, 1.3)).toEqual({values: [1, 1.1, 1.2, 1.3], decimals: 1});
		expect(ticks(1, 18, 10).values).toEqual([2, 4, 6, 8, 10, 12, 14, 16, 18]);
		expect(ticks(2.001, 2.0042).decimals).toBe(3);
	});
});

describe('Markdown that quotes what it reads', () => {
	it('escapes text, fences code past any backticks inside', () => {
		expect(inline('WIDTH_MULT *2* [x] <b> a|b')).toBe('WIDTH\\_MULT \\*2\\* \\[x\\] \\<b> a\\|b');
		expect(inline('# not a heading')).toBe('\\# not a heading');
		expect(inline('LR 0.01 -> 0.02')).toBe('LR 0.01 -> 0.02');
		expect(code('a`b')).toBe('``a`b``');
		const block = fence('+x = """\n+```\n+"""\n', 'diff');
		expect(block.startsWith('````diff\n')).toBe(true);
		expect(block.endsWith('\n````')).toBe(true);
		expect(duration(0.05)).toBe('3.0 s');
		expect(duration(0.5)).toBe('30 s');
		expect(duration(12.34)).toBe('12.3 min');
		expect(duration(125)).toBe('2 h 5 min');
	});
});
