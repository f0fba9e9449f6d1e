import type React from 'react';
import {afterEach, describe, expect, it} from 'vitest';
import {chooseRange, trendTarget} from '../../source/ui/chart.js';
import {focusOrder, layout} from '../../source/ui/layout.js';
import {AgentPane} from '../../source/ui/panes/AgentPane.js';
import {Experiments} from '../../source/ui/panes/Experiments.js';
import {GoalEditor} from '../../source/ui/panes/GoalEditor.js';
import {helpLines} from '../../source/ui/panes/Help.js';
import {chartLines} from '../../source/ui/panes/LossChart.js';
import {fitProgress, TrainingLog} from '../../source/ui/panes/TrainingLog.js';
import {runSlash} from '../../source/ui/slash.js';
import type {AgentEntry, Experiment, Point} from '../../source/ui/snapshot.js';
import {createBuffer} from '../../source/ui/text-buffer.js';
import {FakeControl} from './fake-control.js';
import {cleanupAll, draw, expectStraight, keys, mount, record, runStart, session} from './helpers.js';

// What a real terminal showed was wrong, one test each: the change cut off
// at 80x24, a chart a third empty, a progress line without its end, an edit
// whose header scrolled away, `applying` for a proposal that waits, the
// model's name on the search's proposal, feedback meant for the model, the
// commands that answered nothing, TERM=dumb, Tab order, comments drawn as
// headings, and quitting with unsaved edits.

