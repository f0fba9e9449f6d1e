import {createHash} from 'node:crypto';
import type {Options} from 'ollama';
import {stripThinking} from './answer.js';
import {checkHostAllowed, resolveOllamaHost} from './host.js';
import {answerFeedback} from './model-text.js';
import {keepAliveFor, OllamaClient, type ChatCall, type ChatResult, type OllamaHealth} from './ollama-client.js';
import {OllamaUnavailableError} from './ollama-errors.js';
import {
	buildChatMessages,
	buildProposalMessages,
	describeTrim,
	PromptTooLargeError,
	TokenCalibration,
	type BuiltPrompt,
	type ChatMessage,
	type FollowUp,
	type PromptLimits,
	type ProposalInput,
} from './prompt.js';
import {judgeAnswer, type Carry} from './repair.js';
import {
	ProposalError,
	type ChatRequest,
	type ExperimentMemory,
	type Proposal,
	type ProposalRequest,
	type Proposer,
} from '../core/proposer.js';
import type {ArenaRules} from '../core/types.js';

// Proposals from a local model through Ollama: the conversation and its
// judgement; the transport is ollama-client.ts and the words are
// model-text.ts's. Every request carries a fixed num_ctx (Ollama's default
// window silently cuts long prompts), a num_predict cap, a seed, the
// temperature, and a keep_alive longer than a run (the default 5 minutes
// unloads the model during every experiment). The answer streams out as token
// events; repair.ts reads and checks it, and a failure goes back to the model
// in the same conversation, at most twice more, as a different request: the
// answer and what was wrong with it appended, another seed (no request body
// is ever sent twice). The prompt's measure learns each model's tokenizer
// from the counts Ollama returns, and a num_ctx above the model's own context
// length is said once.
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

/** A chat request from a loop that passes the session's memory (core may add `history` to ChatRequest). */
type ChatWithMemory = ChatRequest & {history?: readonly ExperimentMemory[]};

/** Request bodies remembered to never send one twice; the oldest are forgotten past this many. */
const rememberedBodies = 4096;

export class OllamaProposer implements Proposer {
	readonly name = 'ollama';
	readonly pipelined = true;
	/** The normalised host, e.g. `http://127.0.0.1:11434`. */
	readonly host: string;
	private currentModel: string;
	private readonly settings: Settings;
	private readonly client: OllamaClient;
	private lastRules: ArenaRules | undefined;
	/** The last proposal's memory and files: what a chat answers from when the loop passes none. */
	private lastHistory: readonly ExperimentMemory[] | undefined;
	private lastFiles: Readonly<Record<string, string>> | undefined;
	private readonly calibration = new TokenCalibration();
	/** Models whose context length was compared with num_ctx already. */
	private readonly contextChecked = new Set<string>();
	private readonly sent = new Set<string>();

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

	/** Is the server up and the model (this one, or `model`) installed? */
	health(signal?: AbortSignal, model = this.currentModel): Promise<OllamaHealth> {
		return this.client.health(model, signal);
	}

	/** Is `model` there to be used, before /model switches to it? Says how to fix it when not. */
	async checkModel(model: string, signal: AbortSignal): Promise<{ok: true; detail?: string} | {ok: false; message: string}> {
		const health = await this.client.health(model.trim(), signal);
		if (health.ok) return {ok: true, detail: `${model.trim()} is installed (Ollama ${health.version} at ${this.host})`};
		return {ok: false, message: `${health.message}; fix: ${health.fix}`};
	}

	/** The running ratio of the model's tokens to the estimate (1 until Ollama has counted a prompt). */
	tokenScale(model = this.currentModel): number {
		return this.calibration.scale(model);
	}

	private get limits(): PromptLimits {
		return {numCtx: this.settings.numCtx, numPredict: this.settings.numPredict, scale: this.calibration.scale(this.currentModel)};
	}

	/** The options every request carries. */
	private requestOptions(seed: number): Partial<Options> {
		return {num_ctx: this.settings.numCtx, num_predict: this.settings.numPredict, temperature: this.settings.temperature, seed};
	}

