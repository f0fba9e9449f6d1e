import {spawn, type ChildProcess} from 'node:child_process';
import {closeSync, openSync, readFileSync, readdirSync, writeSync} from 'node:fs';
import {StringDecoder} from 'node:string_decoder';
import {OutputParser, type OutputLine} from './output.js';
import type {RunResult} from './executor.js';
import type {Progress} from './types.js';

// One experiment's process on this machine. The code it runs was written by
// a model, unattended, so nothing it does may hold the loop: a child that
// escapes the process group (setsid, a double fork) is still found, by the
// marker every process of the run inherits (NIGHTSHIFT_RUN_DIR in its
// environment), and killed with the rest; and once the command itself has
// exited, a pipe some escaped child still holds open is closed after a short
// drain instead of being waited on. Node's own spawn, not execa: the loop
// needs to end the run when the leader exits, not when every stream closes.

export type RunOptions = {
	argv: string[];
	cwd: string;
	env: Record<string, string>;
	timeoutSeconds: number;
	/** The full raw output goes here as it arrives. */
	logPath: string;
	onLine: (line: OutputLine) => void;
	onProgress: (progress: Progress) => void;
	/** Seconds between SIGTERM to the run's processes and SIGKILL. */
	killGraceSeconds?: number;
	/** Told the process group's id once it exists, so a restart can end a run its killed parent left behind. */
	onSpawn?: (pid: number) => void;
	/**
	 * The run's folder: set as NIGHTSHIFT_RUN_DIR in its environment, the
	 * marker by which every process it starts is found again.
	 */
	runDir?: string;
	/**
	 * `sandbox`: the leader is a sandbox (bwrap) whose end takes everything
	 * inside with it; SIGTERM goes to the processes inside first, so they get
	 * their grace, and the leader is killed after it.
	 */
	leader?: 'command' | 'sandbox';
	/** Milliseconds the output may stay open after the leader exited (a child that escaped and kept it). */
	drainMs?: number;
};

const tailLines = 60;
const defaultDrainMs = 1000;

/** Signals a whole process group; a group already gone is not an error. */
export function killGroup(pid: number, signal: NodeJS.Signals): void {
	try {
		process.kill(-pid, signal);
	} catch {
		// ESRCH: nothing left to kill.
	}
}

