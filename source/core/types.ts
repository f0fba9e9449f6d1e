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
};

export type Status = 'keep' | 'discard' | 'crash';

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