	/**
	 * One streamed answer from the model in use. The seed is `seed`, or the
	 * next one up when that exact body went out before (the same prompt asked
	 * again would get the same answer).
	 */
	private async ask(
		messages: ChatMessage[],
		seed: number,
		call: Pick<ChatCall, 'signal' | 'onToken' | 'onStreamRetry'>,
	): Promise<ChatResult> {
		const model = this.currentModel;
		const keepAlive = this.settings.keepAlive ?? keepAliveFor(this.lastRules?.budgetSeconds);
		let options = this.requestOptions(seed);
		const key = () => createHash('sha256').update(JSON.stringify({model, messages, options, keepAlive})).digest('hex');
		while (this.sent.has(key())) options = this.requestOptions(Number(options.seed) + 1);
		if (this.sent.size >= rememberedBodies) this.sent.delete(this.sent.values().next().value!);
		this.sent.add(key());
		const result = await this.client.chat({model, messages, options, keepAlive, think: this.settings.think, ...call});
		if (result.promptEvalCount !== undefined) this.calibration.observe(model, messages, result.promptEvalCount);
		return result;
	}

	/** Compares num_ctx with the model's context length, once per model, and says so when it is above. */
	private async checkContext(req: ProposalRequest): Promise<void> {
		const model = this.currentModel;
		if (this.contextChecked.has(model)) return;
		const {contextLength} = await this.client.modelFacts(model, req.signal);
		this.contextChecked.add(model);
		if (contextLength !== undefined && this.settings.numCtx > contextLength) {
			req.emit({
				type: 'message',
				level: 'warn',
				text: `num_ctx ${this.settings.numCtx} is above the context length of ${model} (${contextLength}, from /api/show): past it the model answers worse or not at all; set numCtx to ${contextLength} or less`,
			});
		}
	}

	async propose(req: ProposalRequest): Promise<Proposal> {
		this.lastRules = req.rules;
		this.lastHistory = req.history;
		this.lastFiles = req.files;
		await this.checkContext(req);
		const input: ProposalInput = {
			n: req.n,
			goal: req.goal,
			rules: req.rules,
			files: req.files,
			results: req.results,
			notes: req.notes,
			inFlight: req.inFlight,
			machine: req.machine,
			history: req.history,
			...(req.lastCrash ? {lastCrash: req.lastCrash} : {}),
		};
		const followUps: FollowUp[] = [];
		const reasons: string[] = [];
		const attempts = 1 + this.settings.retries;
		let carry: Carry = {edits: []};
		for (let attempt = 1; attempt <= attempts; attempt++) {
			const built = this.build(input, followUps, attempt, reasons, req);
			// Each attempt its own seed, spaced so that experiment n + 1 does not reuse n's retry seeds.
			const result = await this.ask(built.messages, this.settings.seed + req.n + (attempt - 1) * 7919, {
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
			const verdict = await judgeAnswer(result, req, {numPredict: this.settings.numPredict, example: built.example, carry});
			if ('proposal' in verdict) return {...verdict.proposal, proposer: this.name, model: this.currentModel};
			carry = verdict.carry;
			const {reason, feedback} = answerFeedback(verdict.problem, {editable: req.rules.editable, example: built.example});
			reasons.push(reason);
			if (attempt < attempts) {
				req.emit({type: 'retry', attempt: attempt + 1, reason});
				followUps.push({answer: result.content, feedback});
			}
		}
		const listed = reasons.map((r, i) => `${i + 1}) ${r}`).join('; ');
		throw new ProposalError(`the model's answer could not be used after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${listed}`);
	}

	/** The prompt of one attempt, fitted to num_ctx; says what trimming left out on the first. */
	private build(
		input: ProposalInput,
		followUps: readonly FollowUp[],
		attempt: number,
		reasons: readonly string[],
		req: ProposalRequest,
	): BuiltPrompt {
		try {
			const built = buildProposalMessages(input, this.limits, followUps);
			const trimmed = describeTrim(built.trimmed);
			if (trimmed && attempt === 1) {
				req.emit({
					type: 'message',
					level: 'info',
					text: `the prompt was trimmed to fit num_ctx ${this.settings.numCtx}: left out ${trimmed}`,
				});
			}
			return built;
		} catch (error) {
			if (!(error instanceof PromptTooLargeError)) throw error;
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
	}

	async chat(req: ChatWithMemory): Promise<string> {
		let built;
		try {
			const history = req.history ?? this.lastHistory;
			built = buildChatMessages(
				{
					message: req.message,
					goal: req.goal,
					results: req.results,
					notes: req.notes,
					...(this.lastRules ? {rules: this.lastRules} : {}),
					...(history ? {history} : {}),
					...(this.lastFiles ? {files: this.lastFiles} : {}),
				},
				this.limits,
			);
		} catch (error) {
			if (error instanceof PromptTooLargeError) throw new Error(`${error.message}: raise numCtx`, {cause: error});
			throw error;
		}
		const result = await this.ask(built.messages, this.settings.seed, {
			signal: req.signal,
			onToken: (text, channel) => {
				if (channel === 'text') req.onToken(text);
			},
		});
		return stripThinking(result.content).trim();
	}
}