/** Every live process (but this one) whose environment carries the run's marker: the run's whole tree, escaped children included. */
export function markedProcesses(runDir: string): number[] {
	const marker = `NIGHTSHIFT_RUN_DIR=${runDir}`;
	const pids: number[] = [];
	let entries: string[];
	try {
		entries = readdirSync('/proc');
	} catch {
		return pids;
	}
	for (const entry of entries) {
		if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
		try {
			if (readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0').includes(marker)) pids.push(Number(entry));
		} catch {
			// Gone meanwhile, or not ours to read.
		}
	}
	return pids;
}

/** Signals every process of the run, by its marker; returns how many there were. */
export function killMarked(runDir: string, signal: NodeJS.Signals, spare?: number): number {
	let n = 0;
	for (const pid of markedProcesses(runDir)) {
		if (pid === spare) continue;
		try {
			process.kill(pid, signal);
			n++;
		} catch {
			// Gone meanwhile.
		}
	}
	return n;
}

/**
 * One experiment's process: its own process group, output streamed line by
 * line and written to the log at once. A timeout or /stop ends every process
 * of the run (SIGTERM, then SIGKILL after the grace); so does the leader's
 * exit, so nothing it forked survives it.
 */
export class Run {
	readonly done: Promise<RunResult>;
	private stopReason: RunResult['killed'];
	private timers: NodeJS.Timeout[] = [];
	private pid: number | undefined;
	private exited = false;

	constructor(private readonly options: RunOptions) {
		this.done = this.start();
	}

	/** Kill the run now (/stop, quit now, second Ctrl+C). */
	stop(): void {
		this.terminate('stop');
	}

	private killAll(signal: NodeJS.Signals): void {
		const {runDir, leader = 'command'} = this.options;
		const pid = this.pid;
		if (pid === undefined) return;
		// A sandbox leader killed first would take its processes down without their grace.
		const spareLeader = signal === 'SIGTERM' && leader === 'sandbox';
		if (!spareLeader) killGroup(pid, signal);
		if (runDir !== undefined) killMarked(runDir, signal, spareLeader ? pid : undefined);
	}

	private terminate(reason: 'timeout' | 'stop'): void {
		if (this.pid === undefined || this.stopReason || this.exited) return;
		this.stopReason = reason;
		this.killAll('SIGTERM');
		const grace = (this.options.killGraceSeconds ?? 5) * 1000;
		this.timers.push(setTimeout(() => this.killAll('SIGKILL'), grace));
	}

	private start(): Promise<RunResult> {
		const {argv, cwd, env, timeoutSeconds, logPath, onLine, onProgress, runDir} = this.options;
		const started = performance.now();
		const tail: string[] = [];
		const parser = new OutputParser({
			progress: onProgress,
			line: line => {
				if (!line.partial) {
					tail.push(line.text);
					if (tail.length > tailLines) tail.shift();
				}
				onLine(line);
			},
		});
		// The log is a copy: a full disk loses the copy (and says so at its end), never the run or its result.
		let fd: number | undefined;
		let unwritten = 0;
		try {
			fd = openSync(logPath, 'a');
		} catch {
			fd = undefined;
		}
		const log = (data: Buffer | string): void => {
			const bytes = typeof data === 'string' ? Buffer.from(data) : data;
			if (fd === undefined) {
				unwritten += bytes.length;
				return;
			}
			try {
				writeSync(fd, bytes);
			} catch {
				unwritten += bytes.length;
			}
		};
		const [file, ...args] = argv;
		return new Promise<RunResult>(resolve => {
			let spawnError: string | undefined;
			let exitCode: number | undefined;
			let signal: string | undefined;
			let finished = false;
			let child: ChildProcess | undefined;
			const decoders = {out: new StringDecoder('utf8'), err: new StringDecoder('utf8')};
			const finish = (): void => {
				if (finished) return;
				finished = true;
				for (const t of this.timers) clearTimeout(t);
				child?.stdout?.destroy();
				child?.stderr?.destroy();
				parser.feed(decoders.out.end() + decoders.err.end());
				parser.end();
				if (spawnError) log(`nightshift: ${spawnError}\n`);
				if (this.stopReason) {
					log(`\nnightshift: ${this.stopReason === 'timeout' ? `killed after the ${timeoutSeconds} s timeout` : 'stopped by the user'}\n`);
				}
				if (unwritten > 0) log(`\nnightshift: ${unwritten} bytes of output could not be written to this log (disk full)\n`);
				if (fd !== undefined) closeSync(fd);
				resolve({
					exitCode,
					signal,
					killed: this.stopReason,
					spawnError,
					summary: parser.summary.summary,
					conflicts: parser.summary.allConflicts(),
					...(parser.nonFiniteLoss ? {nonFiniteLoss: parser.nonFiniteLoss} : {}),
					failed: parser.summary.failed,
					seconds: (performance.now() - started) / 1000,
					tail,
					pid: this.pid,
					...(unwritten > 0 ? {unwritten} : {}),
				});
			};
			const cannotRun = (error: NodeJS.ErrnoException): void => {
				spawnError =
					error.code === 'ENOENT'
						? `cannot run \`${file}\`: command not found (or ${cwd} does not exist)`
						: `cannot run \`${file}\`: ${error.message}`;
				finish();
			};
			try {
				child = spawn(file!, args, {
					cwd,
					env: {...process.env, ...env, ...(runDir === undefined ? {} : {NIGHTSHIFT_RUN_DIR: runDir})},
					detached: true,
					stdio: ['ignore', 'pipe', 'pipe'],
				});
			} catch (error) {
				cannotRun(error as NodeJS.ErrnoException);
				return;
			}
			child.on('error', error => {
				if (child?.pid === undefined) cannotRun(error);
			});
			this.pid = child.pid;
			if (this.pid === undefined) return;
			try {
				this.options.onSpawn?.(this.pid);
			} catch {
				// Only a restart's clean-up reads it (and finds the run by its marker anyway): the run goes on.
			}
			this.timers.push(setTimeout(() => this.terminate('timeout'), timeoutSeconds * 1000));
			const feed = (decoder: StringDecoder) => (chunk: Buffer) => {
				log(chunk);
				parser.feed(decoder.write(chunk));
			};
			child.stdout!.on('data', feed(decoders.out));
			child.stderr!.on('data', feed(decoders.err));
			child.on('exit', (code, sig) => {
				this.exited = true;
				exitCode = code ?? undefined;
				signal = sig ?? undefined;
				for (const t of this.timers) clearTimeout(t);
				// Whatever the leader started dies with it; a pipe an unmarked escapee still holds is not waited on past the drain.
				this.killAll('SIGKILL');
				this.timers.push(setTimeout(finish, this.options.drainMs ?? defaultDrainMs));
			});
			child.on('close', finish);
		});
	}
}

/**
 * Ends a run left behind by a loop that was killed (kill -9 leaves its
 * detached child training). The pid is trusted only if that process carries
 * the run's own marker in its environment: a reused pid is left alone. Any
 * other process with the marker (a child that escaped the group) goes too.
 */
export function killLeftover(pid: number, runDir: string): boolean {
	let ended = false;
	try {
		const environ = readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0');
		if (environ.includes(`NIGHTSHIFT_RUN_DIR=${runDir}`)) {
			killGroup(pid, 'SIGKILL');
			ended = true;
		}
	} catch {
		// Gone: only escaped children may be left.
	}
	return killMarked(runDir, 'SIGKILL') > 0 || ended;
}
