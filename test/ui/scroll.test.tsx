import {afterEach, describe, expect, it} from 'vitest';
import type {LoopEvent} from '../../source/core/events.js';
import {cleanupAll, keys, mount, record, runStart, session} from './helpers.js';

// Scrolling that never jams at an end, keys that count when they come in
// one burst, and the Experiments table's selected row that Enter opens.

afterEach(cleanupAll);

const focusedTitle = (frame: string) => /[╔#][═=] [▸>] (\w+)/.exec(frame)?.[1];
const lines = (n: number, count: number): LoopEvent[] =>
	Array.from({length: count}, (_, i) => ({type: 'log' as const, n, text: `line ${i}`, partial: false}));
const results = (count: number): LoopEvent[] =>
	Array.from({length: count}, (_, i) => {
		const r = record(i + 1, `c${i + 1}`.padEnd(7, '0'), 2 - i / 100, i === 0 ? 'keep' : 'discard', `KNOB_${i + 1} 1 -> 2`);
		return {type: 'run-end' as const, n: i + 1, record: r, best: undefined, baseline: undefined, seconds: 1};
	});

describe('scrolling', () => {
	it('moves at once off either end of the log: after g, j goes down; after G, k goes up', async () => {
		const {emit, frame, press} = mount(100, 30);
		await emit(runStart(1), ...lines(1, 200));
		await press('g');
		expect(frame()).toContain('line 0');
		await press('j');
		expect(frame()).not.toMatch(/│line 0 /);
		expect(frame()).toContain('line 1');
		await press('G', 'k');
		expect(frame()).toContain('↑ 1 of 200');
		// Past the start, g and j again: still one line.
		await press('g', 'g', 'k', 'k', 'j');
		expect(frame()).toContain('line 1 ');
		expect(frame()).not.toMatch(/║line 0 /);
	});

	it('moves at once off either end of the Experiments table: after PgDn to the bottom, k goes up', async () => {
		const {emit, frame, press, raw} = mount(100, 30);
		await emit(session, ...results(40));
		await press(keys.tab, keys.tab);
		expect(focusedTitle(frame())).toBe('Experiments');
		const selected = () => Number(/\u001b\[7m\s*(\d+) /.exec(raw())?.[1]);
		for (let i = 0; i < 10; i++) await press(keys.pageDown);
		expect(selected()).toBe(1);
		expect(frame()).toMatch(/1 keep\s+2\.0000/);
		await press('k');
		expect(selected()).toBe(2);
		await press('g', 'k', 'k', 'j');
		expect(selected()).toBe(39);
		expect(frame()).toContain('KNOB_40 1 -> 2');
	});

	it('moves at once off either end of the Agent pane', async () => {
		const {emit, frame, press} = mount(100, 30);
		await emit(...Array.from({length: 60}, (_, i): LoopEvent => ({type: 'message', level: 'info', text: `message ${i}`})));
		await press(keys.tab, keys.tab, keys.tab);
		expect(focusedTitle(frame())).toBe('Agent');
		await press('g');
		expect(frame()).toContain('message 0');
		await press('j');
		expect(frame()).not.toContain('message 0');
		expect(frame()).toContain('message 1');
		await press('G');
		expect(frame()).toContain('message 59');
		await press('k');
		expect(frame()).toContain('↑ 1');
	});

	it('counts every key of a burst (jjj in one read) as a key press', async () => {
		const {emit, frame, press, app} = mount(100, 30);
		await emit(runStart(1), ...lines(1, 200));
		app.stdin.write('kkk');
		await press();
		expect(frame()).toContain('↑ 3 of 200');
		app.stdin.write('jj');
		await press();
		expect(frame()).toContain('↑ 1 of 200');
	});
});

describe('the Experiments table', () => {
	it('selects a row with j/k and opens it with Enter: its diff, coloured, and the end of its log, sanitized', async () => {
		const {control, emit, frame, press, raw, until} = mount(120, 40);
		control.detailsOf = n => ({
			n,
			diff: `--- a/train/train.py\n+++ b/train/train.py\n@@ -1 +1 @@\n-KNOB = 1\n+KNOB = 2 \u001b]52;c;ZXZpbA==\u0007evil\n`,
			logTail: ['step 00001 | loss 3.0', 'val_bpb: 1.2345 \u001b[2J'],
			summary: {rationale: 'a knob that matters', proposer: 'search'},
		});
		await emit(session, ...results(5));
		await press(keys.tab, keys.tab);
		expect(focusedTitle(frame())).toBe('Experiments');
		// The newest row is selected; j moves down one.
		expect(raw()).toMatch(/\u001b\[7m {2}5 /);
		await press('j');
		expect(raw()).toMatch(/\u001b\[7m {2}4 /);
		await press(keys.enter);
		await until(f => f.includes('+KNOB = 2'));
		expect(control.intents).toContainEqual(['details', 4]);
		expect(frame()).toContain('#4 · its diff and log');
		expect(frame()).toContain('KNOB_4 1 -> 2');
		expect(frame()).toContain('rationale (search): a knob that matters');
		expect(frame()).toContain('-KNOB = 1');
		expect(frame()).toContain('val_bpb: 1.2345');
		expect(raw()).toMatch(/\u001b\[32m {1}\+KNOB = 2/);
		expect(raw()).not.toMatch(/\u001b\]52|\u001b\[2J|\u0007/);
		// c: the whole change from the baseline to the best; Esc back to the screen.
		control.change = '--- a/train/train.py\n+++ b/train/train.py\n-KNOB = 1\n+KNOB = 3\n';
		await press('c');
		await until(f => f.includes('Change since the baseline'));
		expect(frame()).toContain('+KNOB = 3');
		expect(control.intents).toContainEqual(['changeSinceBaseline']);
		await press(keys.esc);
		expect(frame()).not.toContain('Change since the baseline');
		expect(focusedTitle(frame())).toBe('Experiments');
	});

	it('keeps the selection on the same experiment while new results arrive above it', async () => {
		const {emit, raw, press} = mount(120, 40);
		await emit(session, ...results(5));
		await press(keys.tab, keys.tab, 'j', 'j');
		expect(raw()).toMatch(/\u001b\[7m {2}3 /);
		const r6 = record(6, 'c6'.padEnd(7, '0'), 1.9, 'discard', 'KNOB_6 1 -> 2');
		await emit({type: 'run-end', n: 6, record: r6, best: undefined, baseline: undefined, seconds: 1});
		expect(raw()).toMatch(/\u001b\[7m {2}3 /);
	});
});
