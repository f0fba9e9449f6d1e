import type {OutputLine} from './output.js';
import {Run} from './runner.js';
import type {Progress, Summary} from './types.js';

// How an experiment's command gets run. The loop builds a RunSpec and hands
// it to an executor; what runs it (a local process group, the bubblewrap
// sandbox in sandbox.ts, a Slurm job) is a file behind this seam, not a
// change to the loop.

export type RunSpec = {
	argv: string[];
	/** Where the command runs (inside the worktree). */
	cwd: string;
	/** Added to the environment the command inherits. */
	env: Record<string, string>;
	timeoutSeconds: number;
	/** The run's own folder (runs/<NNNN>-<commit>/): the log goes there, and the run may write there. */
	runDir: string;
	/** The worker's worktree: the code the run reads, and must not change. */
	worktree: string;
	/** The full raw output goes here as it arrives. */
	logPath: string;
	onLine: (line: OutputLine) => void;
	onProgress: (progress: Progress) => void;
	/** Told the process group's id once it exists, so a restart can end a run its killed parent left behind. */
	onSpawn?: (pid: number) => void;
	/** Seconds between SIGTERM and SIGKILL when a run is ended. */
	killGraceSeconds?: number;
	/** Paths outside the run folder the run may write (program.md's `writable:`, unexpanded); only a sandbox enforces it. */
	writable?: string[];
	/** The run waits for its turn (a Slurm job pending), with the scheduler's reason; told again when the reason changes. */
	onQueued?: (reason: string) => void;
};

/** What a run came to, whatever ran it. */
export type RunResult = {
	exitCode: number | undefined;
	signal: string | undefined;
	/** Why we ended it, if we did. */
	killed: 'timeout' | 'stop' | undefined;
	/** Could not start at all (command not found, cwd missing). */
	spawnError: string | undefined;
	summary: Summary | undefined;
	/** Summary keys printed more than once with different values, with every value. */
	conflicts: Record<string, Array<number | string>>;
	/** The first progress line whose loss was NaN or infinite. */
	nonFiniteLoss?: Progress;
	failed: boolean;
	seconds: number;
	/** The last lines of output, for crash reports and the model. */
	tail: string[];
	pid: number | undefined;
	/** Bytes of output the log could not hold (disk full); the tail and the summary were read from the stream all the same. */
	unwritten?: number;
	/** Ended by something that is not the run's doing (a Slurm job cancelled from outside, its node lost, preempted): the reason; the experiment is recorded as a crash with it and run once more. */
	requeue?: string;
};

export interface RunHandle {
	readonly done: Promise<RunResult>;
	/** End the run now (/stop, quit now). */
	stop(): void;
}

export interface Executor {
	/** Shown in summary.json and on screen: `local`, `bwrap` (sandbox.ts), `slurm`. */
	readonly name: string;
	start(spec: RunSpec): RunHandle;
}

/** The command as a local process group on this machine; its tree is found by its marker (runner.ts). */
export const localExecutor: Executor = {
	name: 'local',
	start(spec) {
		return new Run({
			runDir: spec.runDir,
			argv: spec.argv,
			cwd: spec.cwd,
			env: spec.env,
			timeoutSeconds: spec.timeoutSeconds,
			logPath: spec.logPath,
			onLine: spec.onLine,
			onProgress: spec.onProgress,
			...(spec.onSpawn ? {onSpawn: spec.onSpawn} : {}),
			...(spec.killGraceSeconds === undefined ? {} : {killGraceSeconds: spec.killGraceSeconds}),
		});
	},
};
