import type {Options} from 'ollama';
import {describeEdits, parseAnswer, stripThinking} from './answer.js';
import {checkHostAllowed, resolveOllamaHost} from './host.js';
import {answerFeedback, type AnswerProblem} from './model-text.js';
import {keepAliveFor, OllamaClient, type ChatCall, type ChatResult, type OllamaHealth} from './ollama-client.js';
import {OllamaUnavailableError} from './ollama-errors.js';
import {
	buildChatMessages,
	buildProposalMessages,
	describeTrim,
	PromptTooLargeError,
	type ChatMessage,
	type FollowUp,
	type PromptLimits,
} from './prompt.js';
import {ProposalError, type ChatRequest, type Proposal, type ProposalRequest, type Proposer} from '../core/proposer.js';
import type {ArenaRules} from '../core/types.js';

// Proposals from a local model through Ollama: the conversation and its
// judgement; the transport is ollama-client.ts and the words are
// model-text.ts's. Every request carries a fixed num_ctx (Ollama's default
// window silently cuts long prompts), a num_predict cap, a seed, the
// temperature, and a keep_alive longer than a run (the default 5 minutes
// unloads the model during every experiment). The answer streams out as token
// events; its SEARCH/REPLACE blocks are checked by the loop's dry run, and a
// failure goes back to the model in the same conversation, at most twice more.
//
// Network: only the configured host is ever contacted, and a host off this
// machine only with allowRemote.

export type OllamaProposerOptions = {
	model: string;
	/** Flag or setting; empty means OLLAMA_HOST, then 127.0.0.1:11434. */
	host?: string;
	/** Allow a host that is not loopback. Off unless set explicitly. */
	allowRemote?: boolean;
	/** The context window asked of Ollama; default 32768. */
	numCtx?: number;
	/** The answer's token cap; default 4096. */
	numPredict?: number;
	/** Ollama keep_alive (`'90m'`, seconds, -1). Default: max(60 min, 2 x budget + 10 min), from the arena's budget. */
	keepAlive?: string | number;
	/** Base seed; experiment n is asked with seed + n, so that a failed proposal is not asked again word for word. Default 0. */
	seed?: number;
	/** Default 0.7. */
	temperature?: number;
	/** Let a thinking model think (its tokens stream on the `thinking` channel). Default false: `think: false` is sent where the model supports thinking. */
	think?: boolean;
	/** Follow-ups after a failed answer; default 2 (3 attempts in all). */
	retries?: number;
	/** Immediate retries of a stream that broke (an error line, or cut without done); default 1. */
	streamRetries?: number;
	/** A stream that sends nothing for this long is given up as broken; default 600 s (a large model loading from disk is slow). */
	stallSeconds?: number;
	/** For tests; the global fetch otherwise. */
	fetch?: typeof fetch;
	/** Where OLLAMA_HOST is read; process.env otherwise. */
	env?: NodeJS.ProcessEnv;
};

export const ollamaDefaults = {
	numCtx: 32768,
	numPredict: 4096,
	seed: 0,
	temperature: 0.7,
	retries: 2,
	streamRetries: 1,
	stallSeconds: 600,
} as const;

type Settings = {
	numCtx: number;
	numPredict: number;
	keepAlive: string | number | undefined;
	seed: number;
	temperature: number;
	think: boolean;
	retries: number;
};

/** An answer judged: a proposal, or what was wrong with it. */
type Judged = {proposal: Omit<Proposal, 'proposer'>} | {problem: AnswerProblem};

export class OllamaProposer implements Proposer {
	readonly name = 'ollama';
	readonly pipelined = true;
	/** The normalised host, e.g. `http://127.0.0.1:11434`. */
	readonly host: string;
	private currentModel: string;
	private readonly settings: Settings;
	private readonly client: OllamaClient;
	private lastRules: ArenaRules | undefined;

	constructor(options: OllamaProposerOptions) {
		if (!options.model?.trim()) throw new Error('the Ollama proposer needs a model name (setting model, or --model)');
		const allowRemote = options.allowRemote === true;
		this.host = checkHostAllowed(resolveOllamaHost(options.host, options.env ?? process.env), allowRemote);
		this.currentModel = options.model.trim();
		const positive = (v: number | undefined, d: number, what: string, whole = true) => {
			if (v === undefined) return d;
			if (!Number.isFinite(v) || v <= 0) throw new Error(`${what} must be a number above 0, not ${v}`);
			return whole ? Math.floor(v) : v;
		};
		this.settings = {
			numCtx: positive(options.numCtx, ollamaDefaults.numCtx, 'numCtx'),
			numPredict: positive(options.numPredict, ollamaDefaults.numPredict, 'numPredict'),
			keepAlive: options.keepAlive === '' ? undefined : options.keepAlive,
			seed: options.seed ?? ollamaDefaults.seed,
			temperature: options.temperature ?? ollamaDefaults.temperature,
			think: options.think ?? false,
			retries: Math.max(0, options.retries ?? ollamaDefaults.retries),
		};
		const streamRetries = Math.max(0, options.streamRetries ?? ollamaDefaults.streamRetries);
		const stallSeconds = positive(options.stallSeconds, ollamaDefaults.stallSeconds, 'stallSeconds', false);
		if (this.settings.numPredict >= this.settings.numCtx) {
			throw new Error(
				`numPredict (${this.settings.numPredict}) must be below numCtx (${this.settings.numCtx}): the answer has to fit in the window with the prompt`,
			);
		}
		this.client = new OllamaClient({
			host: this.host,
			allowRemote,
			streamRetries,
			stallSeconds,
			...(options.fetch ? {fetch: options.fetch} : {}),
		});
	}

	get model(): string {
		return this.currentModel;
	}

	setModel(model: string): void {
		if (!model.trim()) return;
		this.currentModel = model.trim();
	}

