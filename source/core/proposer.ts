import type {ArenaRules, Edit, ExperimentRecord, SteeringNote} from './types.js';

/** The outcome of trying a proposal's edits on the base files, without touching disk. */
export type CheckResult =
	| {ok: true; files: Record<string, string>}
	| {
			ok: false;
			/** Which edit failed (0-based), when one did. */
			index?: number;
			/** Why, in words fit to send back to a model. */
			reason: string;
			/** The real lines nearest to a SEARCH that did not match. */
			closest?: string;
			/** The edits make files identical to this experiment's: the idea was tried, runs now, or is prepared. */
			repeats?: {n: number; description: string; state: 'tried' | 'running' | 'prepared'};
	  };

/** What a proposer reports while it works; the loop turns these into events. */
export type ProposerEvent =
	| {type: 'token'; text: string; channel: 'text' | 'thinking'}
	| {type: 'retry'; attempt: number; reason: string}
	| {type: 'message'; level: 'info' | 'warn' | 'error'; text: string};

export type ProposalRequest = {
	/** The experiment number this proposal is for. */
	n: number;
	/** program.md's prose (front matter removed), read fresh for every proposal. */
	goal: string;
	rules: ArenaRules;
	/** Editable files as they are at the base commit (the best so far). */
	files: Record<string, string>;
	/** Every experiment so far, oldest first. */
	results: readonly ExperimentRecord[];
	/** The human's steering notes, oldest first. */
	notes: readonly SteeringNote[];
	/** The most recent crash, for the model to learn from. */
	lastCrash?: {n: number; description: string; logTail: string};
	/**
	 * Experiments running now and proposals prepared but not started: a
	 * proposal must differ from them too (the dry run refuses one that
	 * repeats any of them, or any experiment tried).
	 */
	inFlight: readonly InFlight[];
	/** What every experiment tried and came to, oldest first: the memory a digest for the model is built from. */
	history: readonly ExperimentMemory[];
	/** Where experiments train: a CPU, or a GPU by name and memory. */
	machine: Machine;
	/** Applies edits to `files` in memory and compiles the result. */
	check: (edits: Edit[]) => Promise<CheckResult>;
	signal: AbortSignal;
	emit: (event: ProposerEvent) => void;
};

/** The hardware an experiment trains on, as the proposer should picture it. */
export type Machine = {device: 'cpu' | 'cuda'; gpu?: string; memoryGb?: number; workers: number};

/** One decided experiment: its hypothesis, what it changed, and what came of it. */
export type ExperimentMemory = {
	n: number;
	description: string;
	rationale?: string;
	status: 'keep' | 'discard' | 'crash';
	/** The judged metric (the mean of its runs); null for a crash. */
	metric: number | null;
	/** Its metric less the best's at the time, the noise band, the runs it took. */
	delta?: number;
	band?: number;
	runs?: number;
	reason?: string;
	proposer?: string;
	model?: string;
	/** The change it made, as a unified diff against the best it was tried on. */
	diff: string;
	/** True when it was overruled by hand. */
	overruled?: boolean;
};

/** An experiment under way or waiting its turn. */
export type InFlight = {n: number; description: string; state: 'running' | 'prepared'};

export type Proposal = {
	/** One line: what this experiment tries. Becomes the commit message and the results row. */
	description: string;
	rationale?: string;
	edits: Edit[];
	proposer: string;
	model?: string;
};

/** Thrown when a proposer gives up on this experiment; the loop records it and goes on. */
export class ProposalError extends Error {
	override name = 'ProposalError';
}

export type ChatRequest = {
	message: string;
	goal: string;
	results: readonly ExperimentRecord[];
	notes: readonly SteeringNote[];
	signal: AbortSignal;
	onToken: (text: string) => void;
};

export interface Proposer {
	/** Short name shown on screen and stored in summary.json, e.g. `search` or `ollama`. */
	readonly name: string;
	/** The model in use, where there is one. */
	readonly model?: string;
	/**
	 * True when proposing is slow enough to be worth doing while the previous
	 * experiment trains; the loop then prepares proposal N+1 during run N.
	 */
	readonly pipelined: boolean;
	propose(request: ProposalRequest): Promise<Proposal>;
	/**
	 * An instant proposer that may stand in for this one when it cannot keep
	 * up (a worker would wait) or keeps failing, while this one is asked
	 * again in the background. The model's proposer offers the built-in search.
	 */
	readonly standIn?: Proposer;
	/** Requests this proposer can serve at once (Ollama's OLLAMA_NUM_PARALLEL); 1 when unset. */
	readonly concurrency?: number;
	/** A short answer to the human; proposers without a model may omit it. */
	chat?(request: ChatRequest): Promise<string>;
	/** Switch model mid-run (/model). */
	setModel?(model: string): void;
	/** The memory digest this proposer gives the model, as text for the human (/memory); deterministic for a history. */
	describeMemory?(history: readonly ExperimentMemory[], rules: ArenaRules): string;
	/** Is this model there to be used? Asked before /model switches, so a wrong name is said at once. */
	checkModel?(model: string, signal: AbortSignal): Promise<{ok: true; detail?: string} | {ok: false; message: string}>;
}
