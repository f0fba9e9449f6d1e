import {afterEach, describe, expect, it} from 'vitest';
import {App} from '../../source/ui/App.js';
import {ThemeContext} from '../../source/ui/frame.js';
import {bindings} from '../../source/ui/keys.js';
import type {FakeControl} from './fake-control.js';
import {cleanupAll, expectStraight, keys, mount, record, runStart, session, strip, tick} from './helpers.js';

// The whole screen on a fake terminal, driven by keys, with a fake loop.

afterEach(cleanupAll);

const focusedTitle = (frame: string) => /[╔#][═=] [▸>] (\w+)/.exec(frame)?.[1];

describe('the screen', () => {
	it.each([
		[80, 24],
		[100, 30],
		[120, 40],
		[250, 70],
	])('shows every pane at %ix%i, exactly the terminal in size, borders straight', async (columns, rows) => {
		const {emit, frame} = mount(columns, rows);
		const r1 = record(1, 'aaaaaaa', 1.05, 'keep', 'baseline');
		await emit(
			session,
			{type: 'run-end', n: 1, record: r1, best: r1, baseline: r1, seconds: 1},
			runStart(2, 'bbbbbbb'),
			{type: 'log', n: 2, text: 'device: cpu 日本語', partial: false},
			{type: 'log', n: 2, text: 'step 00001 (1.0%) | loss: 5.000000', partial: true},
			{type: 'log', n: 2, text: 'step 00002 (2.0%) | loss: 4.000000', partial: true},
			{type: 'progress', n: 2, step: 1, loss: 5},
			{type: 'progress', n: 2, step: 2, loss: 4},
			{type: 'chat', role: 'user', text: 'hello', done: true},
		);
		const f = frame();
		for (const title of ['Goal · program.md', 'Training #2 bbbbbbb', 'Loss', 'Experiments', 'Agent']) expect(f).toContain(title);
		expect(f).toContain('Lower val_bpb.');
		expect(f).toContain('step 00002 (2.0%)');
		expect(f).not.toContain('step 00001 (1.0%)');
		expect(f).toMatch(/running #2 \d+:\d\d left/);
		expect(f).toContain('you: hello');
		expect(f).toMatch(/1 keep\s+★/);
		expect(f.split('\n')).toHaveLength(rows);
		expectStraight(f, columns);
	});

	it('asks for a bigger terminal below 40x12', async () => {
		const {frame} = mount(30, 10);
		expect(frame()).toContain('needs 40x12');
	});

	it('re-lays out on resize without leftovers', async () => {
		const control = (await import('./fake-control.js')).FakeControl;
		const {UiStore} = await import('../../source/ui/state.js');
		const {render} = await import('ink-testing-library');
		const c = new control();
		const store = new UiStore(1000);
		const tree = (columns: number, rows: number) => (
			<ThemeContext.Provider value={{color: true, unicode: true}}>
				<App control={c} store={store} programPath="/p" size={{columns, rows}} />
			</ThemeContext.Provider>
		);
		const app = render(tree(120, 40));
		for (const [w, h] of [
			[80, 24],
			[200, 50],
			[90, 30],
		]) {
			app.rerender(tree(w!, h!));
			await tick();
			const f = strip(app.lastFrame() ?? '');
			expect(f.split('\n')).toHaveLength(h!);
			expectStraight(f, w!);
		}
		app.unmount();
		store.dispose();
	});

	it('moves focus with Tab and Shift+Tab, the focused border marked', async () => {
		const {frame, press} = mount();
		expect(focusedTitle(frame())).toBe('Training');
		// As laid out (stacked at 100x30): left to right, top to bottom.
		const order = ['Loss', 'Experiments', 'Agent', 'Goal', 'Training'];
		for (const title of order) {
			await press(keys.tab);
			expect(focusedTitle(frame())).toBe(title);
		}
		await press(keys.shiftTab, keys.shiftTab);
		expect(focusedTitle(frame())).toBe('Agent');
	});

	it('types a chat message: letters that are keys elsewhere type there', async () => {
		const {control, frame, press, type} = mount();
		await press(keys.tab, keys.tab, keys.tab, keys.enter);
		await type('quit? jk/g');
		expect(frame()).toContain('> quit? jk/g');
		expect(frame()).not.toContain('An experiment is running');
		await press(keys.left, keys.left, keys.backspace);
		await type('X');
		expect(frame()).toContain('> quit? jX/g');
		await press(keys.enter);
		expect(control.intents).toContainEqual(['say', 'quit? jX/g']);
		// History: up brings it back.
		await press(keys.up);
		expect(frame()).toContain('> quit? jX/g');
		await press(keys.down);
		expect(frame()).not.toContain('> quit? jX/g');
		// Esc leaves the field; q is a key again.
		await press(keys.esc);
		expect(frame()).toContain('Enter: write to the agent');
	});

	it('runs slash commands with completion hints and Tab', async () => {
		const {control, frame, press, type} = mount(120, 36);
		await press('/');
		expect(focusedTitle(frame())).toBe('Agent');
		await type('bu');
		expect(frame()).toContain('/budget <seconds> — time budget from the next run on');
		await press(keys.tab);
		await type('90');
		expect(frame()).toContain('> /budget 90');
		await press(keys.enter);
		expect(control.intents).toContainEqual(['setBudget', 90]);
		const cases: Array<[string, [string, ...unknown[]]]> = [
			['/pause', ['pause']],
			['/resume', ['resume']],
			['/stop', ['stopRun']],
			['/keep', ['overrule', 'keep']],
			['/revert', ['overrule', 'revert']],
			['/model qwen3-coder:30b', ['setModel', 'qwen3-coder:30b']],
			['/notes', ['showNotes']],
		];
		for (const [typed, intent] of cases) {
			await type(typed);
			await press(keys.enter);
			expect(control.intents).toContainEqual(intent);
		}
		await type('/wat');
		await press(keys.enter);
		expect(frame()).toContain('unknown command /wat');
		await type('/help');
		await press(keys.enter);
		expect(frame()).toContain('Anywhere (not typing)');
		await press(keys.esc);
		expect(frame()).not.toContain('Anywhere (not typing)');
		// Tab on plain text moves on instead (after the Agent, across the bottom, comes the Goal, top left).
		await type('plain');
		await press(keys.tab);
		expect(focusedTitle(frame())).toBe('Goal');
	});

	it('edits the goal in place and saves it with Ctrl+S; q types a letter there', async () => {
		const {control, frame, press, type, until} = mount(140, 30);
		await press(keys.shiftTab);
		expect(focusedTitle(frame())).toBe('Goal');
		await press(keys.enter, keys.down, keys.down, keys.down, keys.end);
		await type('!');
		await press(keys.enter);
		await type('New q');
		expect(frame()).toContain('modified');
		expect(frame()).not.toContain('An experiment is running');
		await press(keys.ctrlS);
		await until(f => /saved \d\d:\d\d:\d\d/.test(f));
		expect(control.intents.at(-1)).toEqual(['saveGoal', '---\nbudget: 60\n---\n# Goal!\nNew q\nLower val_bpb.\n']);
		expect(frame()).not.toContain('modified');
		expect(frame()).toMatch(/saved \d\d:\d\d:\d\d/);
		// Tab indents in the editor, Esc leaves it.
		await press(keys.tab);
		await type('x');
		await press(keys.esc);
		expect(frame()).toContain('New q   x');
	});

	it('says when saving fails and keeps the text', async () => {
		const {control, frame, press, type, until} = mount(140, 30);
		control.failSave = new Error('EACCES: permission denied');
		await press(keys.shiftTab, keys.enter);
		await type('Z');
		await press(keys.ctrlS);
		await until(f => f.includes('not saved'));
		expect(frame()).toContain('not saved: EACCES');
		expect(frame()).toContain('Z---');
	});

	it('reloads the goal when program.md changes, unless there are unsaved edits', async () => {
		const {control, emit, frame, press, type} = mount();
		control.goal = 'Changed on disk.\n';
		await emit({type: 'goal-changed'});
		expect(frame()).toContain('Changed on disk.');
		await press(keys.shiftTab, keys.enter);
		await type('mine ');
		control.goal = 'Changed again.\n';
		await emit({type: 'goal-changed'});
		expect(frame()).toContain('mine Changed on disk.');
		expect(frame()).not.toContain('Changed again.');
	});

	it('opens $EDITOR through the injected opener and reloads after it', async () => {
		const opened: string[] = [];
		const holder: {control?: FakeControl} = {};
		let closed: (() => void) | undefined;
		const m = mount(
			100,
			30,
			{color: true, unicode: true},
			{
				openEditor: async file => {
					opened.push(file);
					holder.control!.goal = 'Written in the editor.\n';
					closed?.();
				},
			},
		);
		holder.control = m.control;
		await m.press(keys.shiftTab, 'e');
		await m.until(f => f.includes('program.md reloaded from the editor'));
		expect(opened).toEqual(['/x/program.md']);
		expect(m.frame()).toContain('Written in the editor.');
		expect(m.frame()).toContain('program.md reloaded from the editor');
		// Ctrl+E from anywhere too.
		const second = new Promise<void>(resolve => (closed = resolve));
		await m.press(keys.tab, keys.ctrlE);
		await second;
		expect(opened).toHaveLength(2);
		// Without an opener: a message, no crash.
		const bare = mount();
		await bare.press(keys.ctrlE);
		expect(bare.frame()).toContain('no editor to open here');
	});

	it("names the user's editor in the Goal pane's hint when it is given, $EDITOR when not", async () => {
		const named = mount(140, 30, {color: true, unicode: true}, {editor: 'vim'});
		await named.press(keys.shiftTab);
		expect(named.frame()).toContain('Enter edit · e vim');
		const unnamed = mount(140, 30);
		await unnamed.press(keys.shiftTab);
		expect(unnamed.frame()).toContain('Enter edit · e $EDITOR');
	});

	it('scrolls the log back and follows again with G', async () => {
		const {emit, frame, press} = mount(100, 30);
		await emit(runStart(1), ...Array.from({length: 200}, (_, i) => ({type: 'log' as const, n: 1, text: `line ${i}`, partial: false})));
		expect(frame()).toContain('line 199');
		await press('k', 'k', 'k');
		expect(frame()).not.toContain('line 199');
		expect(frame()).toContain('↑ 3 of 200');
		// New lines arrive: the view stays on the same lines.
		await emit({type: 'log', n: 1, text: 'line 200', partial: false});
		expect(frame()).toContain('↑ 4 of 201');
		await press('g');
		expect(frame()).toContain('line 0');
		await press('G');
		expect(frame()).toContain('line 200');
		expect(frame()).toContain('following');
	});

	it('switches the chart to the metric across experiments with m', async () => {
		const {emit, frame, press} = mount(250, 70);
		const r1 = record(1, 'aaaaaaa', 2.0, 'keep', 'baseline');
		const r2 = record(2, 'bbbbbbb', 1.5, 'keep', 'LR up');
		await emit(
			session,
			{type: 'run-end', n: 1, record: r1, best: r1, baseline: r1, seconds: 1},
			{type: 'run-end', n: 2, record: r2, best: r2, baseline: r1, seconds: 1},
		);
		await press('m');
		expect(frame()).toContain('Progress');
		expect(frame()).toContain('2 kept · 0 discarded · 0 crashed');
		await press('m');
		expect(frame()).toContain('Loss');
	});

	it('quits at once with q when nothing runs', async () => {
		const {control, press} = mount();
		await press('q');
		expect(control.intents).toContainEqual(['quit', 'finish']);
	});

	it('asks before quitting while a run is in progress: cancel, finish (and wait), or stop', async () => {
		const {control, frame, press} = mount();
		control.running = true;
		control.hold = new Promise(() => undefined);
		await press('q');
		expect(frame()).toContain('let it finish and be recorded');
		expect(frame()).toContain('stop it now, recorded as crash');
		await press(keys.esc);
		expect(frame()).not.toContain('let it finish');
		expect(control.intents).toEqual([]);
		await press('q', 'f');
		expect(control.intents).toContainEqual(['quit', 'finish']);
		expect(frame()).toContain('Waiting for the run to finish');
		// Keys do nothing while it waits, but Ctrl+C twice still stops it now.
		await press('q', 's');
		expect(control.intents).toEqual([['quit', 'finish']]);
		await press(keys.ctrlC, keys.ctrlC);
		expect(control.intents).toContainEqual(['quit', 'now']);

		const other = mount();
		other.control.running = true;
		await other.press('q', 's');
		expect(other.control.intents).toEqual([['quit', 'now']]);
	});

	it('quits at once on Ctrl+C twice within 2 s; once only says so, even on a full status line', async () => {
		const full = mount(80, 24);
		const r1 = record(1, 'aaaaaaa', 2.8257, 'keep', 'baseline');
		await full.emit(session, {type: 'run-end', n: 1, record: r1, best: r1, baseline: r1, seconds: 1}, runStart(2), {
			type: 'gpu',
			gpus: [{index: 0, name: 'H100', utilization: 97, memoryUsedMb: 46080, memoryTotalMb: 81559, temperatureC: 64}],
		});
		full.control.running = true;
		await full.press(keys.ctrlC);
		expect(full.frame().split('\n').at(-1)).toMatch(/^Ctrl\+C again: quit now, the run recorded as crash/);
		const {control, frame, press} = mount();
		await press(keys.ctrlC);
		expect(frame()).toContain('Ctrl+C again to quit');
		expect(control.intents).toEqual([]);
		await press(keys.ctrlC);
		expect(control.intents).toContainEqual(['quit', 'now']);
	});

	it('opens help generated from the key table with ?, and closes it', async () => {
		const {frame, press} = mount(160, 120);
		await press('?');
		for (const b of bindings) expect(frame()).toContain(b.help);
		await press('?');
		expect(frame()).not.toContain('Agent commands');
		await press('?', keys.esc);
		expect(frame()).not.toContain('Agent commands');
	});

	it('takes a paste into the field that has focus, line breaks and all in the goal', async () => {
		const {frame, press, app, until} = mount();
		await press(keys.shiftTab, keys.enter);
		app.stdin.write('\u001b[200~pasted\nlines\u001b[201~');
		await until(f => f.includes('pasted'));
		expect(frame()).toMatch(/║pasted\s*║[^\n]*\n║lines---/);
	});

	it('without colour or unicode still marks focus and the best, and writes no colour', async () => {
		const {emit, frame, raw} = mount(80, 24, {color: false, unicode: false});
		const r1 = record(1, 'aaaaaaa', 2.0, 'keep', 'baseline');
		await emit(session, {type: 'run-end', n: 1, record: r1, best: r1, baseline: r1, seconds: 1});
		expect(raw()).not.toMatch(/\u001b\[/);
		expect(frame()).toContain('#= > Training');
		expect(frame()).toMatch(/1 keep\s+\*\s*2\.0000/);
		expect(frame()).not.toMatch(/[│┌╔★]/);
		expectStraight(frame(), 80);
	});
});
