// Domain types shared by core, agent and ui. No behaviour lives here.

export type Direction = 'lower' | 'higher';

/** The rules of the arena, read from program.md's front matter (plus flags). */
export type ArenaRules = {
	/** Files the agent may edit, relative to the workspace root, POSIX separators. */
	editable: string[];
	/** The run command, split like a shell would (no shell is involved). */
	command: string;
	/** Working directory of the run command, relative to the workspace root. */
	cwd: string;
	/** Name of the summary key that is the metric, e.g. `val_bpb`. */
	metric: string;
	direction: Direction;
	/** Training time budget in seconds, passed to the run as NIGHTSHIFT_TIME_BUDGET. */
	budgetSeconds: number;
	/** Wall-clock limit of one run; past it the process group is killed. */
	timeoutSeconds: number;
	/** A change is kept only when it beats the best by more than this (absolute). */
	minImprovement: number;
	/** The Ollama model this arena asks for, overriding the user's setting. */
	model?: string;
	/** `noise`: the run-to-run spread is measured and a keep must clear it; `single`: one run against the best's one run. */
	judge: 'noise' | 'single';
	/** Runs of the baseline (and of the best at a new budget) that measure the noise; 1 means no measurement. */
	baselineRuns: number;
	/** Re-runs of a candidate whose first run is better than the best but not clearly so. */
	confirmRuns: number;
	/** The values the metric can take; outside it a result is a crash. Unset: the metric's name decides (metric.ts). */
	metricRange?: [number, number];
	/** GPUs to run on, one worker each (nvidia-smi's indices). */
	gpus?: number[];
	/** Where experiments run: `auto` (bubblewrap where it runs, else unconfined with a warning), `bwrap` (required), `off`. */
	sandbox?: 'auto' | 'bwrap' | 'off';
	/** Paths outside its run folder a sandboxed run may write (caches, data): absolute, `~/...` or `$VAR/...`; unset: sandbox.ts's defaultWritable. */
	writable?: string[];
};

/** A verdict, or `rerun`: one more run of an experiment already judged (a confirmation, or the best re-measured at a new budget). */
export type Status = 'keep' | 'discard' | 'crash' | 'rerun';

/** The statuses that end an experiment (every status but `rerun`). */
export type Verdict = Exclude<Status, 'rerun'>;

/**
 * One row of results.tsv. Two numbers name it: `row`, its position among the
 * file's rows (1 is the first after the header), and `n`, the experiment
 * number everyone sees as #n, which is its run folder's number
 * (runs/<NNNN>-<commit>/).
 */
export type ExperimentRecord = {
	row: number;
	n: number;
	commit: string;
	/** null when the run crashed or printed no metric. */
	metric: number | null;
	memoryGb: number;
	status: Status;
	description: string;
	/** The training budget it ran with, in seconds. */
	budget?: number;
	/** Runs its metric is the mean of (re-runs included). */
	runs?: number;
	/** Its metric less the best's when it was judged, and the noise band that difference had to leave. */
	delta?: number;
	band?: number;
	/** Why the judge said what it said. */
	reason?: string;
	/** The worker that ran it (w0, w1, ...). */
	worker?: string;
	/** For a re-run: the experiment it re-runs. */
	of?: number;
	/** A human overruled the judge on it. */
	overruled?: boolean;
	/** When it was decided, and the seconds its runs took in all (the morning view counts from these). */
	endedAt?: string;
	seconds?: number;
};

export type Edit = {
	path: string;
	search: string;
	replace: string;
};

export type SteeringNote = {
	id: number;
	text: string;
	at: string;
};

/** What a run printed after `---`, as numbers where they parse. */
export type Summary = Record<string, number | string>;

export type Progress = {
	step: number;
	loss: number;
	/** Percent of the time budget done, when the line says. */
	pct?: number;
	/** Seconds left in the budget, when the line says. */
	remaining?: number;
};
