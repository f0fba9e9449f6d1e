import {spawnSync} from 'node:child_process';
import {appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync} from 'node:fs';
import {homedir} from 'node:os';
import {constants} from 'node:os';
import path from 'node:path';
import {localExecutor, type Executor, type RunResult, type RunSpec} from './executor.js';
import {Run} from './runner.js';

// The code an experiment runs was written by a model, and runs all night
// with no one watching: it must not reach the network, change anything
// outside its own run folder (the worktree's fixed prepare.py included, so
// later runs measure the same thing), or leave a process behind. bubblewrap
// gives all three with no daemon and no image: the whole filesystem
// read-only, a fresh tmpfs /tmp, the run folder and the arena's declared
// caches writable, no network namespace but its own loopback, its own pid
// namespace (everything it started dies with it, setsid or not), no
// capabilities (as root it could remount / read-write otherwise), and the
// GPUs' device nodes passed through. Where bwrap cannot run, `auto` says so
// at start and runs locally; `bwrap` refuses to start.

export type SandboxMode = 'auto' | 'bwrap' | 'off';

export const sandboxModes: readonly SandboxMode[] = ['auto', 'bwrap', 'off'];

export class SandboxError extends Error {
	override name = 'SandboxError';
}

/**
 * Writable when program.md does not say (`writable:`): the caches ML tooling
 * writes to (uv, pip, Hugging Face, autoresearch's data under ~/.cache;
 * Triton's compiled kernels under ~/.triton). An arena that declares its own
 * list gets exactly that.
 */
export const defaultWritable: readonly string[] = ['~/.cache', '~/.triton'];

/** What every sandbox is, whatever it binds: no network, own pids, dies with its parent, no terminal, no capabilities. */
const isolation = ['--unshare-net', '--unshare-pid', '--die-with-parent', '--new-session', '--cap-drop', 'ALL'];

/** Every NVIDIA device node there is (/dev/nvidia0, nvidiactl, nvidia-uvm, nvidia-caps/ ...): the GPUs inside the sandbox. */
export function gpuDevices(dev = '/dev'): string[] {
	try {
		return readdirSync(dev)
			.filter(name => name.startsWith('nvidia'))
			.sort()
			.map(name => path.join(dev, name));
	} catch {
		return [];
	}
}

/**
 * A `writable:` entry as a path on this machine: `~` is the home folder,
 * a leading `$NAME` or `${NAME}` the run's environment. An entry naming a
 * variable that is unset (or empty) is no path at all: undefined.
 */
export function expandWritable(entry: string, env: Record<string, string | undefined>): string | undefined {
	let value = entry.trim();
	if (value === '~' || value.startsWith('~/')) value = homedir() + value.slice(1);
	const variable = /^\$(?:\{(\w+)\}|(\w+))/.exec(value);
	if (variable) {
		const set = env[variable[1] ?? variable[2]!];
		if (!set) return undefined;
		value = set + value.slice(variable[0].length);
	}
	return path.isAbsolute(value) ? path.resolve(value) : undefined;
}

/** The session's paths a run must never change, whatever `writable:` says: the repository (and its git data), runs/, the worktree. */
export function protectedPaths(spec: Pick<RunSpec, 'runDir' | 'worktree'>): string[] {
	const paths = [path.dirname(spec.runDir), spec.worktree];
	try {
		const pointer = /^gitdir:\s*(.+)$/m.exec(readFileSync(path.join(spec.worktree, '.git'), 'utf8'));
		if (pointer) {
			const gitDir = path.resolve(spec.worktree, pointer[1]!.trim());
			const common = path.resolve(gitDir, readFileSync(path.join(gitDir, 'commondir'), 'utf8').trim());
			paths.push(common);
			if (path.basename(common) === '.git') paths.push(path.dirname(common));
		}
	} catch {
		// A worktree without git's pointer file: only runs/ and the worktree itself.
	}
	return [...new Set(paths)].filter(p => existsSync(p));
}

export type SandboxLayout = {
	/** The run folder: writable. */
	runDir: string;
	/** Where the command starts. */
	cwd: string;
	/** Expanded `writable:` paths. */
	writable: string[];
	/** Read-only even inside a writable path (protectedPaths). */
	protect: string[];
	/** Device nodes passed through (gpuDevices). */
	devices: string[];
};

const depth = (p: string): number => p.split(path.sep).filter(Boolean).length;

/**
 * bwrap's arguments up to and including `--`. Binds go parents first, so the
 * deeper one wins: the run folder inside read-only runs/, the repository
 * read-only inside a writable home; for one path both writable and
 * protected, protected.
 */
export function bwrapArgs(layout: SandboxLayout): string[] {
	const binds = [
		...layout.writable.map(p => ({p, flag: '--bind'})),
		...layout.protect.map(p => ({p, flag: '--ro-bind'})),
		{p: layout.runDir, flag: '--bind'},
	].sort((a, b) => depth(a.p) - depth(b.p));
	return [
		'--ro-bind',
		'/',
		'/',
		'--dev',
		'/dev',
		...layout.devices.flatMap(d => ['--dev-bind', d, d]),
		'--proc',
		'/proc',
		'--tmpfs',
		'/tmp',
		...binds.flatMap(b => [b.flag, b.p, b.p]),
		'--chdir',
		layout.cwd,
		'--setenv',
		'TMPDIR',
		'/tmp',
		...isolation,
		'--',
	];
}

