import type {OllamaHealth} from './ollama-client.js';
import {OllamaUnavailableError, type OllamaFailureKind} from './ollama-errors.js';
import {describeMemory} from './memory.js';
import type {ArenaRules} from '../core/types.js';
import {
	ProposalError,
	type ChatRequest,
	type ExperimentMemory,
	type Proposal,
	type ProposalRequest,
	type Proposer,
} from '../core/proposer.js';

// The model when it is there, the built-in search when it is not: the loop
// never stops for want of Ollama. An experiment whose model request fails for
// reasons of the model's availability (server down, model missing, a stream
// that broke twice: the Ollama proposer already retries a broken stream once
// by itself) is proposed by the search instead, and the loop goes on. From
// then on, before each proposal, Ollama's health is checked again (cheap:
// /api/version and /api/tags) and the model is used as soon as it is back.
// A model that answers but whose edits never apply is not unavailable: that
// ProposalError goes to the loop as it is, and the loop may ask `standIn`
// (the search, instant) while the model keeps trying in the background.
// `concurrency` tells the loop how many proposals Ollama serves at once
// (OLLAMA_NUM_PARALLEL), and checkModel lets /model refuse a wrong name at
// once, with the fix.

/** What the fallback needs of the model's proposer: the Ollama proposer meets it. */
export interface ModelProposer extends Proposer {
	readonly host: string;
	health(signal?: AbortSignal): Promise<OllamaHealth>;
	checkModel(model: string, signal: AbortSignal): Promise<{ok: true; detail?: string} | {ok: false; message: string}>;
}

export type FallbackOptions = {
	primary: ModelProposer;
	/** The built-in search proposer, or any Proposer. */
	fallback: Proposer;
	/** Proposals the server answers at once (OLLAMA_NUM_PARALLEL); default 1. */
	concurrency?: number;
};

const shortReason: Record<OllamaFailureKind, string> = {
	down: 'ollama down',
	'missing-model': 'model missing',
	stream: 'ollama failed',
	other: 'ollama unavailable',
};

type State = {mode: 'model'} | {mode: 'fallback'; kind: OllamaFailureKind; message: string};

export class FallbackProposer implements Proposer {
	readonly pipelined = true;
	private state: State = {mode: 'model'};
	private readonly primary: ModelProposer;
	private readonly fallback: Proposer;
	readonly concurrency: number;

	constructor(options: FallbackOptions) {
		this.primary = options.primary;
		this.fallback = options.fallback;
		this.concurrency = Math.max(1, Math.floor(options.concurrency ?? 1));
	}

	/** The search: instant, for the loop to use when the model cannot keep up or keeps failing. */
	get standIn(): Proposer {
		return this.fallback;
	}

	describeMemory(history: readonly ExperimentMemory[], rules: ArenaRules): string {
		return describeMemory(history, {direction: rules.direction});
	}

	checkModel(model: string, signal: AbortSignal): Promise<{ok: true; detail?: string} | {ok: false; message: string}> {
		return this.primary.checkModel(model, signal);
	}

	/** `ollama` while the model is in use; `search (ollama down)` and the like while it is not. */
	get name(): string {
		return this.state.mode === 'model' ? this.primary.name : `${this.fallback.name} (${shortReason[this.state.kind]})`;
	}

	get model(): string | undefined {
		return this.state.mode === 'model' ? this.primary.model : this.fallback.model;
	}

	/** True while the built-in proposer stands in for the model. */
	get fallingBack(): boolean {
		return this.state.mode === 'fallback';
	}

	setModel(model: string): void {
		this.primary.setModel?.(model);
		// A new model deserves a fresh try.
		if (this.state.mode === 'fallback') this.state = {...this.state, message: ''};
	}

	async propose(req: ProposalRequest): Promise<Proposal> {
		if (this.state.mode === 'fallback') {
			const health = await this.primary.health(req.signal);
			if (req.signal.aborted) throw new ProposalError('stopped');
			if (!health.ok) return this.useFallback(req, health.kind, health.message, health.fix);
		}
		try {
			const proposal = await this.primary.propose(req);
			if (this.state.mode === 'fallback') {
				req.emit({
					type: 'message',
					level: 'info',
					text: `the model is back (${this.primary.model ?? this.primary.name} at ${this.primary.host}): proposals come from it again`,
				});
				this.state = {mode: 'model'};
			}
			return proposal;
		} catch (error) {
			if (req.signal.aborted || !(error instanceof OllamaUnavailableError)) throw error;
			return this.useFallback(req, error.kind, error.message, error.fix);
		}
	}

	private useFallback(req: ProposalRequest, kind: OllamaFailureKind, message: string, fix: string): Promise<Proposal> {
		const changed = this.state.mode === 'model' || this.state.kind !== kind || this.state.message !== message;
		this.state = {mode: 'fallback', kind, message};
		if (changed) {
			req.emit({
				type: 'message',
				level: 'warn',
				text: `${message}. Fix: ${fix}. Until then the ${this.fallback.name} proposer stands in; the model is tried again before each experiment.`,
			});
		}
		return this.fallback.propose(req);
	}

	async chat(req: ChatRequest): Promise<string> {
		if (!this.primary.chat) throw new Error(`the ${this.primary.name} proposer cannot chat`);
		try {
			return await this.primary.chat(req);
		} catch (error) {
			if (req.signal.aborted) throw error;
			if (error instanceof OllamaUnavailableError) {
				throw new Error(
					`${error.message}; fix: ${error.fix} (meanwhile the ${this.fallback.name} proposer keeps the loop going, and it cannot chat)`,
					{
						cause: error,
					},
				);
			}
			throw error;
		}
	}
}
