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
	/** Applies edits to `files` in memory and compiles the result. */
	check: (edits: Edit[]) => Promise<CheckResult>;
	signal: AbortSignal;
	emit: (event: ProposerEvent) => void;
};

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
	/** A short answer to the human; proposers without a model may omit it. */
	chat?(request: ChatRequest): Promise<string>;
	/** Switch model mid-run (/model). */
	setModel?(model: string): void;
}