type Probe = {ok: true} | {ok: false; reason: string};
let probed: Probe | undefined;

/** Whether bwrap can make a sandbox here (installed, and allowed: root, or user namespaces). Asked once. */
export function probeBwrap(): Probe {
	if (probed) return probed;
	const result = spawnSync(
		'bwrap',
		['--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--tmpfs', '/tmp', ...isolation, '--', 'true'],
		{
			encoding: 'utf8',
			timeout: 15_000,
			stdio: ['ignore', 'pipe', 'pipe'],
		},
	);
	const code = result.error && 'code' in result.error ? String(result.error.code) : undefined;
	if (code === 'ENOENT') probed = {ok: false, reason: 'bubblewrap (bwrap) is not installed'};
	else if (result.error) probed = {ok: false, reason: `bwrap did not run (${result.error.message})`};
	else if (result.status !== 0) {
		const said = (result.stderr || result.stdout).trim().split('\n')[0] ?? '';
		probed = {ok: false, reason: `bwrap cannot make a sandbox here (${said || `exit ${result.status}`})`};
	} else probed = {ok: true};
	return probed;
}

/** Forgets the probe (tests). */
export function resetProbe(): void {
	probed = undefined;
}

const signalNames = new Map<number, string>(Object.entries(constants.signals).map(([name, n]) => [n, name]));

/** bwrap reports a command killed by signal N as exit 128+N: give it back as the signal (an OOM kill is not the idea's fault). */
function asSignal(result: RunResult): RunResult {
	const code = result.exitCode;
	if (code === undefined || code <= 128 || result.signal !== undefined) return result;
	const name = signalNames.get(code - 128);
	return name ? {...result, exitCode: undefined, signal: name} : result;
}

const readOnlyHint =
	'nightshift: the run wrote where the sandbox allows no writes (Read-only file system above). A run writes in $NIGHTSHIFT_RUN_DIR; ' +
	"a cache or data folder it needs goes under `writable:` in program.md's front matter.";

/** The run inside bubblewrap, through the local runner (which still finds and ends its processes by their marker). */
export const bwrapExecutor: Executor = {
	name: 'bwrap',
	start(spec) {
		const env: Record<string, string | undefined> = {...process.env, ...spec.env};
		const writable: string[] = [];
		for (const entry of spec.writable ?? defaultWritable) {
			const dir = expandWritable(entry, env);
			if (!dir) continue;
			try {
				mkdirSync(dir, {recursive: true});
				writable.push(dir);
			} catch (error) {
				try {
					appendFileSync(
						spec.logPath,
						`nightshift: writable ${entry} (${dir}) cannot be made: ${(error as Error).message}; it stays read-only\n`,
					);
				} catch {
					// The log says it when it can.
				}
			}
		}
		const args = bwrapArgs({runDir: spec.runDir, cwd: spec.cwd, writable, protect: protectedPaths(spec), devices: gpuDevices()});
		const run = new Run({
			argv: ['bwrap', ...args, ...spec.argv],
			cwd: spec.cwd,
			env: spec.env,
			runDir: spec.runDir,
			leader: 'sandbox',
			timeoutSeconds: spec.timeoutSeconds,
			logPath: spec.logPath,
			onLine: spec.onLine,
			onProgress: spec.onProgress,
			...(spec.onSpawn ? {onSpawn: spec.onSpawn} : {}),
			...(spec.killGraceSeconds === undefined ? {} : {killGraceSeconds: spec.killGraceSeconds}),
		});
		const done = run.done.then(raw => {
			const result = asSignal(raw);
			const crashed = result.exitCode !== 0 || result.signal !== undefined;
			if (!crashed || !result.tail.some(line => line.includes('Read-only file system'))) return result;
			try {
				appendFileSync(spec.logPath, readOnlyHint + '\n');
			} catch {
				// The tail says it anyway.
			}
			return {...result, tail: [...result.tail, readOnlyHint]};
		});
		return {done, stop: () => run.stop()};
	},
};

export type ExecutorChoice = {executor: Executor; note?: {level: 'info' | 'warn'; text: string}};

/**
 * The executor a sandbox mode asks for: `bwrap` where it runs (required by
 * `bwrap`: a SandboxError otherwise), local with a warning under `auto`
 * when it cannot, local under `off`.
 */
export function chooseExecutor(mode: SandboxMode): ExecutorChoice {
	switch (mode) {
		case 'off':
			return {
				executor: localExecutor,
				note: {level: 'info', text: 'sandbox off (as asked): experiments run with the network and may write wherever you can'},
			};
		case 'bwrap': {
			const probe = probeBwrap();
			if (!probe.ok) {
				throw new SandboxError(
					`the sandbox (sandbox: bwrap) cannot run: ${probe.reason}. Install it (apt-get install bubblewrap), or set \`sandbox: auto\` or \`off\` in program.md (or --sandbox)`,
				);
			}
			return {executor: bwrapExecutor};
		}
		case 'auto': {
			const probe = probeBwrap();
			if (probe.ok) return {executor: bwrapExecutor};
			return {
				executor: localExecutor,
				note: {
					level: 'warn',
					text:
						`NO SANDBOX: ${probe.reason}, so experiments run unconfined (with the network, writing wherever you can). ` +
						'Install it: apt-get install bubblewrap (or set `sandbox: off` in program.md to run unconfined on purpose)',
				},
			};
		}
	}
}
