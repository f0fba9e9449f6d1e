#!/usr/bin/env node
import {existsSync} from 'node:fs';
import path from 'node:path';
import {createInterface} from 'node:readline/promises';
import {parseArgs} from 'node:util';
import {ArenaError, loadArena} from './core/arena.js';
import {Loop} from './core/loop.js';
import {commandWantsPython, findPython, PythonError} from './core/python.js';
import {splitCommand} from './core/command.js';
import {SessionError} from './core/session.js';
import {GitError, initRepo, repoRoot} from './core/workspace.js';
import {linePrinter} from './ui/headless.js';
import {buildProposer, ProposerConfigError} from './proposers/build.js';
import {defaultSettings, loadSettings, openSettings, type UserSettings} from './settings.js';

const usage = `nightshift: autonomous ML research all night, in your terminal.

Usage: nightshift [run] [options]
       nightshift config [list | get KEY | set KEY VALUE | unset KEY]

  A proposer edits the arena's training script, the script trains for a fixed
  time budget, the change is kept (git commit) only if the metric improves.

Options:
  --workspace DIR        the arena: program.md (and train files) live here (default: .)
  --runs DIR             results, run folders and the session worktree (default: DIR/runs)
  --tag TAG              session name; its branch is autoresearch/TAG (default: today, e.g. nov26)
  --max-experiments N    stop once results.tsv holds N experiments (the baseline counts)
  --budget SECONDS       training time budget per experiment (overrides program.md)
  --proposer NAME        auto (Ollama, else the built-in search), ollama, or search
  --model NAME           Ollama model (default from settings: qwen2.5-coder:14b)
  --host URL             Ollama host (default OLLAMA_HOST or 127.0.0.1:11434)
  --allow-remote         allow an Ollama host that is not on this machine
  --python PATH          Python interpreter for \`python ...\` commands (default: one that imports torch)
  --headless             plain lines instead of the screen (also when stdout is not a terminal)
  --json                 JSON lines instead of plain lines (implies --headless)
  --init                 make the workspace a git repository if it is not one
  -h, --help             this text
  -v, --version          the version

Settings (nightshift config): proposer, model, host, allowRemote, numCtx,
numPredict, keepAlive, temperature, seed, python. Flags win over settings;
program.md's \`model:\` wins over the model setting.

In headless mode, Ctrl+C once finishes the current run and records it; twice
stops it now (recorded as crash). A restart resumes the session from runs/.`;

type Flags = {
	workspace?: string;
	runs?: string;
	tag?: string;
	'max-experiments'?: string;
	budget?: string;
	proposer?: string;
	model?: string;
	host?: string;
	'allow-remote'?: boolean;
	python?: string;
	headless?: boolean;
	json?: boolean;
	init?: boolean;
	help?: boolean;
	version?: boolean;
};

function fail(message: string, code = 2): never {
	process.stderr.write(`nightshift: ${message}\n`);
	process.exit(code);
}

function positiveNumber(value: string | undefined, flag: string): number | undefined {
	if (value === undefined) return undefined;
	const n = Number(value);
	if (!Number.isFinite(n) || n <= 0) fail(`${flag} takes a number above 0, not ${JSON.stringify(value)}`);
	return n;
}

async function ask(question: string): Promise<boolean> {
	const rl = createInterface({input: process.stdin, output: process.stderr});
	try {
		return /^y(es)?$/i.test((await rl.question(question)).trim());
	} finally {
		rl.close();
	}
}