const unmounts: Array<() => void> = [];
afterEach(() => {
	for (const u of unmounts.splice(0)) u();
	cleanupAll();
});
function show(node: React.ReactElement, theme = {color: true, unicode: true}) {
	const result = draw(node, theme);
	unmounts.push(result.unmount);
	return result;
}
const focusedTitle = (frame: string) => /[╔#][═=] [▸>] (\w+)/.exec(frame)?.[1];

describe('at 80x24', () => {
	const list: Experiment[] = [
		{...record(1, 'aaaaaaa', 4.0475, 'keep', 'baseline'), seconds: 1},
		{...record(2, 'bbbbbbb', 3.6194, 'keep', 'LEARNING_RATE 3e-3 -> 6e-3'), seconds: 1},
		{...record(3, 'ccccccc', 3.7342, 'discard', 'CPU_HEAD_DIM 64 -> 32'), seconds: 1},
		{...record(4, 'ddddddd', 3.7, 'discard', 'WEIGHT_DECAY 0.1 -> 0.05, WARMUP_STEPS 10 -> 20'), seconds: 1},
	];

	it('keeps NAME old -> new visible in the Experiments pane: other columns go first, then the middle of the name', () => {
		const {frame} = show(
			<Experiments experiments={list} best={list[1]} metric="val_bpb" scroll={0} width={40} height={8} focused={false} />,
		);
		// The values whole; a name too long loses its middle, never its ends.
		expect(frame).toMatch(/LEAR\S*…\S*RATE 3e-3 -> 6e-3/);
		expect(frame).toContain('CPU_HEAD_DIM 64 -> 32');
		expect(frame).toContain(' 0.1 -> 0.05');
		// The status words made room first: here they are marks (kept, discarded).
		expect(frame).toMatch(/3 · +3\.7342/);
		expect(frame).toMatch(/2 ● ★ 3\.6194/);
		// With room, the words stay.
		const wide = show(<Experiments experiments={list} best={list[1]} metric="val_bpb" scroll={0} width={60} height={8} focused={false} />);
		expect(wide.frame).toMatch(/3 discard +3\.7342 +CPU_HEAD_DIM 64 -> 32/);
		expectStraight(frame, 40);
	});

	it("fits the loss chart's y axis to the data, and does not refit it with every point of a steady run", () => {
		const memory = {};
		const ranges: string[] = [];
		for (let i = 1; i <= 10; i++) {
			const loss: Point[] = Array.from({length: i}, (_, k) => ({step: k + 1, loss: 3 - (k + 1) / 10, frac: (k + 1) / 10}));
			const values = loss.map(p => p.loss);
			const range = chooseRange(Math.min(...values), Math.max(...values), 12, memory, trendTarget(loss));
			ranges.push(JSON.stringify(range));
			// Never a third of the height empty: the values (and where the run is heading) fill three quarters of it.
			if (i >= 3) expect(Math.max(...values) - Math.min(2, ...values)).toBeGreaterThanOrEqual(0.7 * (range.max - range.min));
		}
		expect(new Set(ranges.slice(2)).size).toBe(1);
		// The chart itself: the top label is the highest value, the bottom one near the lowest.
		const loss: Point[] = Array.from({length: 50}, (_, k) => ({step: k, loss: 3 - k / 50}));
		const {lines} = chartLines({mode: 'run', loss, bestLoss: [], experiments: [], runNumber: 1, width: 40, height: 14});
		const labels = lines.slice(1).map(l => Number(l[0]!.text.trim().split(' ')[0]));
		expect(labels[0]).toBeLessThan(3.1);
		expect(labels.at(-1)).toBeGreaterThan(1.9);
	});

	it("keeps the progress line's first and last fields (the step and the time remaining) when it does not fit", () => {
		const line =
			'step 00123 (12.3%) | loss: 3.012345 | lrm: 1.00 | dt: 93ms | tok/sec: 175,921 | mfu: 41.2% | epoch: 1 | remaining: 288s    ';
		expect(fitProgress(line, 72)).toBe('step 00123 (12.3%) | loss: 3.012345 | … | epoch: 1 | remaining: 288s');
		expect(fitProgress(line, 48)).toBe('step 00123 (12.3%) | … | remaining: 288s');
		const {frame} = show(
			<TrainingLog log={[{text: line, partial: true}]} run={{n: 1, commit: 'a'}} scroll={0} width={50} height={4} focused />,
		);
		expect(frame).toContain('remaining: 288s');
	});

	it("keeps an edit's header and rationale in view above a long diff, and says how much of the diff is hidden", () => {
		const diff = ['@@ -1,40 +1,40 @@', ...Array.from({length: 40}, (_, i) => `${i % 2 ? '+' : '-'}LINE_${i} = ${i}`)].join('\n');
		const entries: AgentEntry[] = [{kind: 'edit', n: 7, description: 'LINE_0 0 -> 1', rationale: 'lines matter', diff, proposer: 'search'}];
		const {frame} = show(
			<AgentPane entries={entries} input="" cursor={0} typing={false} scroll={0} width={80} height={8} focused={false} />,
		);
		expect(frame).toContain('#7 edit: LINE_0 0 -> 1 · search');
		expect(frame).toContain('lines matter');
		expect(frame).toMatch(/… \d+ more diff lines \(Enter on #7 in Experiments\)/);
		expectStraight(frame, 80);
	});
});

describe('the Agent pane and the commands', () => {
	it('says queued (not applying) while a ready proposal waits, and names who made it: the stand-in, not the model asked', async () => {
		const {emit, frame} = mount(120, 40);
		await emit(
			session,
			runStart(2),
			{type: 'proposal-start', n: 3, proposer: 'ollama', model: 'qwen3:8b'},
			{type: 'proposal', n: 3, description: 'WARMUP 10 -> 50', diff: '-WARMUP = 10\n+WARMUP = 50', proposer: 'search'},
		);
		expect(frame()).toContain('#3 queued · running #2');
		expect(frame()).not.toContain('applying');
		expect(frame()).toContain('#3 proposal (search)');
		expect(frame()).not.toContain('qwen3:8b');
		expect(frame()).toContain('#3 edit: WARMUP 10 -> 50 · search');
	});

	it('shows one line of feedback meant for the model, not the whole of it', async () => {
		const {emit, frame} = mount(120, 40);
		const reason =
			'edit 1 did not apply: its SEARCH does not match train/train.py.\n```\nLR = 3e-3\nWD = 0.1\n```\nWrite the whole answer again';
		await emit({type: 'proposal-retry', n: 4, attempt: 2, reason}, {type: 'proposal-failed', n: 4, reason: `after 3 attempts:\n${reason}`});
		expect(frame()).toContain('warn: #4 retry 2: edit 1 did not apply: its SEARCH does not match train/train.py.');
		expect(frame()).toContain('error: #4 proposal failed: after 3 attempts:');
		expect(frame()).not.toContain('LR = 3e-3');
		expect(frame()).not.toContain('Write the whole answer again');
	});

	it('answers /model, suggests the closest command for a typo, runs /ask and /memory', () => {
		const control = new FakeControl();
		expect(runSlash('/model qwen3:14b', control, []).message).toContain('asking the server');
		expect(control.intents).toContainEqual(['setModel', 'qwen3:14b']);
		expect(runSlash('/mdoel qwen', control, []).message).toBe('unknown command /mdoel; did you mean /model?');
		expect(runSlash('/xyzzy', control, []).message).toMatch(/unknown command \/xyzzy; the commands: \/pause .*\/memory/);
		runSlash('/ask what worked so far?', control, []);
		expect(control.intents).toContainEqual(['ask', 'what worked so far?']);
		expect(runSlash('/ask', control, [])).toMatchObject({level: 'warn'});
		runSlash('/memory', control, []);
		expect(control.intents).toContainEqual(['showMemory']);
		runSlash('/stop w1', control, []);
		expect(control.intents).toContainEqual(['stopRun', 'w1']);
	});

	it('says in its help that /keep and /revert act on the last finished result, and keeps a space after every key', () => {
		const text = helpLines().map(l => l.map(s => s.text).join(''));
		expect(text.find(l => l.includes('/keep'))).toContain('last finished result');
		expect(text.find(l => l.includes('/revert'))).toContain('last finished result');
		for (const l of text.filter(l => l.startsWith('  '))) expect(l, l).toMatch(/^ {2}\S.*? {2,}\S/);
		expect(text.find(l => l.includes('/notes'))).toMatch(/\/notes \[rm N \| clear\] {2,}list/);
	});

	it('labels a question, and opens the memory digest from a `show` event to read in full', async () => {
		const {emit, frame, press, type, until} = mount(120, 40);
		await press('/');
		await type('ask what');
		expect(frame()).toContain('/ask <question>');
		await press(keys.esc);
		await emit(
			{type: 'chat', role: 'user', text: 'what worked so far?', done: true},
			{type: 'show', title: 'memory', text: 'lineage of the best:\n  #2 LR 3e-3 -> 6e-3 \u001b[31mkept\u001b[0m\ndead ends: DEPTH'},
		);
		await until(f => f.includes('lineage of the best'));
		expect(frame()).toContain('#2 LR 3e-3 -> 6e-3 kept');
		await press(keys.esc);
		expect(frame()).toContain('you: what worked so far?');
		expect(frame()).toContain('(a question: answered, not kept as a note)');
	});
});

describe('plain terminals, focus and the goal', () => {
	it('draws nothing but ASCII on TERM=dumb, whatever the panes hold', async () => {
		const {emit, raw, frame} = mount(100, 30, {color: false, unicode: false});
		const r1 = {...record(1, 'aaaaaaa', 2.0, 'keep', 'baseline 日本語 🚀'), delta: -0.01, band: 0.005, runs: 3};
		await emit(
			session,
			{type: 'run-end', n: 1, record: r1, best: r1, baseline: r1, seconds: 1},
			{type: 'run-end', n: 2, record: record(2, 'bbbbbbb', null, 'crash', 'DEPTH 2 -> 3'), best: r1, baseline: r1, seconds: 1},
			runStart(3),
			{type: 'log', n: 3, text: 'step 1 · loss — ok… 日本語', partial: false},
			{type: 'message', level: 'info', text: 'a · b — c … d ↑ ★'},
		);
		expect(raw()).not.toMatch(/[^\x20-\x7e\n]/);
		expect(frame()).toContain('#= > Training');
		expectStraight(frame(), 100);
	});

	it.each([
		[100, 30, ['Goal', 'Training', 'Loss', 'Experiments', 'Agent']],
		[200, 50, ['Goal', 'Training', 'Agent', 'Experiments', 'Loss']],
	])('moves focus with Tab as the panes are laid out (%ix%i)', async (columns, rows, order) => {
		expect(focusOrder(layout(columns, rows)).length).toBe(5);
		const {frame, press} = mount(columns, rows);
		const seen: string[] = [];
		for (let i = 0; i < 5; i++) {
			await press(keys.tab);
			seen.push(focusedTitle(frame())!);
		}
		// Training has focus first: the walk goes on from it and comes back round.
		const start = order.indexOf('Training');
		expect(seen).toEqual([...order.slice(start + 1), ...order.slice(0, start + 1)]);
	});

	it('draws markdown headings in the prose as headings, and # comments in the front matter and in code as text', () => {
		const text = '---\n# a comment in the front matter\nbudget: 60\n---\n# Goal\nLower it.\n```\n# a comment in code\n```\n## Rules\n';
		const {raw} = show(<GoalEditor buffer={createBuffer(text, 12, 60)} editing={false} width={62} height={14} focused={false} />);
		const rawRow = (s: string) => raw.split('\n').find(l => l.includes(s))!;
		expect(rawRow('# Goal')).toContain('\u001b[36');
		expect(rawRow('## Rules')).toContain('\u001b[36');
		expect(rawRow('a comment in the front matter')).not.toContain('\u001b[36');
		expect(rawRow('a comment in code')).not.toContain('\u001b[36');
	});
});

describe('quitting with unsaved goal edits', () => {
	const edit = async (m: ReturnType<typeof mount>) => {
		await m.press(keys.shiftTab, keys.enter);
		await m.type('Unsaved ');
		await m.press(keys.esc);
	};

	it('asks first: Esc stays, s saves then quits, d drops the edits and quits', async () => {
		const cancel = mount(120, 40);
		await edit(cancel);
		await cancel.press('q');
		expect(cancel.frame()).toContain('program.md has edits that are not saved');
		await cancel.press(keys.esc);
		expect(cancel.frame()).not.toContain('not saved. Quit');
		expect(cancel.control.intents.some(i => i[0] === 'quit')).toBe(false);

		const save = mount(120, 40);
		await edit(save);
		await save.press('q', 's');
		await save.until(() => save.control.intents.some(i => i[0] === 'quit'));
		expect(save.control.intents.map(i => i[0])).toEqual(['saveGoal', 'quit']);
		expect(save.control.goal).toMatch(/^Unsaved ---/);

		const drop = mount(120, 40);
		await edit(drop);
		drop.control.running = true;
		await drop.press('q', 'd');
		// A run in progress: the next question is the run's.
		expect(drop.frame()).toContain('let it finish and be recorded');
		expect(drop.control.intents).toEqual([]);
	});

	it('says so on the first Ctrl+C', async () => {
		const m = mount(120, 40);
		await edit(m);
		await m.press(keys.ctrlC);
		expect(m.frame()).toContain('Ctrl+C again to quit (unsaved goal edits are lost)');
	});

	it('shows a run stopped by hand as stopped, not as a crash', async () => {
		const {emit, frame} = mount(120, 40);
		const stopped = {...record(2, 'bbbbbbb', null, 'crash', 'DEPTH 2 -> 3'), reason: 'stopped by hand'};
		await emit(session, {type: 'run-end', n: 2, record: stopped, best: undefined, baseline: undefined, seconds: 1});
		expect(frame()).toMatch(/2 stopped/);
		expect(frame()).not.toMatch(/2 crash/);
	});
});
