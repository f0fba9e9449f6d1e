import type {Executor} from './executor.js';
import type {LoopEvent} from './events.js';
import type {NoiseRule} from './noise.js';
import type {Machine, Proposer} from './proposer.js';
import type {SandboxMode} from './sandbox.js';

// What a Loop is started with: where, with which proposer, how many workers
// and how their runs are run, and the limits. Flags and program.md's front
// matter meet here (a flag wins).

export type LoopOptions = {
	/** The folder with program.md (inside a git repository). */
	workspace: string;
	/** Where results.tsv, run folders, the event log and the worktrees go; default `<workspace>/runs`. */
	runsDir?: string;
	tag?: string;
	proposer: Proposer;
	/** Stop once results.tsv holds this many experiments (re-runs are not experiments; a restart counts what is there). */
	maxExperiments?: number;
	/** Overrides program.md's budget. */
	budgetSeconds?: number;
	/** Interpreter for `python ...` commands and for compiling proposals. */
	python?: string;
	/** Extra environment for runs. */
	env?: Record<string, string>;
	killGraceSeconds?: number;
	/** Workers that run experiments side by side: one per GPU listed, or this many without GPUs. Default one. */
	workers?: number;
	gpus?: number[];
	/** How runs are run; the sandbox (sandbox.ts) by default. One per worker, or one for all. */
	executor?: Executor | ((worker: {name: string; gpu?: number}) => Executor);
	/** The sandbox, when no executor is given (--sandbox; wins over program.md's `sandbox:`); default auto. */
	sandbox?: SandboxMode;
	/** Proposals kept prepared ahead (at least one per worker); default 2. */
	queueDepth?: number;
	/** The hardware, as proposers are told. */
	machine?: Omit<Machine, 'workers'>;
	/** The noise rule's thresholds (core/noise.ts): for benchmarks trying others; the default otherwise. */
	noiseRule?: NoiseRule;
	/** Optional extra event sources started with the loop (GPU polling); each returns its stop function. */
	sources?: Array<(emit: (event: LoopEvent) => void) => () => void>;
};
