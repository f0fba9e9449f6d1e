import {closeSync, openSync, readFileSync, writeSync} from 'node:fs';
import {StringDecoder} from 'node:string_decoder';
import {exec} from './exec.js';
import {OutputParser, type OutputLine} from './output.js';
import type {RunResult} from './executor.js';
import type {Progress} from './types.js';

export type RunOptions = {
	argv: string[];
	cwd: string;
	env: Record<string, string>;
	timeoutSeconds: number;
	/** The full raw output goes here as it arrives. */
	logPath: string;
	onLine: (line: OutputLine) => void;
	onProgress: (progress: Progress) => void;
	/** Seconds between SIGTERM to the process group and SIGKILL. */
	killGraceSeconds?: number;
	/** Told the process group's id once it exists, so a restart can end a run its killed parent left behind. */
	onSpawn?: (pid: number) => void;
};

const tailLines = 60;

/** Signals a whole process group; a group already gone is not an error. */
export function killGroup(pid: number, signal: NodeJS.Signals): void {
	try {
		process.kill(-pid, signal);
	} catch {
		// ESRCH: nothing left to kill.
	}
}

/**
 * One experiment's process: its own process group (so a timeout or /stop
 * kills everything it started), output streamed line by line and written to
 * the log at once.
 */
export class Run {
	readonly done: Promise<RunResult>;
	private stopReason: RunResult['killed'];
	private killTimers: NodeJS.Timeout[] = [];
	private pid: number | undefined;

	constructor(private readonly options: RunOptions) {
		this.done = this.start();
	}

	/** Kill the run now (/stop, quit now, second Ctrl+C). */
	stop(): void {
		this.terminate('stop');
	}

	private terminate(reason: 'timeout' | 'stop'): void {
		if (this.pid === undefined || this.stopReason) return;
		this.stopReason = reason;
		const pid = this.pid;
		killGroup(pid, 'SIGTERM');
		const grace = (this.options.killGraceSeconds ?? 5) * 1000;
		this.killTimers.push(setTimeout(() => killGroup(pid, 'SIGKILL'), grace));
	}

	private async start(): Promise<RunResult> {
		const {argv, cwd, env, timeoutSeconds, logPath, onLine, onProgress} = this.options;
		const started = performance.now();
		const fd = openSync(logPath, 'a');
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
		const [file, ...args] = argv;
		let spawnError: string | undefined;
		let exitCode: number | undefined;
		let signal: string | undefined;
		const subprocess = exec(file!, args, {
			cwd,
			env,
			extendEnv: true,
			detached: true,
			stdin: 'ignore',
			all: true,
			buffer: false,
			reject: false,
			stripFinalNewline: false,
		});
		this.pid = subprocess.pid;
		if (this.pid !== undefined) this.options.onSpawn?.(this.pid);
		const timer = setTimeout(() => this.terminate('timeout'), timeoutSeconds * 1000);
		// The leader may exit while children it forked still hold the pipe: end them too.
		subprocess.nodeChildProcess.on('exit', () => {
			if (this.pid !== undefined) killGroup(this.pid, 'SIGKILL');
		});
		const decoder = new StringDecoder('utf8');
		subprocess.all?.on('data', (chunk: Buffer) => {
			writeSync(fd, chunk);
			parser.feed(decoder.write(chunk));
		});
		const result = await subprocess;
		parser.feed(decoder.end());
		parser.end();
		clearTimeout(timer);
		for (const t of this.killTimers) clearTimeout(t);
		if (this.pid !== undefined) killGroup(this.pid, 'SIGKILL');
		if (result.failed && result.exitCode === undefined && result.signal === undefined) {
			const cause = result.cause as NodeJS.ErrnoException | undefined;
			spawnError =
				cause?.code === 'ENOENT'
					? `cannot run \`${file}\`: command not found (or ${cwd} does not exist)`
					: `cannot run \`${file}\`: ${cause?.message ?? result.shortMessage}`;
			writeSync(fd, `nightshift: ${spawnError}\n`);
		} else {
			exitCode = result.exitCode;
			signal = result.signal;
		}
		if (this.stopReason) {
			writeSync(
				fd,
				`\nnightshift: ${this.stopReason === 'timeout' ? `killed after the ${timeoutSeconds} s timeout` : 'stopped by the user'}\n`,
			);
		}
		closeSync(fd);
		return {
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
		};
	}
}

/**
 * Ends a run left behind by a loop that was killed (kill -9 leaves its
 * detached child training). The pid is trusted only if that process carries
 * the run's own marker in its environment: a reused pid is left alone.
 */
export function killLeftover(pid: number, runDir: string): boolean {
	try {
		const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
		if (!environ.includes(`NIGHTSHIFT_RUN_DIR=${runDir}`)) return false;
	} catch {
		return false;
	}
	killGroup(pid, 'SIGKILL');
	return true;
}
