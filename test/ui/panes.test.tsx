import type React from 'react';
import {afterEach, describe, expect, it} from 'vitest';
import type {GpuReading} from '../../source/core/events.js';
import {bindings} from '../../source/ui/keys.js';
import {slashCommands} from '../../source/ui/slash.js';
import {AgentPane, inputLine} from '../../source/ui/panes/AgentPane.js';
import {Experiments} from '../../source/ui/panes/Experiments.js';
import {GoalEditor} from '../../source/ui/panes/GoalEditor.js';
import {Help, helpLines} from '../../source/ui/panes/Help.js';
import {chartLines, LossChart, niceCeil, plot, resample, stepAxis, type RangeMemory} from '../../source/ui/panes/LossChart.js';
import {QuitDialog} from '../../source/ui/panes/QuitDialog.js';
import {isWorking, StatusBar, statusLine} from '../../source/ui/panes/StatusBar.js';
import {TrainingLog} from '../../source/ui/panes/TrainingLog.js';
import {LogRing, type AgentEntry, type Experiment, type Point} from '../../source/ui/state.js';
import {createBuffer, reduce} from '../../source/ui/text-buffer.js';
import {cut, cutLeft, fitLine, width, wrap} from '../../source/ui/text.js';
import {draw, expectStraight, record} from './helpers.js';

let unmounts: Array<() => void> = [];
afterEach(() => {
	for (const u of unmounts) u();
	unmounts = [];
});
function show(node: React.ReactElement, theme = {color: true, unicode: true}) {
	const result = draw(node, theme);
	unmounts.push(result.unmount);
	return result;
}

const experiment = (
	n: number,
	commit: string,
	metric: number | null,
	status: 'keep' | 'discard' | 'crash',
	description: string,
): Experiment => ({
	...record(n, commit, metric, status, description),
	seconds: 1,
});

describe('text measured by display width', () => {
	it.each([
		['ascii', 'hello world', 5, 'hell…'],
		['fits', 'hello', 5, 'hello'],
		['wide characters count two', '日本語のログ', 5, '日本…'],
		['emoji count two', 'a🚀b🚀c', 4, 'a🚀…'],
		['a ZWJ family is one cluster', '👩‍👩‍👧 ok', 3, '👩‍👩‍👧…'],
		['combining marks count zero', 'e\u0301e\u0301e\u0301x', 3, 'e\u0301e\u0301e\u0301'.slice(0, 4) + '…'],
		['nothing fits', 'abc', 0, ''],
	])('cut: %s', (_name, text, cells, expected) => {
		expect(cut(text, cells)).toBe(expected);
		expect(width(cut(text, cells))).toBeLessThanOrEqual(cells);
	});

	it('cuts from the left, wraps, and fits segments to an exact width', () => {
		expect(cutLeft('abcdefgh', 4)).toBe('…fgh');
		expect(cutLeft('日本語日本語', 5)).toBe('…本語');
		expect(wrap('the quick brown fox', 9)).toEqual(['the quick', 'brown fox']);
		expect(wrap('日本語日本語', 4)).toEqual(['日本', '語日', '本語']);
		expect(wrap('a\nb', 5)).toEqual(['a', 'b']);
		for (const cells of [0, 1, 5, 13]) {
			const line = fitLine([{text: '日本語'}, {text: 'ascii'}, {text: '🚀'}], cells);
			expect(line.reduce((w, s) => w + width(s.text), 0)).toBe(cells);
		}
	});
});

