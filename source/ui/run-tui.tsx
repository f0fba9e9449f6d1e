import {render} from 'ink';
import React from 'react';
import type {LoopControl} from '../core/intents.js';
import {App} from './App.js';
import {ThemeContext, type Theme} from './frame.js';
import {UiStore} from './state.js';

export type TuiOptions = {
	programPath: string;
	noColor?: boolean;
	openEditor?: (file: string) => Promise<void>;
};

/** Subscribe this before the loop's setup so the screen sees the session and earlier results. */
export function createStore(): UiStore {
	return new UiStore(10);
}

export function themeFromEnv(env: NodeJS.ProcessEnv = process.env): Theme {
	const dumb = env.TERM === 'dumb';
	return {color: env.NO_COLOR === undefined && !dumb, unicode: !dumb};
}

/**
 * The screen: alternate screen on, the loop's events in, intents out.
 * Resolves once the user has quit and the loop has stopped; the terminal is
 * restored on every way out, a crash or a signal included.
 */
export async function runTui(control: LoopControl, store: UiStore, options: TuiOptions): Promise<void> {
	const theme = themeFromEnv();
	if (options.noColor) theme.color = false;
	const unsubscribe = control.subscribe(store.handle);
	store.flush();
	const instance = render(
		<ThemeContext.Provider value={theme}>
			<App control={control} store={store} programPath={options.programPath} {...(options.openEditor ? {openEditor: options.openEditor} : {})} />
		</ThemeContext.Provider>,
		{alternateScreen: true, exitOnCtrlC: false, maxFps: 10, incrementalRendering: true, patchConsole: true},
	);
	const onSignal = (): void => {
		void control.quit('now').finally(() => instance.unmount());
	};
	const onCrash = (error: unknown): void => {
		instance.unmount();
		process.stderr.write(`nightshift: ${(error as Error)?.stack ?? String(error)}\n`);
		void control.quit('now').finally(() => process.exit(1));
	};
	process.on('SIGTERM', onSignal);
	process.on('SIGHUP', onSignal);
	process.on('uncaughtException', onCrash);
	process.on('unhandledRejection', onCrash);
	try {
		await instance.waitUntilExit();
	} finally {
		process.off('SIGTERM', onSignal);
		process.off('SIGHUP', onSignal);
		process.off('uncaughtException', onCrash);
		process.off('unhandledRejection', onCrash);
		unsubscribe();
		store.dispose();
	}
}
