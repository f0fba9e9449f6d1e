import {existsSync} from 'node:fs';
import path from 'node:path';
import {createInterface} from 'node:readline/promises';
import {fileURLToPath} from 'node:url';
import {ArenaError, loadArena} from '../core/arena.js';
import {splitCommand} from '../core/command.js';
import type {LoopControl} from '../core/intents.js';
import {classifyDiskError} from '../core/disk.js';
import {acquireLock, LockError, watchParent} from '../core/lock.js';
import {Loop} from '../core/loop.js';
import {SandboxError} from '../core/sandbox.js';
import {SlurmExecutor} from '../core/slurm.js';
import {checkSharedFilesystem, preflightSlurm, SlurmCheckError} from '../core/slurm-check.js';
import {commandWantsPython, findPython, PythonError} from '../core/python.js';
import {SessionError} from '../core/session.js';
import {GitError, initRepo, repoRoot} from '../core/workspace.js';
import {buildProposer, ProposerConfigError} from '../proposers/build.js';
import {loadSettings, type UserSettings} from '../settings.js';
import {linePrinter} from '../ui/headless.js';
import type {RunOptions} from './args.js';
import {exitCodes, fail, writeLine, writeRaw} from './io.js';
import {notifications} from './notify.js';
import {sessionTally} from './summary.js';

// `nightshift run` (the default command): argv and settings -> preflight
// (program.md, git, Python, the proposer) -> the loop, under the screen or
// the line printer -> a summary and an exit status that says how it ended.

/** The nightshift checkout (where `npm start` runs): dist/cli/run.js is two folders down. */
const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