describe('Training pane', () => {
	it('shows the newest lines with \\r progress collapsed', () => {
		const ring = new LogRing();
		ring.push({text: 'device: cuda', partial: false});
		for (let i = 1; i <= 50; i++) ring.push({text: `step ${String(i).padStart(5, '0')} (${i}%) | loss: 3.0`, partial: true});
		const {frame} = show(<TrainingLog log={ring.view()} run={{n: 3, commit: 'abc1234'}} scroll={0} width={60} height={8} focused />);
		expect(frame).toContain('Training #3 abc1234');
		expect(frame).toContain('following');
		expect(frame).toContain('step 00050 (50%)');
		expect(frame).not.toContain('step 00049');
		expect(frame).toContain('device: cuda');
		expectStraight(frame, 60);
	});

	it('cuts wide characters and emoji by display width and keeps the borders aligned', () => {
		const log = [
			{text: '日本語のログ'.repeat(20), partial: false},
			{text: `${'🚀'.repeat(50)}end`, partial: false},
			{text: `a${'e\u0301'.repeat(80)}`, partial: false},
			{text: 'ｗｉｄｅ'.repeat(30), partial: true},
		];
		for (const w of [20, 41, 80]) {
			const {frame} = show(<TrainingLog log={log} scroll={0} width={w} height={7} focused={false} />);
			expectStraight(frame, w);
			expect(frame).toContain('…');
		}
	});

	it('scrolls back and says where it is; says when nothing runs', () => {
		const log = Array.from({length: 100}, (_, i) => ({text: `line ${i}`, partial: false}));
		const {frame} = show(<TrainingLog log={log} scroll={10} width={70} height={6} focused lastRun={{n: 2, commit: 'bbbbbbb'}} />);
		expect(frame).toContain('line 89');
		expect(frame).not.toContain('line 99');
		expect(frame).toContain('↑ 10 of 100');
		expect(frame).toContain('ended: #2');
		expect(show(<TrainingLog log={[]} scroll={0} width={40} height={5} focused={false} />).frame).toContain('no run in progress');
		expect(show(<TrainingLog log={[]} run={{n: 1, commit: 'a'}} scroll={0} width={40} height={5} focused={false} />).frame).toContain(
			'starting…',
		);
	});
});

