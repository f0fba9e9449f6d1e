import {render} from 'ink-testing-library';
import React from 'react';
import {afterEach, describe, expect, it} from 'vitest';
import type {LoopEvent} from '../../source/core/events.js';
import {App} from '../../source/ui/App.js';
import {ThemeContext} from '../../source/ui/frame.js';
import {UiStore} from '../../source/ui/state.js';
import {FakeControl} from './fake-control.js';
import stringWidth from 'string-width';

let cleanup: (() => void) | undefined;
afterEach(() => {
	cleanup?.();
	cleanup = undefined;
});

const tick = (ms = 30) => new Promise(r => setTimeout(r, ms));

function mount(columns = 100, rows = 30, theme = {color: true, unicode: true}) {
	const control = new FakeControl();
	const store = new UiStore(1000);
	control.subscribe(store.handle);
	const app = render(
		<ThemeContext.Provider value={theme}>
			<App control={control} store={store} programPath="/x/program.md" size={{columns, rows}} />
		</ThemeContext.Provider>,
	);
	cleanup = () => {
		app.unmount();
		store.dispose();
	};
	const emit = async (...events: LoopEvent[]) => {
		for (const e of events) control.emit(e);
		store.flush();
		await tick();
	};
	const press = async (...keys: string[]) => {
		for (const k of keys) {
			app.stdin.write(k);
			await tick();
		}
	};
	return {control, store, app, emit, press, frame: () => app.lastFrame() ?? ''};
}

const session: LoopEvent = {
	type: 'session', tag: 'nov26', branch: 'autoresearch/nov26', workspace: '/w', worktree: '/w/runs/worktrees/w0', runsDir: '/w/runs',
	resumed: false, metric: 'val_bpb', direction: 'lower', editable: ['train/train.py'], budgetSeconds: 60, proposer: 'search',
};
const record = (n: number, commit: string, metric: number | null, status: 'keep' | 'discard' | 'crash', description: string) =>
	({n, commit, metric, memoryGb: 0, status, description});

/** Every line of the frame has the same display width: no border pushed out. */
function expectStraight(frame: string, columns: number) {
	for (const line of frame.split('\n')) expect(stringWidth(line)).toBeLessThanOrEqual(columns);
	const bordered = frame.split('\n').filter(l => /^[│║┌╔└╚]/.test(l));
	for (const line of bordered) expect(stringWidth(line)).toBe(columns);
}