async function main(): Promise<void> {
	let parsed;
	try {
		parsed = parseArgs({
			allowPositionals: true,
			options: {
				workspace: {type: 'string'},
				runs: {type: 'string'},
				tag: {type: 'string'},
				'max-experiments': {type: 'string'},
				budget: {type: 'string'},
				proposer: {type: 'string'},
				model: {type: 'string'},
				host: {type: 'string'},
				'allow-remote': {type: 'boolean'},
				python: {type: 'string'},
				headless: {type: 'boolean'},
				json: {type: 'boolean'},
				init: {type: 'boolean'},
				help: {type: 'boolean', short: 'h'},
				version: {type: 'boolean', short: 'v'},
			},
		});
	} catch (error) {
		fail(`${(error as Error).message}\n\n${usage}`);
	}
	const flags: Flags = parsed.values;
	if (flags.help) {
		process.stdout.write(usage + '\n');
		return;
	}
	if (flags.version) {
		const {createRequire} = await import('node:module');
		const pkg = createRequire(import.meta.url)('../package.json') as {version: string};
		process.stdout.write(`${pkg.version}\n`);
		return;
	}
	const [command = 'run', ...rest] = parsed.positionals;
	if (command === 'config') return configure(rest);
	if (command !== 'run' || rest.length > 0) fail(`unknown command: ${parsed.positionals.join(' ')}\n\n${usage}`);

	const settings: UserSettings = loadSettings();
	const proposerName = flags.proposer ?? settings.proposer;
	if (!['auto', 'search', 'ollama'].includes(proposerName)) fail(`--proposer takes auto, ollama or search, not ${proposerName}`);
	const maxExperiments = positiveNumber(flags['max-experiments'], '--max-experiments');
	const budgetSeconds = positiveNumber(flags.budget, '--budget');
	const headless = Boolean(flags.headless || flags.json || !process.stdout.isTTY || !process.stdin.isTTY);
	const workspace = path.resolve(flags.workspace ?? '.');
	if (!existsSync(workspace)) fail(`the workspace ${workspace} does not exist`);

	let arena;
	try {
		arena = loadArena(workspace);
	} catch (error) {
		if (error instanceof ArenaError) fail(error.message);
		throw error;
	}
	if (!(await repoRoot(workspace))) {
		const init =
			flags.init ||
			(!headless &&
				(await ask(
					`${workspace} is not a git repository; nightshift keeps improvements as commits. Create one here (git init and a first commit)? [y/N] `,
				)));
		if (!init) fail(`${workspace} is not a git repository: run again with --init, or: git init && git add -A && git commit -m init`);
		await initRepo(workspace);
		process.stderr.write(`nightshift: created a git repository in ${workspace}\n`);
	}

	let python;
	if (commandWantsPython(splitCommand(arena.rules.command))) {
		try {
			python = await findPython(workspace, flags.python ?? (settings.python || process.env.NIGHTSHIFT_PYTHON));
		} catch (error) {
			if (error instanceof PythonError) fail(error.message);
			throw error;
		}
	}

	let built;
	try {
		built = buildProposer({
			name: proposerName as UserSettings['proposer'],
			settings: {
				...settings,
				...(flags.model ? {model: flags.model} : {}),
				...(flags.host ? {host: flags.host} : {}),
				...(flags['allow-remote'] ? {allowRemote: true} : {}),
			},
			arenaModel: arena.rules.model,
			device: python?.cuda ? 'cuda' : 'cpu',
			budgetSeconds: budgetSeconds ?? arena.rules.budgetSeconds,
		});
	} catch (error) {
		if (error instanceof ProposerConfigError) fail(error.message);
		throw error;
	}
	const {proposer} = built;

	const {startGpuPolling} = await import('./core/gpu.js');
	const loop = new Loop({
		workspace,
		...(flags.runs ? {runsDir: path.resolve(flags.runs)} : {}),
		...(flags.tag ? {tag: flags.tag} : {}),
		proposer,
		...(maxExperiments === undefined ? {} : {maxExperiments}),
		...(budgetSeconds === undefined ? {} : {budgetSeconds}),
		...(python ? {python: python.path} : {}),
		sources: [emit => startGpuPolling(emit, 5000)],
	});

	const printer = headless ? linePrinter({json: Boolean(flags.json), write: line => writeLine(line)}) : undefined;
	const unsubscribe = printer ? loop.subscribe(printer) : undefined;
	// The screen's store listens from the start, so it sees the session and the results recorded earlier.
	const tui = headless ? undefined : await import('./ui/run-tui.js');
	const store = tui?.createStore();
	const unsubscribeStore = store ? loop.subscribe(store.handle) : undefined;
	try {
		await loop.setup();
	} catch (error) {
		if (error instanceof SessionError || error instanceof GitError || error instanceof ArenaError) fail(error.message, 1);
		throw error;
	}
	const startup = [...(python ? [`python: ${python.path} (torch ${python.torch}, from ${python.source})`] : []), ...built.notes];
	for (const line of startup) {
		const level = line.startsWith('warn: ') ? 'warn' : 'info';
		const text = line.replace(/^warn: /, '');
		printer?.({type: 'message', level, text});
		store?.note(level, text);
	}

	takeSignals();
	if (headless) {
		let interrupts = 0;
		const onInterrupt = (): void => {
			interrupts++;
			if (interrupts === 1 && loop.running) {
				writeLine('finishing the current run, then exiting (Ctrl+C again: stop it now, recorded as crash)');
				void loop.quit('finish');
			} else void loop.quit('now');
		};
		process.on('SIGINT', onInterrupt);
		process.on('SIGTERM', () => void loop.quit('now'));
		process.on('SIGHUP', () => void loop.quit('now'));
		await loop.run();
		unsubscribe?.();
		return;
	}

	const {openEditor} = await import('./core/editor.js');
	unsubscribeStore?.();
	const screen = tui!.runTui(loop, store!, {
		programPath: path.join(workspace, 'program.md'),
		noColor: process.env.NO_COLOR !== undefined || process.env.TERM === 'dumb',
		openEditor,
	});
	// A fatal loop error is shown on screen (as an error message event) and the screen stays until quit.
	loop.run().catch(() => undefined);
	await screen;
}

