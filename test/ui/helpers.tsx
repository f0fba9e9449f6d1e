import {EventEmitter} from 'node:events';
import {render} from 'ink-testing-library';
import type React from 'react';
import stringWidth from 'string-width';
import {expect} from 'vitest';
import type {LoopEvent} from '../../source/core/events.js';
import type {ExperimentRecord, Status} from '../../source/core/types.js';
import {App} from '../../source/ui/App.js';
import {ThemeContext, type Theme} from '../../source/ui/frame.js';
import {UiStore} from '../../source/ui/state.js';
import {FakeControl} from './fake-control.js';

export const tick = (ms = 30) => new Promise(r => setTimeout(r, ms));

/** A frame without its colours (SGR sequences), as the tests read it. */

export const strip = (frame: string): string => frame.replace(/\u001b\[[0-9;]*m/g, '');

/** A single component drawn on a fake terminal, colours stripped. */
export function draw(
	node: React.ReactElement,
	theme: Theme = {color: true, unicode: true},
): {frame: string; raw: string; unmount: () => void} {
	const app = render(<ThemeContext.Provider value={theme}>{node}</ThemeContext.Provider>);
	const raw = app.lastFrame() ?? '';
	return {frame: strip(raw), raw, unmount: app.unmount};
}

export const keys = {
	tab: '\t',
	shiftTab: '\u001b[Z',
	enter: '\r',
	esc: '\u001b',
	up: '\u001b[A',
	down: '\u001b[B',
	right: '\u001b[C',
	left: '\u001b[D',
	home: '\u001b[H',
	end: '\u001b[F',
	pageUp: '\u001b[5~',
	pageDown: '\u001b[6~',
	backspace: '\u007f',
	delete: '\u001b[3~',
	ctrlC: '\u0003',
	ctrlS: '\u0013',
	ctrlE: '\u0005',
	ctrlW: '\u0017',
	ctrlU: '\u0015',
};

export type Mounted = ReturnType<typeof mount>;

const mounted: Array<() => void> = [];

/** Unmounts everything `mount` made (call in afterEach). */
export function cleanupAll(): void {
	for (const c of mounted.splice(0)) c();
}

/** The whole screen on a fake terminal of a fixed size, with a fake loop behind it. */
export function mount(
	columns = 100,
	rows = 30,
	theme: Theme = {color: true, unicode: true},
	props: {openEditor?: (file: string) => Promise<void>; editor?: string} = {},
	/** What the loop said and did before the screen came up (a resumed session, a lastSeen). */
	before?: (control: FakeControl) => void,
) {
	const control = new FakeControl();
	const store = new UiStore(1000);
	control.subscribe(store.handle);
	before?.(control);
	store.flush();
	const app = render(
		<ThemeContext.Provider value={theme}>
			<App control={control} store={store} programPath="/x/program.md" size={{columns, rows}} {...props} />
		</ThemeContext.Provider>,
	);
	let done = false;
	const cleanup = () => {
		if (done) return;
		done = true;
		app.unmount();
		store.dispose();
	};
	mounted.push(cleanup);
	const emit = async (...events: LoopEvent[]) => {
		for (const e of events) control.emit(e);
		store.flush();
		await tick();
	};
	const press = async (...sequence: string[]) => {
		for (const k of sequence) {
			app.stdin.write(k);
			await tick(15);
		}
		await tick(15);
	};
	const type = async (text: string) => press(...Array.from(text));
	const frame = () => strip(app.lastFrame() ?? '');
	// Every frame Ink writes is announced, so a test can wait for the one it expects instead of sleeping.
	const frames = new EventEmitter();
	const write = app.stdout.write;
	app.stdout.write = (text: string) => {
		write(text);
		frames.emit('frame');
	};
	/** Resolves with the first frame (this one or a later one) that `accept` takes; fails after `ms` with the last frame. */
	const until = (accept: (frame: string) => boolean, ms = 3000) =>
		new Promise<string>((resolve, reject) => {
			const check = () => {
				if (!accept(frame())) return false;
				clearTimeout(timer);
				frames.off('frame', check);
				resolve(frame());
				return true;
			};
			const timer = setTimeout(() => {
				frames.off('frame', check);
				reject(new Error(`no such frame within ${ms} ms; the last:\n${frame()}`));
			}, ms);
			if (!check()) frames.on('frame', check);
		});
	return {control, store, app, emit, press, type, until, frame, raw: () => app.lastFrame() ?? '', cleanup};
}

export const session: LoopEvent = {
	type: 'session',
	tag: 'nov26',
	branch: 'autoresearch/nov26',
	workspace: '/w',
	worktree: '/w/runs/worktrees/w0',
	runsDir: '/w/runs',
	resumed: false,
	metric: 'val_bpb',
	direction: 'lower',
	editable: ['train/train.py'],
	budgetSeconds: 60,
	proposer: 'search',
};

export const record = (n: number, commit: string, metric: number | null, status: Status, description: string): ExperimentRecord => ({
	row: n,
	n,
	commit,
	metric,
	memoryGb: 0,
	status,
	description,
});

export const runStart = (n: number, commit = `c${n}`.padEnd(7, '0'), startedAt = Date.now()): LoopEvent => ({
	type: 'run-start',
	n,
	commit,
	description: `experiment ${n}`,
	budgetSeconds: 60,
	timeoutSeconds: 180,
	startedAt,
});

/** Every line of the frame fits the terminal, and every bordered row is exactly as wide: nothing pushed a border out. */
export function expectStraight(frame: string, columns: number): void {
	const lines = frame.split('\n');
	for (const line of lines) expect(stringWidth(line), line).toBeLessThanOrEqual(columns);
	for (const line of lines.filter(l => /^[│║┌╔└╚|+#]/.test(l))) expect(stringWidth(line), line).toBe(columns);
}