	/** Is the server up and the model installed? */
	health(signal?: AbortSignal): Promise<OllamaHealth> {
		return this.client.health(this.currentModel, signal);
	}

	private get limits(): PromptLimits {
		return {numCtx: this.settings.numCtx, numPredict: this.settings.numPredict};
	}

	/** The options every request carries. */
	private requestOptions(seedOffset: number): Partial<Options> {
		return {
			num_ctx: this.settings.numCtx,
			num_predict: this.settings.numPredict,
			temperature: this.settings.temperature,
			seed: this.settings.seed + seedOffset,
		};
	}

	/** One streamed answer from the model in use, with the options every request carries. */
	private ask(
		messages: ChatMessage[],
		seedOffset: number,
		call: Pick<ChatCall, 'signal' | 'onToken' | 'onStreamRetry'>,
	): Promise<ChatResult> {
		return this.client.chat({
			model: this.currentModel,
			messages,
			options: this.requestOptions(seedOffset),
			keepAlive: this.settings.keepAlive ?? keepAliveFor(this.lastRules?.budgetSeconds),
			think: this.settings.think,
			...call,
		});
	}

	async propose(req: ProposalRequest): Promise<Proposal> {
		this.lastRules = req.rules;
		const input = {
			n: req.n,
			goal: req.goal,
			rules: req.rules,
			files: req.files,
			results: req.results,
			notes: req.notes,
			...(req.lastCrash ? {lastCrash: req.lastCrash} : {}),
		};
		const followUps: FollowUp[] = [];
		const reasons: string[] = [];
		const attempts = 1 + this.settings.retries;
		for (let attempt = 1; attempt <= attempts; attempt++) {
			let messages: ChatMessage[];
			try {
				const built = buildProposalMessages(input, this.limits, followUps);
				messages = built.messages;
				const trimmed = describeTrim(built.trimmed);
				if (trimmed && attempt === 1) {
					req.emit({
						type: 'message',
						level: 'info',
						text: `the prompt was trimmed to fit num_ctx ${this.settings.numCtx}: left out ${trimmed}`,
					});
				}
			} catch (error) {
				if (error instanceof PromptTooLargeError) {
					// The first prompt not fitting means the model cannot be used here at all; a retry's not fitting ends this proposal.
					if (attempt === 1)
						throw new OllamaUnavailableError(
							'other',
							error.message,
							'raise numCtx (and make sure the model supports that window), or lower numPredict',
						);
					throw new ProposalError(
						`the model's answers could not be used (${reasons.join('; ')}), and a further try does not fit in num_ctx: ${error.message}`,
					);
				}
				throw error;
			}
			const result = await this.ask(messages, req.n, {
				signal: req.signal,
				onToken: (text, channel) => req.emit({type: 'token', text, channel}),
				onStreamRetry: text => req.emit({type: 'message', level: 'warn', text}),
			});
			if (result.promptEvalCount !== undefined && result.promptEvalCount > this.settings.numCtx - this.settings.numPredict) {
				// Ollama counts only the tokens it evaluated (cached ones not): more than the room left means the estimate fell short.
				req.emit({
					type: 'message',
					level: 'warn',
					text: `the prompt took ${result.promptEvalCount} tokens, more than num_ctx ${this.settings.numCtx} leaves after num_predict ${this.settings.numPredict}; Ollama may have cut its start: raise numCtx`,
				});
			}
			const judged = await this.judge(result, req);
			if ('proposal' in judged) return {...judged.proposal, proposer: this.name, model: this.currentModel};
			const {reason, feedback} = answerFeedback(judged.problem, req.rules.editable);
			reasons.push(reason);
			if (attempt < attempts) {
				req.emit({type: 'retry', attempt: attempt + 1, reason});
				followUps.push({answer: result.content, feedback});
			}
		}
		const listed = reasons.map((r, i) => `${i + 1}) ${r}`).join('; ');
		throw new ProposalError(`the model's answer could not be used after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${listed}`);
	}

	/** Parses and dry-runs an answer. */
	private async judge(result: ChatResult, req: ProposalRequest): Promise<Judged> {
		if (result.doneReason === 'length') return {problem: {kind: 'cut-off', numPredict: this.settings.numPredict}};
		const parsed = parseAnswer(result.content, req.rules.editable);
		if (parsed.errors.length > 0) return {problem: {kind: 'malformed', errors: parsed.errors}};
		if (parsed.edits.length === 0) return {problem: {kind: result.content.trim() === '' ? 'empty' : 'no-blocks'}};
		const checked = await req.check(parsed.edits);
		if (!checked.ok) {
			const {reason, index, closest} = checked;
			return {
				problem: {
					kind: 'not-applied',
					reason,
					...(index === undefined ? {} : {edit: index, path: parsed.edits[index]?.path}),
					...(closest === undefined ? {} : {closest}),
				},
			};
		}
		return {
			proposal: {
				description: parsed.description ?? describeEdits(parsed.edits),
				...(parsed.rationale ? {rationale: parsed.rationale} : {}),
				edits: parsed.edits,
			},
		};
	}

	async chat(req: ChatRequest): Promise<string> {
		let built;
		try {
			built = buildChatMessages(
				{message: req.message, goal: req.goal, results: req.results, notes: req.notes, ...(this.lastRules ? {rules: this.lastRules} : {})},
				this.limits,
			);
		} catch (error) {
			if (error instanceof PromptTooLargeError) throw new Error(`${error.message}: raise numCtx`, {cause: error});
			throw error;
		}
		const result = await this.ask(built.messages, 0, {
			signal: req.signal,
			onToken: (text, channel) => {
				if (channel === 'text') req.onToken(text);
			},
		});
		return stripThinking(result.content).trim();
	}
}