describe('Loss pane', () => {
	const curve = (n: number, f = (i: number) => 5 - Math.log(i + 1)): Point[] =>
		Array.from({length: n}, (_, i) => ({step: i * 10, loss: f(i)}));
	const base = {mode: 'run' as const, bestLoss: [] as Point[], experiments: [] as Experiment[], focused: false};

	it('never throws: empty, NaN, Infinity, one point, a flat line, huge and tiny values, tiny panes', () => {
		const cases: Point[][] = [
			[],
			[{step: 1, loss: Number.NaN}],
			[
				{step: 1, loss: Infinity},
				{step: 2, loss: -Infinity},
			],
			[{step: 0, loss: 3}],
			curve(50, () => 2.5),
			curve(50, i => 1e9 * (i + 1)),
			curve(50, i => 1e-9 * (i + 1)),
			curve(50, i => -i),
			curve(50, i => (i % 7 === 0 ? Number.NaN : i)),
		];
		for (const loss of cases) {
			for (const [w, h] of [
				[20, 4],
				[40, 10],
				[120, 30],
			]) {
				const {frame} = show(<LossChart {...base} loss={loss} bestLoss={loss} runNumber={1} width={w!} height={h!} />);
				expectStraight(frame, w!);
				expect(frame).not.toMatch(/NaN|Infinity/);
			}
		}
		expect(show(<LossChart {...base} loss={[]} runNumber={1} width={40} height={8} />).frame).toContain('waiting for the first step');
		expect(show(<LossChart {...base} loss={[{step: 1, loss: Number.NaN}]} width={40} height={8} />).frame).toContain('no run in progress');
	});

	it("draws this run against the best run's curve, resampled to the width", () => {
		const {frame} = show(
			<LossChart
				{...base}
				loss={curve(300)}
				bestLoss={curve(500, i => 4.8 - Math.log(i + 1))}
				runNumber={4}
				width={60}
				height={12}
				focused
			/>,
		);
		expect(frame).toContain('this run');
		expect(frame).toContain('best run');
		expect(frame).toContain('loss by step, #4');
		expect(frame).toMatch(/\d\.\d{3} [┼┤]/);
		expectStraight(frame, 60);
		const {lines} = chartLines({...base, loss: curve(3000), bestLoss: [], width: 60, height: 12});
		// Legend, then one row per chart row: no row wider than the pane's inside.
		for (const line of lines) expect(line.reduce((w, s) => w + width(s.text), 0)).toBeLessThanOrEqual(58);
	});

	it('resamples to the width and keeps the x axis still while the run goes on', () => {
		const points = Array.from({length: 1000}, (_, i) => ({step: i + 1, loss: i === 500 ? Number.NaN : 10 - i / 100}));
		expect(resample(points, 50, 1000)).toHaveLength(50);
		expect(resample(points, 50, 1000).every(Number.isFinite)).toBe(true);
		expect(resample([], 50, 10)).toEqual([]);
		// A run half done fills half the width.
		expect(resample(points.slice(0, 500), 50, 1000)).toHaveLength(25);
		expect([niceCeil(0.7), niceCeil(1), niceCeil(1.1), niceCeil(2100), niceCeil(9000)]).toEqual([0.8, 1, 1.2, 2500, 10_000]);
		// The axis ends at the projected end of the run (its share of the budget), rounded: it moves rarely.
		const axes = [100, 110, 130, 150].map(step => stepAxis([{step, loss: 1, frac: step / 1000}], []));
		expect(new Set(axes).size).toBe(1);
		expect(stepAxis([{step: 10, loss: 1, frac: 0.01}], [{step: 2900, loss: 1}])).toBe(3000);
	});

	it('keeps the value range while new points fit in it, so a new point redraws a column, not the chart', () => {
		const memory: RangeMemory = {};
		const first = plot([[5, 4, 3]], ['\u001b[36m'], 10, true, memory);
		const range = memory.range!;
		expect(range.min).toBeLessThanOrEqual(3);
		expect(range.max).toBeGreaterThanOrEqual(5);
		const second = plot([[5, 4, 3, 3.2]], ['\u001b[36m'], 10, true, memory);
		expect(memory.range).toBe(range);
		// Only the end of each row changed; the labels did not.
		const labels = (lines: typeof first) => lines.map(l => l[0]!.text.slice(0, 9));
		expect(labels(second)).toEqual(labels(first));
		plot([[5, 4, 3, 1]], ['\u001b[36m'], 10, true, memory);
		expect(memory.range!.min).toBeLessThanOrEqual(1);
		// Values that shrank to a sliver of the old range get a range of their own.
		plot([[1.01, 1.02]], ['\u001b[36m'], 10, true, memory);
		expect(memory.range!.max).toBeLessThan(2);
	});

	it('shows the metric across experiments with the running best and a mark per experiment', () => {
		const experiments = [
			experiment(1, 'a', 1.0, 'keep', 'baseline'),
			experiment(2, 'b', 0.9, 'keep', 'better'),
			experiment(3, 'c', 0.95, 'discard', 'worse'),
			experiment(4, 'd', null, 'crash', 'boom'),
			experiment(5, 'e', 0.85, 'keep', 'best'),
		];
		const {frame} = show(
			<LossChart
				{...base}
				mode="experiments"
				loss={[]}
				experiments={experiments}
				direction="lower"
				metric="val_bpb"
				width={90}
				height={12}
			/>,
		);
		expect(frame).toContain('Progress');
		expect(frame).toContain('val_bpb by experiment');
		expect(frame).toContain('best kept');
		expect(frame).toContain('3 kept · 1 discarded · 1 crashed');
		const strip = frame.split('\n').find(l => l.includes('●'))!;
		expect(strip.replace(/[^●·✗]/g, '')).toBe('●●·✗●');
		expectStraight(frame, 90);
		// Without unicode the marks are ASCII.
		const ascii = show(<LossChart {...base} mode="experiments" loss={[]} experiments={experiments} width={60} height={12} />, {
			color: false,
			unicode: false,
		}).frame;
		expect(ascii.split('\n').find(l => /[+.x] +[+.x]/.test(l) && !l.includes('|'))).toBeUndefined();
		expect(ascii).toMatch(/\+ +\+ +\. +x +\+/);
		expect(ascii).not.toMatch(/[●✗┼┤]/);
		// More experiments than columns: squeezed, still one mark per column.
		const many = Array.from({length: 300}, (_, i) => experiment(i + 1, `c${i}`, 1 - i / 1000, i % 3 === 0 ? 'keep' : 'discard', 'x'));
		expectStraight(show(<LossChart {...base} mode="experiments" loss={[]} experiments={many} width={50} height={10} />).frame, 50);
		expect(show(<LossChart {...base} mode="experiments" loss={[]} experiments={[]} width={50} height={10} />).frame).toContain(
			'no results yet',
		);
	});
});