async function ask(question: string): Promise<boolean> {
	const rl = createInterface({input: process.stdin, output: process.stderr});
	try {
		return /^y(es)?$/i.test((await rl.question(question)).trim());
	} finally {
		rl.close();
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

/** Runs the loop; resolves with the exit status. */
export async function run(options: RunOptions): Promise<number> {
	const settings: UserSettings = loadSettings();
	const proposerName = options.proposer ?? settings.proposer;
	const headless = options.headless || !process.stdout.isTTY || !process.stdin.isTTY;
	const workspace = path.resolve(options.workspace);
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
			options.init ||
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
			python = await findPython(workspace, options.python ?? (settings.python || process.env.NIGHTSHIFT_PYTHON));
		} catch (error) {
			if (error instanceof PythonError) fail(error.message);
			throw error;
		}
	}

	let built;
	try {
		built = buildProposer({
			name: proposerName,
			settings: {
				...settings,
				...(options.model ? {model: options.model} : {}),
				...(options.host ? {host: options.host} : {}),
				...(options.allowRemote ? {allowRemote: true} : {}),
			},
			arenaModel: arena.rules.model,
			device: python?.cuda ? 'cuda' : 'cpu',
			budgetSeconds: options.budgetSeconds ?? arena.rules.budgetSeconds,
		});
	} catch (error) {
		if (error instanceof ProposerConfigError) fail(error.message);
		throw error;
	}
	const {proposer} = built;

	const {startGpuPolling, checkGpus} = await import('../core/gpu.js');
	if (options.gpus !== undefined && options.executor !== 'slurm') {
		const problem = await checkGpus(options.gpus);
		if (problem) fail(problem, exitCodes.usage);
	}
	// Slurm: checked before anything runs (srun there, the partition and its gres, the runs folder shared with the nodes).
	let executor: SlurmExecutor | undefined;
	if (options.executor === 'slurm') {
		const runsDir = options.runs ? path.resolve(options.runs) : path.join(workspace, 'runs');
		try {
			const checked = await preflightSlurm({
				...(options.slurm.partition ? {partition: options.slurm.partition} : {}),
				gres: options.slurm.gres,
			});
			for (const warning of checked.warnings) process.stderr.write(`nightshift: warning: ${warning}\n`);
			await checkSharedFilesystem(runsDir, checked.partition, {args: options.slurm.args});
			executor = new SlurmExecutor({partition: checked.partition, gres: options.slurm.gres, args: options.slurm.args});
		} catch (error) {
			if (error instanceof SlurmCheckError) fail(error.message, exitCodes.usage);
			throw error;
		}
	}
	const loop = new Loop({
		workspace,
		...(options.runs ? {runsDir: path.resolve(options.runs)} : {}),
		...(options.tag ? {tag: options.tag} : {}),
		proposer,
		...(options.maxExperiments === undefined ? {} : {maxExperiments: options.maxExperiments}),
		...(options.budgetSeconds === undefined ? {} : {budgetSeconds: options.budgetSeconds}),
		...(python ? {python: python.path} : {}),
		...(options.workers === undefined ? {} : {workers: options.workers}),
		...(options.gpus === undefined ? {} : {gpus: options.gpus}),
		...(options.queueDepth === undefined ? {} : {queueDepth: options.queueDepth}),
		...(options.sandbox === undefined ? {} : {sandbox: options.sandbox}),
		...(executor ? {executor} : {}),
		sources: [emit => startGpuPolling(emit, 5000)],
	});

	const json = options.json;
	if (json && process.env.npm_lifecycle_event === 'start' && process.env.npm_config_loglevel !== 'silent') {
		// npm wrote its `> nightshift start` banner to stdout before we ran; only npm's own -s (--silent) leaves it out.
		process.stderr.write('nightshift: npm printed its banner on stdout before these JSON lines; `npm start -s -- --json` leaves it out\n');
	}
	// The bell rides at the end of the line that announces its event (`#3 keep ...`), so no line of a log starts with it.
	let bellPending = false;
	const printLine = (line: string): void => {
		writeLine(bellPending ? line + '\x07' : line);
		bellPending = false;
	};
	const printer = headless ? linePrinter({json, write: printLine}) : undefined;
	// The screen's store listens from the start, so it sees the session and the results recorded earlier.
	const tui = headless ? undefined : await import('../ui/run-tui.js');
	const store = tui?.createStore();
	/** A line for the human, in whichever face is up. */
	const say = (level: 'info' | 'warn', text: string): void => {
		printer?.({type: 'message', level, text});
		store?.note(level, text);
	};
	const bellWanted = options.bell ?? settings.bell;
	const bell =
		!headless || !bellWanted
			? undefined
			: json
				? process.stderr.isTTY
					? () => process.stderr.write('\x07')
					: undefined
				: () => {
						bellPending = true;
					};
	const notify = notifications({
		...(bell ? {bell} : {}),
		command: settings.notify,
		onFailure: text => say('warn', text),
	});
	const tally = sessionTally();
	/** A bell that no printed line took (its event printed nothing) rings on its own. */
	const ringLeftover = (): void => {
		if (bellPending) writeRaw('\x07');
		bellPending = false;
	};
	// In this order: the rules first (they mark the bell), then the printer (its line takes it).
	const unsubscribers = [
		loop.subscribe(notify.listener),
		...(printer ? [loop.subscribe(printer), loop.subscribe(ringLeftover)] : []),
		loop.subscribe(tally.listener),
	];
	const unsubscribeStore = store ? loop.subscribe(store.handle) : undefined;
	// One loop per workspace: a second is refused, naming the first (its pid, how to attach or stop it).
	let release: () => void = () => undefined;
	try {
		release = acquireLock(loop.runsDir);
	} catch (error) {
		if (error instanceof LockError) fail(error.message, exitCodes.error);
		throw error;
	}
	process.on('exit', () => release());
	try {
		await loop.setup();
	} catch (error) {
		const disk = classifyDiskError(error);
		if (disk) fail(disk.message, exitCodes.error);
		if (error instanceof SessionError || error instanceof GitError || error instanceof ArenaError || error instanceof SandboxError)
			fail(error.message, exitCodes.error);
		throw error;
	}
	const startup = [...(python ? [`python: ${python.path} (torch ${python.torch}, from ${python.source})`] : []), ...built.notes];
	for (const line of startup) say(line.startsWith('warn: ') ? 'warn' : 'info', line.replace(/^warn: /, ''));
	const max = options.maxExperiments;
	const recorded = tally.recordedBefore;
	if (max !== undefined && recorded >= max) {
		say('warn', `${recorded} experiments recorded already; the limit is ${max}: nothing more runs (raise --max-experiments to go on)`);
	} else if (max !== undefined && recorded > 0) {
		say('info', `${recorded} experiment${recorded === 1 ? '' : 's'} recorded already; the limit is ${max}: up to ${max - recorded} more`);
	}

	// How it ends decides the exit status: a signal, or a quit that stopped runs, is an interruption.
	let interrupted = false;
	const control = watchQuit(loop, mode => {
		if (mode !== 'finish') interrupted = true;
	});
	takeSignals();
	// The loop must not outlive the command that started it (kill -9 of `npm start`): orphaned, it stops as if interrupted.
	const stopWatching = watchParent(() => {
		interrupted = true;
		void control.quit('interrupt');
	});
	for (const signal of ['SIGTERM', 'SIGHUP'] as const) {
		process.on(signal, () => {
			interrupted = true;
			if (headless) void control.quit('interrupt');
		});
	}
	let interrupts = 0;
	process.on('SIGINT', () => {
		interrupts++;
		if (!headless) {
			interrupted = true;
			return;
		}
		if (interrupts === 1) {
			writeLine(
				loop.running
					? 'finishing the current run, then exiting (Ctrl+C again: stop it now, recorded as crash)'
					: 'stopping (Ctrl+C again: at once)',
			);
			void control.quit('finish');
		} else {
			void control.quit('now');
		}
	});

	/** The loop's run() rejects with an Error (loop.ts wraps anything else in one). */
	let failure: Error | undefined;
	if (headless) {
		try {
			await loop.run();
		} catch (error) {
			failure = error as Error;
		}
	} else {
		const {openEditor, editorName} = await import('../core/editor.js');
		// The screen subscribes its store itself (runTui): drop ours now that setup's replay is in it.
		unsubscribeStore?.();
		const screen = tui!.runTui(control, store!, {
			programPath: path.join(workspace, 'program.md'),
			editor: editorName(),
			noColor: process.env.NO_COLOR !== undefined || process.env.TERM === 'dumb',
			openEditor,
		});
		// A fatal loop error is shown on screen (as an error message event) and the screen stays until quit.
		loop.run().catch((error: unknown) => {
			failure = error as Error;
		});
		await screen;
	}
	stopWatching();
	release();
	// The last notifications (the loop's end) get a moment to be delivered; a failure is still said.
	await notify.drain(5000);
	for (const stop of unsubscribers) stop();
	const out = json ? (line: string) => process.stderr.write(line + '\n') : writeLine;
	for (const line of tally.lines({workspace, ...(options.runs ? {runs: path.resolve(options.runs)} : {}), packageRoot})) out(line);
	if (failure !== undefined) {
		const disk = classifyDiskError(failure);
		if (headless) process.stderr.write(`nightshift: ${disk?.message ?? failure.message}\n`);
		return exitCodes.error;
	}
	return interrupted ? exitCodes.interrupted : exitCodes.finished;
}

/** The loop as the faces see it, telling `onQuit` how each quit was asked for (the exit status depends on it). */
function watchQuit(loop: Loop, onQuit: (mode: 'finish' | 'now' | 'interrupt') => void): LoopControl {
	return new Proxy(loop, {
		get(target, property) {
			if (property === 'quit') {
				return (mode: 'finish' | 'now' | 'interrupt') => {
					onQuit(mode);
					return target.quit(mode);
				};
			}
			// Methods and getters run on the loop itself (its private state is its own).
			const value: unknown = Reflect.get(target, property, target);
			return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
		},
	});
}
