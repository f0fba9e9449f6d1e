import {EventEmitter} from 'node:events';
import {describe, expect, it} from 'vitest';
import {runTui, themeFromEnv} from '../../source/ui/run-tui.js';
import {UiStore, type Snapshot} from '../../source/ui/state.js';
import {FakeControl} from './fake-control.js';
import {runStart, session} from './helpers.js';

// runTui on a fake terminal: what it writes, what it leaves behind.

class FakeTty extends EventEmitter {
	isTTY = true;
	columns = 100;
	rows = 30;
	data = '';
	write(chunk: string, callback?: () => void): boolean {
		this.data += chunk;
		if (typeof callback === 'function') callback();
		this.emit('written');
		return true;
	}
	/** Resolves once everything written so far contains each of `texts` (waits for the frame, not a guessed time). */
	until(...texts: string[]): Promise<void> {
		return new Promise((resolve, reject) => {
			const check = () => {
				if (!texts.every(t => this.data.includes(t))) return false;
				clearTimeout(timer);
				this.off('written', check);
				resolve();
				return true;
			};
			const timer = setTimeout(() => {
				this.off('written', check);
				reject(new Error(`never written: ${texts.filter(t => !this.data.includes(t)).join(', ')}`));
			}, 5000);
			if (!check()) this.on('written', check);
		});
	}
}

class FakeKeyboard extends EventEmitter {
	isTTY = true;
	isRaw = false;
	private chunk: string | null = null;
	setRawMode(mode: boolean) {
		this.isRaw = mode;
		return this;
	}
	setEncoding() {}
	resume() {}
	pause() {}
	ref() {}
	unref() {}
	read() {
		const c = this.chunk;
		this.chunk = null;
		return c;
	}
	type(text: string) {
		this.chunk = text;
		this.emit('readable');
	}
}

function start(control: FakeControl, store?: UiStore) {
	const stdout = new FakeTty();
	const stdin = new FakeKeyboard();
	const streams = {
		stdout: stdout as unknown as NodeJS.WriteStream,
		stdin: stdin as unknown as NodeJS.ReadStream,
		stderr: new FakeTty() as unknown as NodeJS.WriteStream,
	};
	const done = store
		? runTui(control, store, {programPath: '/p/program.md', ...streams, handleSignals: false, patchConsole: false})
		: runTui(control, {programPath: '/p/program.md', ...streams, handleSignals: false, patchConsole: false});
	return {stdout, stdin, done};
}

describe('runTui', () => {
	it('draws in the alternate screen and gives the terminal back when the user quits', async () => {
		const control = new FakeControl();
		const {stdout, stdin, done} = start(control);
		await stdout.until('Goal · program.md');
		expect(stdout.data.startsWith('\u001b[?1049h')).toBe(true);
		expect(stdout.data).toContain('Goal · program.md');
		expect(stdin.isRaw).toBe(true);
		stdin.type('q');
		await done;
		expect(control.intents).toContainEqual(['quit', 'finish']);
		const tail = stdout.data.slice(stdout.data.lastIndexOf('Goal'));
		expect(tail).toContain('\u001b[?1049l');
		expect(tail).toContain('\u001b[?25h');
		expect(stdin.isRaw).toBe(false);
		expect(control.listenerCount()).toBe(0);
	});

	it('takes a store that has listened from the start (the form cli.tsx uses)', async () => {
		const control = new FakeControl();
		const store = new UiStore(10);
		control.subscribe(store.handle);
		control.emit(session);
		control.emit(runStart(4, 'ddddddd'));
		const {stdout, stdin, done} = start(control, store);
		await stdout.until('Training #4 ddddddd');
		expect(stdout.data).toContain('Training #4 ddddddd');
		stdin.type('q');
		await done;
	});

	it('sees the events the loop sends right after runTui is called (before the screen has loaded)', async () => {
		for (const withStore of [false, true]) {
			const control = new FakeControl();
			const {stdout, stdin, done} = start(control, withStore ? new UiStore(10) : undefined);
			// cli.tsx starts the loop without awaiting runTui: these come while the screen's modules load.
			control.emit(session);
			control.emit(runStart(9, 'eeeeeee'));
			control.emit({type: 'log', n: 9, text: 'first line', partial: false});
			await stdout.until('Training #9 eeeeeee', 'first line');
			expect(stdout.data).toContain('Training #9 eeeeeee');
			expect(stdout.data).toContain('first line');
			stdin.type('q');
			await done;
		}
	});

	it('stops the loop and gives the terminal back when a pane throws, then rethrows', async () => {
		const control = new FakeControl();
		const broken: Snapshot = {...new UiStore().getSnapshot(), experiments: null as unknown as Snapshot['experiments']};
		class BrokenStore extends UiStore {
			override getSnapshot = (): Snapshot => broken;
		}
		const {stdout, stdin, done} = start(control, new BrokenStore());
		await expect(done).rejects.toThrow();
		expect(control.intents).toContainEqual(['quit', 'now']);
		expect(stdout.data).toContain('\u001b[?1049l');
		expect(stdout.data.endsWith('\u001b[?2004l\u001b[?25h')).toBe(true);
		expect(stdin.isRaw).toBe(false);
	});

	it('honours NO_COLOR (any value) and TERM=dumb', () => {
		expect(themeFromEnv({})).toEqual({color: true, unicode: true});
		expect(themeFromEnv({NO_COLOR: ''})).toEqual({color: false, unicode: true});
		expect(themeFromEnv({NO_COLOR: '1', TERM: 'xterm-256color'})).toEqual({color: false, unicode: true});
		expect(themeFromEnv({TERM: 'dumb'})).toEqual({color: false, unicode: false});
	});
});
