import type {Instance} from 'ink';
import type {LoopControl} from '../core/intents.js';
import type {Theme} from './frame.js';
import {loadScreen} from './production.js';
import {UiStore} from './state.js';
import {RowDiff} from './terminal-diff.js';

// No static import of Ink, React or the panes here: they load in
// loadScreen() with React's production build (see production.ts).

export type TuiOptions = {
	/** program.md, for the external editor. */
	programPath: string;
	/** No colours (NO_COLOR and TERM=dumb are honoured without it). */
	noColor?: boolean;
	/** The editor's name, shown in the Goal pane's hint (e.g. `vim`). */
	editor?: string;
	/**
	 * Opens a file in the user's editor on this terminal and resolves when it
	 * closes (core/editor.ts). The screen suspends itself around it. Without
	 * it, `e` says there is no editor.
	 */
	openEditor?: (file: string) => Promise<void>;
	/** A store that has listened since before the loop's setup (it then holds the session and earlier results). */
	store?: UiStore;
	/** Streams, for tests and the benchmark; the process's own by default. */
	stdin?: NodeJS.ReadStream;
	stdout?: NodeJS.WriteStream;
	stderr?: NodeJS.WriteStream;
	/** Take SIGINT/SIGTERM/SIGHUP and uncaught errors while the screen is up (default true). */
	handleSignals?: boolean;
	/** Route console output around the screen (default true; off in tests, whose console is not Node's). */
	patchConsole?: boolean;
};

/** A store to subscribe before the loop's setup, so the screen sees the session and earlier results. */
export function createStore(): UiStore {
	return new UiStore(10);
}

/** NO_COLOR (set to anything) means no colour; TERM=dumb also means plain ASCII borders. */
export function themeFromEnv(env: NodeJS.ProcessEnv = process.env): Theme {
	const dumb = env.TERM === 'dumb';
	return {color: env.NO_COLOR === undefined && !dumb, unicode: !dumb};
}

/**
 * The terminal stream as Ink sees it, writing less: each row rewrite is cut
 * to the cells that changed (RowDiff), and the cursor walk past unchanged
 * rows (an `ESC [ E` each) is one `ESC [ n E` (the same move, CNL with a
 * count). At idle that is most of what a second sends over SSH.
 */