describe('Experiments pane', () => {
	const list = [
		experiment(1, 'aaaaaaa', 2.0, 'keep', 'baseline'),
		experiment(2, 'bbbbbbb', 1.5, 'keep', 'LEARNING_RATE 3e-3 -> 6e-3'),
		experiment(3, 'ccccccc', 1.7, 'discard', 'CPU_DEPTH 2 -> 3'),
		experiment(4, 'ddddddd', null, 'crash', 'LEARNING_RATE 6e-3 -> 1.2e-2 and a description far too long for the pane'),
	];
	const best = list[1];
	const baseline = list[0];

	it('lists results newest first, the best marked, deltas when there is room', () => {
		const {frame} = show(
			<Experiments
				experiments={list}
				best={best}
				baseline={baseline}
				running={{n: 5, description: 'WARMUP 10 -> 50'}}
				direction="lower"
				metric="val_bpb"
				scroll={0}
				width={80}
				height={10}
				focused={false}
			/>,
		);
		const rows = frame.split('\n').filter(l => /\b(keep|discard|crash|running)\b/.test(l));
		expect(rows.map(l => /(\d) (keep|discard|crash|running)/.exec(l)?.slice(1, 3).join(' '))).toEqual([
			'5 running',
			'4 crash',
			'3 discard',
			'2 keep',
			'1 keep',
		]);
		expect(rows[3]).toContain('★');
		expect(rows[3]).toContain('-0.5000');
		expect(rows[2]).toContain('-0.3000');
		expect(rows[1]).toContain('—');
		expect(rows[4]).not.toContain('★');
		expect(frame).toContain('val_bpb');
		expect(frame).toContain('4 runs, 2 kept · lower is better');
		expect(frame).toContain('…');
		expectStraight(frame, 80);
	});

	it('drops the delta column when narrow, scrolls, and marks the best with * without unicode', () => {
		const narrow = show(
			<Experiments experiments={list} best={best} baseline={baseline} scroll={0} width={40} height={10} focused={false} />,
		).frame;
		expect(narrow).not.toContain('-0.5000');
		expect(narrow).toContain('1.5000');
		expectStraight(narrow, 40);
		const scrolled = show(<Experiments experiments={list} scroll={2} width={60} height={5} focused={false} />).frame;
		expect(scrolled).toContain('2 keep');
		expect(scrolled).not.toContain('4 crash');
		expect(scrolled).toContain('3-4 of 4');
		const ascii = show(<Experiments experiments={list} best={best} scroll={0} width={60} height={10} focused />, {
			color: false,
			unicode: false,
		}).frame;
		expect(ascii).toMatch(/2 keep\s+\*\s*1\.5000/);
		expect(ascii).not.toMatch(/[★│┌╔]/);
		expect(show(<Experiments experiments={[]} scroll={0} width={40} height={6} focused={false} />).frame).toContain('no experiments yet');
	});

	it('colours the status: keep green, discard yellow and dim, crash red', () => {
		const {raw} = show(<Experiments experiments={list} scroll={0} width={80} height={10} focused={false} />);
		expect(raw).toMatch(/\u001b\[32m(\u001b\[\d+m)*keep/);
		expect(raw).toMatch(/\u001b\[33;2m(\u001b\[\d+m)*discard|\u001b\[33m\u001b\[2mdiscard/);
		expect(raw).toMatch(/\u001b\[31m(\u001b\[\d+m)*crash/);
	});
});

describe('Agent pane', () => {
	const entries: AgentEntry[] = [
		{kind: 'info', text: 'python: /usr/bin/python3'},
		{
			kind: 'proposal',
			n: 2,
			text: 'I will raise the warmup.\nSEARCH...\nREPLACE...\nmore\nlines',
			thinking: 'hmm',
			streaming: false,
			proposer: 'ollama',
			model: 'qwen3:8b',
		},
		{
			kind: 'edit',
			n: 2,
			description: 'WARMUP 10 -> 50',
			rationale: 'warmup helps small models',
			diff: '--- a/train.py\n+++ b/train.py\n@@ -1,3 +1,3 @@\n-WARMUP = 10\n+WARMUP = 50\n context',
		},
		{kind: 'user', text: 'what worked so far?'},
		{kind: 'agent', text: 'Raising the learning rate.', streaming: false},
		{kind: 'warn', text: '#3 retry 1: SEARCH did not match'},
		{kind: 'error', text: '#3 proposal failed: gave up'},
	];

	it('shows proposals, the edit as a coloured diff, chat and messages', () => {
		const {frame, raw} = show(
			<AgentPane entries={entries} input="" cursor={0} typing={false} scroll={0} width={70} height={20} focused activity="#3 thinking…" />,
		);
		expect(frame).toContain('#2 proposal (ollama qwen3:8b)');
		expect(frame).toContain('… 2 more lines');
		expect(frame).toContain('#2 edit: WARMUP 10 -> 50');
		expect(frame).toContain('warmup helps small models');
		expect(frame).not.toContain('+++ b/train.py');
		expect(raw).toMatch(/\u001b\[32m {2}\+WARMUP = 50/);
		expect(raw).toMatch(/\u001b\[31m {2}-WARMUP = 10/);
		expect(frame).toContain('you: what worked so far?');
		expect(frame).toContain('agent: Raising the learning rate.');
		expect(frame).toContain('warn: #3 retry 1');
		expect(frame).toContain('error: #3 proposal failed');
		expect(frame).toContain('#3 thinking…');
		expect(frame).toContain('Enter: write to the agent');
		expectStraight(frame, 70);
	});

	it('streams a proposal: its newest lines, the reasoning until the answer starts', () => {
		const thinking: AgentEntry = {
			kind: 'proposal',
			n: 5,
			text: '',
			thinking: Array.from({length: 20}, (_, i) => `thought ${i}`).join('\n'),
			streaming: true,
			proposer: 'ollama',
		};
		let {frame} = show(
			<AgentPane entries={[thinking]} input="" cursor={0} typing={false} scroll={0} width={50} height={14} focused={false} />,
		);
		expect(frame).toContain('#5 proposing (ollama)…');
		expect(frame).toContain('thought 19');
		expect(frame).not.toContain('thought 11');
		({frame} = show(
			<AgentPane
				entries={[{...thinking, text: 'DESCRIPTION: x'}]}
				input=""
				cursor={0}
				typing={false}
				scroll={0}
				width={50}
				height={14}
				focused={false}
			/>,
		));
		expect(frame).toContain('DESCRIPTION: x');
		expect(frame).not.toContain('thought 19');
	});

	it('keeps the cursor of a long input in view, and hints completions', () => {
		const long = `${'x'.repeat(100)}END`;
		const line = inputLine(long, long.length, 40, true);
		const text = line.map(s => s.text).join('');
		expect(text).toContain('END');
		expect(text).toContain('…');
		expect(line.at(-2)).toEqual({text: ' ', inverse: true});
		let {frame} = show(<AgentPane entries={[]} input="/bu" cursor={3} typing scroll={0} width={70} height={8} focused />);
		expect(frame).toContain('/budget <seconds> — time budget from the next run on');
		expect(frame).toContain('> /bu');
		({frame} = show(<AgentPane entries={[]} input="/" cursor={1} typing scroll={0} width={100} height={8} focused />));
		for (const c of slashCommands) expect(frame).toContain(c.name);
		expect(frame).toContain('Tab completes');
	});

	it('scrolls back through the conversation', () => {
		const many: AgentEntry[] = Array.from({length: 50}, (_, i) => ({kind: 'info', text: `message ${i}`}));
		const {frame} = show(<AgentPane entries={many} input="" cursor={0} typing={false} scroll={10} width={50} height={8} focused />);
		expect(frame).toContain('message 39');
		expect(frame).not.toContain('message 49');
		expect(frame).toContain('↑ 10');
	});
});

describe('Status bar', () => {
	const gpu: GpuReading = {index: 0, name: 'H100', utilization: 97, memoryUsedMb: 46080, memoryTotalMb: 81559, temperatureC: 64};
	const text = (p: Parameters<typeof statusLine>[0]) => {
		const {left, right} = statusLine(p);
		return [...left, ...right].map(s => s.text).join('');
	};

	it('counts down the run, shows the best and its delta from the baseline, and the GPU', () => {
		const now = 1_000_000;
		const line = text({
			state: 'running',
			run: {n: 7, startedAt: now - 15_000, budgetSeconds: 300},
			now,
			best: record(5, 'b', 0.98, 'keep', ''),
			baseline: record(1, 'a', 1.0123, 'keep', ''),
			metric: 'val_bpb',
			gpus: [gpu],
		});
		expect(line).toContain('running #7 4:45 left');
		expect(line).toContain('best val_bpb 0.9800 (-0.0323)');
		expect(line).toContain('GPU 97% 45.0/80G 64°C');
		expect(text({state: 'running', run: {n: 7, startedAt: now - 310_000, budgetSeconds: 300}, now, gpus: []})).toContain(
			'+0:10 over budget',
		);
		expect(text({state: 'running', run: {n: 7, startedAt: now, budgetSeconds: 5400}, now, gpus: []})).toContain('1:30:00 left');
	});

	it('shows no GPU when there is none, and n/a for what nvidia-smi cannot tell', () => {
		expect(text({state: 'paused', now: 0, gpus: []})).not.toContain('GPU');
		expect(
			text({
				state: 'paused',
				now: 0,
				gpus: [
					{...gpu, utilization: Number.NaN},
					{...gpu, index: 1},
				],
			}),
		).toMatch(/GPU0 n\/a% .* GPU1 97%/);
	});

	it('turns the spinner only while working without a countdown', () => {
		expect(isWorking({state: 'proposing'})).toBe(true);
		expect(isWorking({state: 'stopping'})).toBe(true);
		expect(isWorking({state: 'paused'})).toBe(false);
		expect(isWorking({state: 'done'})).toBe(false);
		expect(isWorking({state: 'running', run: {n: 1, startedAt: 0, budgetSeconds: 1}, proposer: {n: 2, phase: 'thinking'}})).toBe(false);
		const spinning = show(<StatusBar state="proposing" detail="experiment 3" now={0} gpus={[]} width={80} />).frame;
		expect(spinning).toMatch(/^⠋ proposing: experiment 3/);
		expect(show(<StatusBar state="proposing" now={0} gpus={[]} width={80} />, {color: false, unicode: false}).frame).toMatch(
			/^- proposing/,
		);
		const {frame} = show(<StatusBar state="paused" detail="after this run" now={0} gpus={[]} width={80} />);
		expect(frame).toMatch(/^paused/);
		expect(frame).toContain('paused: after this run');
		expect(frame).toContain('? help · q quit');
		expect(frame.split('\n')[0]!.length).toBeLessThanOrEqual(80);
	});
});

describe('Goal pane', () => {
	it('shows program.md, the cursor while editing, and never a raw control character', () => {
		let buffer = createBuffer('# Goal\nLower val_bpb.\tTabbed\nevil\u001b]52;c;AAAA\u0007 here', 8, 58);
		buffer = reduce(buffer, {type: 'down'});
		const view = show(<GoalEditor buffer={buffer} editing width={60} height={10} focused />);
		expect(view.frame).toContain('# Goal');
		expect(view.frame).toContain('Lower val_bpb.    Tabbed');
		expect(view.frame).toContain('evil^[]52;c;AAAA^G here');
		expect(view.raw).not.toMatch(/\u001b\]|\u0007/);
		expect(view.raw).toMatch(/\u001b\[7mL/);
		expect(view.frame).toContain('editing · Ctrl+S save · Esc done');
		expectStraight(view.frame, 60);
		const reading = show(<GoalEditor buffer={buffer} editing={false} width={60} height={10} focused />);
		expect(reading.raw).not.toContain('\u001b[7m');
		expect(reading.frame).toContain('Enter edit · e $EDITOR');
	});

	it('wraps long lines and says whether the text is saved', () => {
		const buffer = createBuffer(`${'word '.repeat(30)}end`, 8, 38);
		const {frame} = show(
			<GoalEditor
				buffer={buffer}
				editing={false}
				status={{kind: 'saved', at: new Date(2026, 0, 1, 9, 5, 7).getTime()}}
				width={40}
				height={10}
				focused={false}
			/>,
		);
		expect(frame).toContain('end');
		expect(frame).toContain('saved 09:05:07');
		expect(frame.split('\n').filter(l => l.includes('word')).length).toBe(5);
		expectStraight(frame, 40);
		const dirty = reduce(buffer, {type: 'insert', text: 'x'});
		expect(show(<GoalEditor buffer={dirty} editing={false} width={60} height={6} focused={false} />).frame).toContain('modified');
		expect(
			show(<GoalEditor buffer={buffer} editing status={{kind: 'error', message: 'not saved: EACCES'}} width={60} height={6} focused />)
				.frame,
		).toContain('not saved: EACCES');
	});
});

describe('help and the quit dialog', () => {
	it('lists every entry of the key table and every command', () => {
		const text = helpLines()
			.map(l => l.map(s => s.text).join(''))
			.join('\n');
		for (const b of bindings) {
			expect(text).toContain(b.keys);
			expect(text).toContain(b.help);
		}
		for (const c of slashCommands) expect(text).toContain(c.name);
		const {frame} = show(<Help width={100} height={20} scroll={5} />);
		expect(frame).toContain('Help');
		expect(frame).toMatch(/6-\d+ of \d+/);
	});

	it('asks what to do with a running experiment, then says it waits', () => {
		const ask = show(<QuitDialog stage="ask" width={52} height={9} />).frame;
		expect(ask).toContain('let it finish and be recorded');
		expect(ask).toContain('stop it now, recorded as crash');
		expect(ask).toContain('Esc');
		expect(show(<QuitDialog stage="finishing" width={52} height={9} />).frame).toContain('Waiting for the run to finish');
	});
});

describe('without colour', () => {
	it('writes no colour when colour is off; plain ASCII borders on a dumb terminal, focus still visible', () => {
		const log = [{text: 'hello', partial: true}];
		const noColor = show(<TrainingLog log={log} scroll={0} width={30} height={4} focused />, {color: false, unicode: true}).raw;
		expect(noColor).not.toMatch(/\u001b\[/);
		expect(noColor).toContain('╔═ ▸ Training');
		const dumb = show(<TrainingLog log={log} scroll={0} width={30} height={4} focused />, {color: false, unicode: false}).raw;
		expect(dumb).not.toMatch(/\u001b\[/);
		expect(dumb).toContain('#= > Training');
		expect(dumb).not.toMatch(/[^\x20-\x7e\n]/);
		const unfocused = show(<TrainingLog log={log} scroll={0} width={30} height={4} focused={false} />, {color: false, unicode: false}).raw;
		expect(unfocused.split('\n')[0]).toMatch(/^\+- Training -+\+$/);
	});
});