/** `nightshift config ...`: the user settings that outlive a session. */
function configure(args: string[]): void {
	const [action = 'list', key, ...value] = args;
	const store = openSettings();
	const known = Object.keys(defaultSettings) as Array<keyof UserSettings>;
	const check = (k: string | undefined): keyof UserSettings => {
		if (!k || !known.includes(k as keyof UserSettings)) fail(`config: the settings are ${known.join(', ')}`);
		return k as keyof UserSettings;
	};
	if (action === 'list') {
		for (const k of known) process.stdout.write(`${k}=${JSON.stringify(store.get(k))}\n`);
		process.stdout.write(`# ${store.path}\n`);
	} else if (action === 'get') {
		process.stdout.write(`${JSON.stringify(store.get(check(key)))}\n`);
	} else if (action === 'unset') {
		store.delete(check(key));
	} else if (action === 'set') {
		const k = check(key);
		const text = value.join(' ');
		const current = defaultSettings[k];
		let parsed: unknown = text;
		if (typeof current === 'number') {
			parsed = Number(text);
			if (!Number.isFinite(parsed)) fail(`config: ${k} takes a number`);
		} else if (typeof current === 'boolean') {
			if (!['true', 'false'].includes(text)) fail(`config: ${k} takes true or false`);
			parsed = text === 'true';
		}
		if (k === 'proposer' && !['auto', 'search', 'ollama'].includes(text)) fail('config: proposer takes auto, ollama or search');
		store.set(k, parsed as never);
	} else {
		fail(`config: unknown action ${action}; list, get, set or unset`);
	}
}

/**
 * conf's atomic writer (atomically -> when-exit) hooks SIGINT, SIGTERM and
 * SIGHUP on import and re-raises them, which would turn one Ctrl+C into two
 * and kill the process before the run is recorded. We only read settings
 * while the loop runs, so its temp-file cleanup has nothing to do: the loop's
 * own handlers take these signals.
 */
function takeSignals(): void {
	for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.removeAllListeners(signal);
}

/** stdout may be a pipe that closed (| head): the loop goes on regardless. */
function writeLine(line: string): void {
	try {
		process.stdout.write(line + '\n');
	} catch {
		// Nowhere to write: keep running.
	}
}
process.stdout.on('error', () => undefined);

main().then(
	() => process.exit(process.exitCode ?? 0),
	(error: unknown) => {
		process.stderr.write(`nightshift: ${(error as Error).stack ?? String(error)}\n`);
		process.exit(1);
	},
);