export function squeezed(stream: NodeJS.WriteStream): NodeJS.WriteStream {
	// eslint-disable-next-line no-control-regex -- Ink's "next line": ESC is what it matches.
	const walk = /(?:\u001b\[E){2,}/g;
	const rows = new RowDiff(() => stream.rows);
	const write = (chunk: unknown, ...rest: unknown[]): boolean =>
		(stream.write as (...args: unknown[]) => boolean)(
			typeof chunk === 'string' ? rows.rewrite(chunk).replace(walk, m => `\u001b[${m.length / 3}E`) : chunk,
			...rest,
		);
	return new Proxy(stream, {
		get(target, property) {
			if (property === 'write') return write;
			const value: unknown = Reflect.get(target, property, target);
			return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
		},
	});
}

// What puts a terminal back: bracketed paste off and the cursor shown (harmless
// when Ink already did it), and the main screen when Ink could not unmount.
const showSequence = '\u001b[?2004l\u001b[?25h';
const mainScreen = '\u001b[?1049l';

/**
 * The screen: alternate screen on, the loop's events in, intents out.
 * Resolves once the user has quit and the loop's quit() has resolved. The
 * terminal is restored on every way out: quit, a thrown error (in a pane or
 * anywhere in the process), SIGINT/SIGTERM/SIGHUP, and process.exit().
 */
export async function runTui(control: LoopControl, options: TuiOptions): Promise<void>;
/** The form cli.tsx uses: a store that listened from the start. */
export async function runTui(control: LoopControl, store: UiStore, options: TuiOptions): Promise<void>;
export async function runTui(control: LoopControl, storeOrOptions: UiStore | TuiOptions, maybeOptions?: TuiOptions): Promise<void> {
	const options = storeOrOptions instanceof UiStore ? {...maybeOptions!, store: storeOrOptions} : storeOrOptions;
	const store = options.store ?? createStore();
	const stdout = options.stdout ?? process.stdout;
	const stdin = options.stdin ?? process.stdin;
	const theme = themeFromEnv();
	if (options.noColor) theme.color = false;
	// Listen before anything is awaited: the caller may start the loop right after calling this.
	const unsubscribe = control.subscribe(store.handle);
	let screen: Awaited<ReturnType<typeof loadScreen>>;
	try {
		screen = await loadScreen();
	} catch (error) {
		unsubscribe();
		throw error;
	}
	const {render, React, App, ThemeContext} = screen;
	store.flush();

	let instance: Instance | undefined;
	let unmounted = false;
	let quitting: Promise<void> | undefined;
	const quitNow = (mode: 'now' | 'interrupt' = 'now'): Promise<void> =>
		(quitting ??= control.quit(mode).catch((error: unknown) => {
			(options.stderr ?? process.stderr).write(`nightshift: stopping the loop failed: ${(error as Error)?.message ?? String(error)}\n`);
		}));
	const restore = (): void => {
		if (unmounted) return;
		unmounted = true;
		let clean = false;
		try {
			instance?.unmount();
			clean = instance !== undefined;
		} catch {
			// Best effort: the sequences below still go out.
		}
		try {
			if (stdout.isTTY) stdout.write(clean ? showSequence : showSequence + mainScreen);
			if (stdin.isTTY && stdin.isRaw) stdin.setRawMode(false);
		} catch {
			// The terminal may be gone (SIGHUP).
		}
	};

	let signalled = 0;
	const onSignal = (signal: NodeJS.Signals): void => {
		signalled++;
		restore();
		if (signalled > 1) process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGHUP' ? 1 : 15));
		// SIGTERM and SIGHUP (the SSH session gone, a shutdown) are not a person stopping the run: it is left to run again on restart.
		void quitNow(signal === 'SIGINT' ? 'now' : 'interrupt');
	};
	const onCrash = (error: unknown): void => {
		restore();
		(options.stderr ?? process.stderr).write(`nightshift: ${(error as Error)?.stack ?? String(error)}\n`);
		const bounded = Promise.race([quitNow(), new Promise(r => setTimeout(r, 15_000).unref())]);
		void bounded.finally(() => process.exit(1));
	};
	const onExit = (): void => restore();
	const handlers = options.handleSignals !== false;
	if (handlers) {
		for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);
		process.on('uncaughtException', onCrash);
		process.on('unhandledRejection', onCrash);
	}
	process.on('exit', onExit);

	let failure: unknown;
	try {
		instance = render(
			React.createElement(
				ThemeContext.Provider,
				{value: theme},
				React.createElement(App, {
					control,
					store,
					programPath: options.programPath,
					...(options.openEditor ? {openEditor: options.openEditor} : {}),
					...(options.editor ? {editor: options.editor} : {}),
				}),
			),
			{
				stdout: squeezed(stdout),
				stdin,
				...(options.stderr ? {stderr: options.stderr} : {}),
				alternateScreen: true,
				// CI=true in the environment would make Ink print only the last frame: a terminal is a terminal.
				...(stdout.isTTY ? {interactive: true} : {}),
				exitOnCtrlC: false,
				maxFps: 10,
				incrementalRendering: true,
				patchConsole: options.patchConsole !== false,
			},
		);
		await instance.waitUntilExit();
	} catch (error) {
		// A pane threw: the loop must not go on without a screen, nor leave a run behind.
		failure = error;
		void quitNow();
	} finally {
		restore();
		if (handlers) {
			for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.off(signal, onSignal);
			process.off('uncaughtException', onCrash);
			process.off('unhandledRejection', onCrash);
		}
		process.off('exit', onExit);
		unsubscribe();
		store.dispose();
	}
	if (quitting) await quitting;
	// What a pane threw is rethrown as it was: the caller prints it.
	// eslint-disable-next-line @typescript-eslint/only-throw-error
	if (failure !== undefined) throw failure;
}