describe('the screen', () => {
	it('shows the panes, the goal and a collapsed training log', async () => {
		const {emit, frame} = mount();
		await emit(session, {type: 'run-start', n: 1, commit: 'abc1234', description: 'baseline', budgetSeconds: 60, timeoutSeconds: 180, startedAt: Date.now()});
		await emit(
			{type: 'log', n: 1, text: 'device: cpu', partial: false},
			{type: 'log', n: 1, text: 'step 00001 (1.0%) | loss: 5.000000', partial: true},
			{type: 'log', n: 1, text: 'step 00002 (2.0%) | loss: 4.000000', partial: true},
			{type: 'progress', n: 1, step: 1, loss: 5},
			{type: 'progress', n: 1, step: 2, loss: 4},
		);
		const f = frame();
		for (const title of ['Goal · program.md', 'Training #1 abc1234', 'Loss', 'Experiments', 'Agent']) expect(f).toContain(title);
		expect(f).toContain('Lower val_bpb.');
		expect(f).toContain('step 00002 (2.0%)');
		expect(f).not.toContain('step 00001 (1.0%)');
		expect(f).toMatch(/running #1 · \d+:\d\d left/);
		expectStraight(f, 100);
	});

	it('cuts wide characters by display width and keeps escape sequences out', async () => {
		const {emit, frame} = mount(80, 24);
		await emit(session, {type: 'run-start', n: 1, commit: 'abc1234', description: 'x', budgetSeconds: 60, timeoutSeconds: 180, startedAt: Date.now()});
		await emit(
			{type: 'log', n: 1, text: '日本語のログ'.repeat(20), partial: false},
			{type: 'log', n: 1, text: 'evil\u001b]52;c;ZXZpbA==\u0007 \u001b[2J\u001b[10;10Hmoved \u001b]0;title\u0007done', partial: false},
		);
		const f = frame();
		expect(f).toContain('evil moved done');
		expect(f).not.toMatch(/\u001b\]|\u001b\[2J|\u001b\[10;10H/);
		expectStraight(f, 80);
	});

	it('lists experiments newest first with the best marked, and the metric across experiments on m', async () => {
		const {emit, frame, press} = mount(120, 36);
		const r1 = record(1, 'aaaaaaa', 2.0, 'keep', 'baseline');
		const r2 = record(2, 'bbbbbbb', 1.5, 'keep', 'LEARNING_RATE 3e-3 -> 6e-3');
		const r3 = record(3, 'ccccccc', 1.7, 'discard', 'CPU_DEPTH 2 -> 3');
		const r4 = record(4, 'ddddddd', null, 'crash', 'LEARNING_RATE 6e-3 -> 1.2e-2');
		await emit(
			session,
			{type: 'run-end', n: 1, record: r1, best: r1, baseline: r1, seconds: 1},
			{type: 'run-end', n: 2, record: r2, best: r2, baseline: r1, seconds: 1},
			{type: 'run-end', n: 3, record: r3, best: r2, baseline: r1, seconds: 1},
			{type: 'run-end', n: 4, record: r4, best: r2, baseline: r1, seconds: 1},
		);
		const rows = frame().split('\n').filter(l => /\b(keep|discard|crash)\b/.test(l));
		expect(rows.map(l => /\s(\d) (keep|discard|crash)/.exec(l)?.slice(1, 3).join(' '))).toEqual(['4 crash', '3 discard', '2 keep', '1 keep']);
		expect(rows[2]).toContain('★');
		expect(rows[2]).toContain('-0.5000');
		expect(frame()).toContain('best val_bpb 1.5000 (-0.5000 vs baseline)');
		await press('m');
		expect(frame()).toContain('running best');
		expect(frame()).toContain('2 kept · 1 discarded · 1 crashed');
	});

	it('survives NaN, Infinity and empty series in the chart', async () => {
		const {emit, frame} = mount();
		await emit(session, {type: 'run-start', n: 1, commit: 'abc1234', description: 'x', budgetSeconds: 60, timeoutSeconds: 180, startedAt: Date.now()});
		expect(frame()).toContain('waiting for the first step');
		await emit({type: 'progress', n: 1, step: 1, loss: Number.NaN}, {type: 'progress', n: 1, step: 2, loss: Infinity});
		expect(frame()).toContain('waiting for the first step');
		await emit({type: 'progress', n: 1, step: 3, loss: 3}, {type: 'progress', n: 1, step: 4, loss: 2});
		expect(frame()).not.toContain('waiting for the first step');
		expect(frame()).toMatch(/3\.000 ┼/);
		expect(frame()).toMatch(/2\.000 ┤/);
	});

	it('moves focus with Tab, types a chat message, and runs slash commands with completion', async () => {
		const {control, frame, press} = mount();
		expect(frame()).toContain('▸ Training');
		await press('\t', '\t');
		expect(frame()).toContain('▸ Agent');
		await press('\r', 'h', 'i', ' ', 't', 'h', 'e', 'r', 'e');
		expect(frame()).toContain('> hi there');
		await press('\r');
		expect(control.intents).toContainEqual(['say', 'hi there']);
		await press('/', 'b', 'u');
		expect(frame()).toContain('/budget <seconds>: time budget from the next run on');
		await press('\t', '9', '0', '\r');
		expect(control.intents).toContainEqual(['setBudget', 90]);
		for (const [typed, intent] of [['/pause', ['pause']], ['/resume', ['resume']], ['/stop', ['stopRun']], ['/keep', ['overrule', 'keep']], ['/revert', ['overrule', 'revert']], ['/model qwen3-coder:30b', ['setModel', 'qwen3-coder:30b']]] as const) {
			await press(...typed.split(''), '\r');
			expect(control.intents).toContainEqual(intent);
		}
		await press('/', 'w', 'a', 't', '\r');
		expect(frame()).toContain('unknown command /wat');
		await press('\u001b', '\u001b[Z');
		expect(frame()).toContain('▸ Loss');
	});

	it('edits the goal in place and saves it with Ctrl+S', async () => {
		const {control, frame, press} = mount();
		await press('\u001b[Z');
		expect(frame()).toContain('▸ Goal');
		await press('\r', '\u001b[B', '\u001b[B', '\u001b[B', '\u001b[F', '!', '\r', 'N', 'e', 'w');
		expect(frame()).toContain('modified');
		await press('\u0013');
		expect(control.intents.at(-1)).toEqual(['saveGoal', '---\nbudget: 60\n---\n# Goal!\nNew\nLower val_bpb.\n']);
		expect(frame()).not.toContain('modified');
		// While typing, q is a letter, not quit.
		await press('q');
		expect(frame()).not.toContain('Quit nightshift');
	});

	it('asks before quitting with a run in progress, and quits at once on Ctrl+C twice', async () => {
		const {control, frame, press} = mount();
		control.running = true;
		control.hold = new Promise(() => undefined);
		await press('q');
		expect(frame()).toContain('let it finish and be recorded');
		await press('\u001b');
		expect(frame()).not.toContain('let it finish');
		await press('q', 'f');
		expect(control.intents).toContainEqual(['quit', 'finish']);
		expect(frame()).toContain('Waiting for the run to finish');
		const second = mount();
		await second.press('\u0003');
		expect(second.frame()).toContain('Ctrl+C again');
		expect(second.control.intents).toEqual([]);
		await second.press('\u0003');
		expect(second.control.intents).toContainEqual(['quit', 'now']);
	});

	it('generates help from the key table', async () => {
		const {frame, press} = mount(120, 50);
		await press('?');
		const {bindings, slashCommands} = await import('../../source/ui/keys.js');
		for (const b of bindings) expect(frame()).toContain(b.help.slice(0, 30));
		for (const c of slashCommands.slice(0, 3)) expect(frame()).toContain(c.name);
		await press('?');
		expect(frame()).not.toContain('show or hide this help');
	});

	it('without colour or unicode (NO_COLOR, TERM=dumb) still marks focus and the best', async () => {
		const {emit, frame} = mount(80, 24, {color: false, unicode: false});
		const r1 = record(1, 'aaaaaaa', 2.0, 'keep', 'baseline');
		await emit(session, {type: 'run-end', n: 1, record: r1, best: r1, baseline: r1, seconds: 1});
		const f = frame();
		expect(f).not.toMatch(/\u001b\[/);
		expect(f).toContain('#= > Training');
		expect(f).toMatch(/1 keep\s+\*\s*2\.0000/);
		expect(f).not.toMatch(/[│┌╔★]/);
	});
});
