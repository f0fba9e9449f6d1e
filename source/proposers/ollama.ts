import {Ollama, type AbortableAsyncIterator, type ChatResponse, type Options} from 'ollama';
import {describeEdits, parseAnswer, stripThinking} from './answer.js';
import {checkHostAllowed, RemoteHostError, resolveOllamaHost} from './host.js';
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
import type {ArenaRules, Edit} from '../core/types.js';

// Proposals from a local model through the official ollama client. Every
// request carries a fixed num_ctx (Ollama's default window silently cuts long
// prompts), a num_predict cap, a seed, the temperature, and a keep_alive
// longer than a run (the default 5 minutes unloads the model during every
// experiment). The answer streams out as token events; its SEARCH/REPLACE
// blocks are checked by the loop's dry run, and a failure goes back to the
// model in the same conversation, at most twice more.
//
// Network: only the configured host is ever contacted (the fetch given to the
// client refuses any other origin), and a host off this machine only with
// allowRemote.

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

export type OllamaFailureKind = 'down' | 'missing-model' | 'stream' | 'other';

/** The model could not be used for this proposal (as opposed to answering badly): the fallback's cue. */
export class OllamaUnavailableError extends ProposalError {
	override name = 'OllamaUnavailableError';
	constructor(
		readonly kind: OllamaFailureKind,
		message: string,
		/** What the user can do about it, e.g. `ollama serve`. */
		readonly fix: string,
	) {
		super(message);
	}
}

const serverLogHint = "see Ollama's server log (journalctl -u ollama, or ~/.ollama/logs/server.log)";

export function fixFor(kind: OllamaFailureKind, model: string, host: string): string {
	switch (kind) {
		case 'down':
			return `start Ollama with \`ollama serve\` (nightshift looks for it at ${host}; set another with --host or OLLAMA_HOST)`;
		case 'missing-model':
			return `\`ollama pull ${model}\`, or choose an installed model with --model or /model`;
		default:
			return serverLogHint;
	}
}

/** The error code under fetch's `TypeError: fetch failed` (ECONNREFUSED, ENOTFOUND, UND_ERR_SOCKET...). */
function networkCode(error: unknown): string | undefined {
	let e: unknown = error;
	for (let depth = 0; depth < 4 && e && typeof e === 'object'; depth++) {
		const o = e as {code?: unknown; errors?: unknown[]; cause?: unknown};
		if (typeof o.code === 'string') return o.code;
		if (Array.isArray(o.errors) && o.errors.length > 0) {
			const inner = o.errors.find(x => x && typeof (x as {code?: unknown}).code === 'string') as {code: string} | undefined;
			if (inner) return inner.code;
		}
		e = o.cause;
	}
	return undefined;
}

function statusOf(error: unknown): number | undefined {
	const s = (error as {status_code?: unknown} | null)?.status_code;
	return typeof s === 'number' ? s : undefined;
}

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** Why a request did not get through, in the proposer's terms. `phase` is where it failed: before the stream began, or during it. */
export function classifyOllamaError(error: unknown, phase: 'request' | 'stream', host: string, model: string): OllamaUnavailableError {
	if (error instanceof OllamaUnavailableError) return error;
	const status = statusOf(error);
	const text = messageOf(error);
	if (status === 404 || (status === undefined && /model ['"]?[^'"]*['"]? not found/i.test(text) && phase === 'request')) {
		return new OllamaUnavailableError('missing-model', `the model ${model} is not installed in Ollama at ${host} (${text})`, fixFor('missing-model', model, host));
	}
	if (status !== undefined) {
		return new OllamaUnavailableError('other', `Ollama at ${host} answered ${status}: ${text}`, fixFor('other', model, host));
	}
	const code = networkCode(error);
	const dropped = code === 'UND_ERR_SOCKET' || code === 'ECONNRESET' || code === 'UND_ERR_CLOSED' || code === 'EPIPE';
	if (phase === 'request' && !dropped) {
		const why = code === 'ECONNREFUSED' ? 'connection refused' : code ? code : text;
		return new OllamaUnavailableError('down', `Ollama is not answering at ${host} (${why})`, fixFor('down', model, host));
	}
	const why = /did not receive done/i.test(text) || dropped || /^terminated$|other side closed/i.test(text) ? 'the stream ended before the answer was done' : `Ollama reported: ${text}`;
	return new OllamaUnavailableError('stream', `${why} (${model} at ${host})`, fixFor('stream', model, host));
}

/** A fetch that reaches only `origin`, and gives up when any of `signals` aborts. */
function guardedFetch(base: typeof fetch, origin: string, signals: AbortSignal[]): typeof fetch {
	return (input, init) => {
		const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
		if (url.origin !== origin) {
			return Promise.reject(new Error(`nightshift contacts only the Ollama host ${origin}, not ${url.origin}`));
		}
		const all = [...(init?.signal ? [init.signal] : []), ...signals];
		return base(input, {...init, signal: all.length === 1 ? all[0]! : AbortSignal.any(all)});
	};
}

export type OllamaHealth =
	| {ok: true; version: string; model: string}
	| {ok: false; kind: 'down' | 'missing-model' | 'other'; message: string; fix: string};

/** `llama3` is `llama3:latest` to Ollama. */
export function fullModelName(name: string): string {
	return name.includes(':') ? name : `${name}:latest`;
}

export type HealthOptions = {
	allowRemote?: boolean;
	fetch?: typeof fetch;
	/** Per request; default 5000 ms. */
	timeoutMs?: number;
	signal?: AbortSignal;
};

/**
 * Is Ollama up at `host`, and is `model` installed? Asks /api/version and
 * /api/tags, nothing else. Never throws.
 */
export async function checkOllama(host: string, model: string, options: HealthOptions = {}): Promise<OllamaHealth> {
	let normal: string;
	try {
		normal = checkHostAllowed(host, options.allowRemote);
	} catch (error) {
		const fix = error instanceof RemoteHostError ? 'pass --allow-remote (or set allowRemote: true) to use a host off this machine' : 'give a host like 127.0.0.1:11434';
		return {ok: false, kind: 'other', message: messageOf(error), fix};
	}
	const signals = [AbortSignal.timeout(options.timeoutMs ?? 5000), ...(options.signal ? [options.signal] : [])];
	const client = new Ollama({host: normal, fetch: guardedFetch(options.fetch ?? fetch, new URL(normal).origin, signals)});
	let version: string;
	try {
		version = (await client.version()).version;
	} catch (error) {
		const status = statusOf(error);
		if (status !== undefined) {
			return {ok: false, kind: 'other', message: `${normal} answered ${status} to /api/version: is it Ollama? (${messageOf(error)})`, fix: serverLogHint};
		}
		const code = networkCode(error);
		const why = code === 'ECONNREFUSED' ? 'connection refused' : (error as Error)?.name === 'TimeoutError' ? 'no answer in time' : (code ?? messageOf(error));
		return {ok: false, kind: 'down', message: `Ollama is not answering at ${normal} (${why})`, fix: fixFor('down', model, normal)};
	}
	try {
		const {models} = await client.list();
		const wanted = fullModelName(model);
		const names = (models ?? []).flatMap(m => [m.name, m.model]).filter((n): n is string => typeof n === 'string').map(fullModelName);
		if (!names.includes(wanted)) {
			const installed = [...new Set((models ?? []).map(m => m.name))];
			const list = installed.length ? `installed: ${installed.slice(0, 8).join(', ')}${installed.length > 8 ? ', ...' : ''}` : 'no models are installed';
			return {ok: false, kind: 'missing-model', message: `the model ${model} is not installed in Ollama at ${normal} (${list})`, fix: fixFor('missing-model', model, normal)};
		}
	} catch (error) {
		return {ok: false, kind: 'other', message: `Ollama at ${normal} did not list its models: ${messageOf(error)}`, fix: serverLogHint};
	}
	return {ok: true, version, model};
}

type StreamResult = {
	content: string;
	thinking: string;
	doneReason: string;
	promptEvalCount?: number;
	evalCount?: number;
};

type Failure = {reason: string; feedback: string};

/** Keep the model loaded across a whole run and then some: max(60 min, 2 x budget + 10 min). */
export function keepAliveFor(budgetSeconds: number | undefined): string {
	const seconds = Math.max(3600, 2 * (budgetSeconds ?? 0) + 600);
	return `${Math.ceil(seconds / 60)}m`;
}

export class OllamaProposer implements Proposer {
	readonly name = 'ollama';
	readonly pipelined = true;
	/** The normalised host, e.g. `http://127.0.0.1:11434`. */
	readonly host: string;
	private currentModel: string;
	private readonly origin: string;
	private readonly settings: Required<Omit<OllamaProposerOptions, 'host' | 'keepAlive' | 'fetch' | 'env' | 'model' | 'allowRemote'>> & {
		keepAlive: string | number | undefined;
		allowRemote: boolean;
	};
	private readonly fetchImpl: typeof fetch;
	/** Per model: true when /api/show lists `thinking` and think may be sent; false when it must not be. */
	private readonly thinks = new Map<string, boolean>();
	private lastRules: ArenaRules | undefined;

	constructor(options: OllamaProposerOptions) {
		if (!options.model?.trim()) throw new Error('the Ollama proposer needs a model name (setting model, or --model)');
		const allowRemote = options.allowRemote === true;
		this.host = checkHostAllowed(resolveOllamaHost(options.host, options.env ?? process.env), allowRemote);
		this.origin = new URL(this.host).origin;
		this.currentModel = options.model.trim();
		const positive = (v: number | undefined, d: number, what: string, whole = true) => {
			if (v === undefined) return d;
			if (!Number.isFinite(v) || v <= 0) throw new Error(`${what} must be a number above 0, not ${v}`);
			return whole ? Math.floor(v) : v;
		};
		const keepAlive = options.keepAlive === '' ? undefined : options.keepAlive;
		this.settings = {
			numCtx: positive(options.numCtx, ollamaDefaults.numCtx, 'numCtx'),
			numPredict: positive(options.numPredict, ollamaDefaults.numPredict, 'numPredict'),
			keepAlive,
			seed: options.seed ?? ollamaDefaults.seed,
			temperature: options.temperature ?? ollamaDefaults.temperature,
			think: options.think ?? false,
			retries: Math.max(0, options.retries ?? ollamaDefaults.retries),
			streamRetries: Math.max(0, options.streamRetries ?? ollamaDefaults.streamRetries),
			stallSeconds: positive(options.stallSeconds, ollamaDefaults.stallSeconds, 'stallSeconds', false),
			allowRemote,
		};
		if (this.settings.numPredict >= this.settings.numCtx) {
			throw new Error(`numPredict (${this.settings.numPredict}) must be below numCtx (${this.settings.numCtx}): the answer has to fit in the window with the prompt`);
		}
		this.fetchImpl = options.fetch ?? fetch;
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
		return checkOllama(this.host, this.currentModel, {
			allowRemote: this.settings.allowRemote,
			fetch: this.fetchImpl,
			...(signal ? {signal} : {}),
		});
	}

	private get limits(): PromptLimits {
		return {numCtx: this.settings.numCtx, numPredict: this.settings.numPredict};
	}

	/** The options every request carries. */
	requestOptions(seedOffset = 0): Partial<Options> {
		return {
			num_ctx: this.settings.numCtx,
			num_predict: this.settings.numPredict,
			temperature: this.settings.temperature,
			seed: this.settings.seed + seedOffset,
		};
	}

	keepAlive(): string | number {
		return this.settings.keepAlive ?? keepAliveFor(this.lastRules?.budgetSeconds);
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
					req.emit({type: 'message', level: 'info', text: `the prompt was trimmed to fit num_ctx ${this.settings.numCtx}: left out ${trimmed}`});
				}
			} catch (error) {
				if (error instanceof PromptTooLargeError) {
					// The first prompt not fitting means the model cannot be used here at all; a retry's not fitting ends this proposal.
					if (attempt === 1) throw new OllamaUnavailableError('other', error.message, 'raise numCtx (and make sure the model supports that window), or lower numPredict');
					throw new ProposalError(`the model's answers could not be used (${reasons.join('; ')}), and a further try does not fit in num_ctx: ${error.message}`);
				}
				throw error;
			}
			const result = await this.stream(messages, req.signal, req.n, (text, channel) => req.emit({type: 'token', text, channel}), m => req.emit(m));
			if (result.promptEvalCount !== undefined && result.promptEvalCount > this.settings.numCtx - this.settings.numPredict) {
				// Ollama counts only the tokens it evaluated (cached ones not): more than the room left means the estimate fell short.
				req.emit({
					type: 'message',
					level: 'warn',
					text: `the prompt took ${result.promptEvalCount} tokens, more than num_ctx ${this.settings.numCtx} leaves after num_predict ${this.settings.numPredict}; Ollama may have cut its start: raise numCtx`,
				});
			}
			const outcome = await this.evaluate(result, req);
			if ('proposal' in outcome) return {...outcome.proposal, proposer: this.name, model: this.currentModel};
			reasons.push(outcome.reason);
			if (attempt < attempts) {
				req.emit({type: 'retry', attempt: attempt + 1, reason: outcome.reason});
				followUps.push({answer: result.content, feedback: outcome.feedback});
			}
		}
		const listed = reasons.map((r, i) => `${i + 1}) ${r}`).join('; ');
		throw new ProposalError(`the model's answer could not be used after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${listed}`);
	}

	/** Parses and dry-runs an answer: a proposal, or why not and what to tell the model. */
	private async evaluate(result: StreamResult, req: ProposalRequest): Promise<{proposal: Omit<Proposal, 'proposer'>} | Failure> {
		const {rules} = req;
		if (result.doneReason === 'length') {
			return {
				reason: `the answer was cut off at the length limit (num_predict ${this.settings.numPredict} tokens)`,
				feedback:
					`Your answer was cut off at the length limit (${this.settings.numPredict} tokens) before it was complete, so none of it was used. ` +
					'Answer again, much shorter: the DESCRIPTION line, one or two sentences of RATIONALE, and SEARCH/REPLACE blocks that hold only the few lines that change. Do not repeat the file.',
			};
		}
		const parsed = parseAnswer(result.content, rules.editable);
		const formatReminder =
			'Write the whole answer again in the same format: the DESCRIPTION line, the RATIONALE, then the SEARCH/REPLACE blocks, each after a line with the file path ' +
			`(${rules.editable.join(', ')}).`;
		if (parsed.errors.length > 0) {
			const reason = `malformed SEARCH/REPLACE block: ${parsed.errors.join('; ')}`;
			return {reason, feedback: `Your answer could not be used: ${reason}. Each block needs the <<<<<<< SEARCH, ======= and >>>>>>> REPLACE lines, in that order. ${formatReminder}`};
		}
		if (parsed.edits.length === 0) {
			const reason = result.content.trim() === '' ? 'the answer was empty' : 'the answer has no SEARCH/REPLACE block';
			return {reason, feedback: `Your answer could not be used: ${reason}. ${formatReminder}`};
		}
		const checked = await req.check(parsed.edits);
		if (checked.ok) {
			return {
				proposal: {
					description: parsed.description ?? describeEdits(parsed.edits),
					...(parsed.rationale ? {rationale: parsed.rationale} : {}),
					edits: parsed.edits,
				},
			};
		}
		return {reason: checked.reason, feedback: this.checkFeedback(checked, parsed.edits, req, formatReminder)};
	}

	private checkFeedback(checked: {reason: string; index?: number; closest?: string}, edits: Edit[], req: ProposalRequest, formatReminder: string): string {
		const parts = [`Your edit could not be applied: ${checked.reason}.`];
		const edit = checked.index === undefined ? undefined : edits[checked.index];
		if (checked.closest !== undefined) {
			const file = edit?.path ?? req.rules.editable[0] ?? 'the file';
			const fence = '`'.repeat(Math.max(3, ...[...checked.closest.matchAll(/`+/g)].map(m => m[0].length + 1)));
			parts.push(
				`The lines of ${file} closest to your SEARCH${checked.index === undefined ? '' : ` (edit ${checked.index + 1})`} are:\n${fence}\n${checked.closest}\n${fence}`,
				'Copy SEARCH lines exactly from the file as it was given above, with the same indentation and characters.',
			);
		}
		parts.push(formatReminder);
		return parts.join('\n');
	}

	async chat(req: ChatRequest): Promise<string> {
		let built;
		try {
			built = buildChatMessages(
				{message: req.message, goal: req.goal, results: req.results, notes: req.notes, ...(this.lastRules ? {rules: this.lastRules} : {})},
				this.limits,
			);
		} catch (error) {
			if (error instanceof PromptTooLargeError) throw new Error(`${error.message}: raise numCtx`);
			throw error;
		}
		const result = await this.stream(built.messages, req.signal, 0, (text, channel) => {
			if (channel === 'text') req.onToken(text);
		});
		return stripThinking(result.content).trim();
	}

	private client(signals: AbortSignal[]): Ollama {
		return new Ollama({host: this.host, fetch: guardedFetch(this.fetchImpl, this.origin, signals)});
	}

	/** Whether to send `think`, and what: false for a thinking model unless thinking was asked for; omitted otherwise. */
	private async thinkField(model: string, signal: AbortSignal): Promise<boolean | undefined> {
		let supported = this.thinks.get(model);
		if (supported === undefined) {
			try {
				const show = await this.client([signal, AbortSignal.timeout(30_000)]).show({model});
				supported = Array.isArray(show.capabilities) && show.capabilities.includes('thinking');
			} catch (error) {
				if (signal.aborted) throw this.aborted(signal);
				const failure = classifyOllamaError(error, 'request', this.host, model);
				if (failure.kind === 'down' || failure.kind === 'missing-model') throw failure;
				supported = false; // An older server without capabilities: leave think out.
			}
			this.thinks.set(model, supported);
		}
		return supported ? this.settings.think : undefined;
	}

	private aborted(signal: AbortSignal): ProposalError {
		const reason = signal.reason instanceof Error ? `: ${signal.reason.message}` : '';
		return new ProposalError(`stopped${reason}`);
	}

	/** One streamed answer, retrying a broken stream `streamRetries` times. */
	private async stream(
		messages: ChatMessage[],
		signal: AbortSignal,
		seedOffset: number,
		onToken: (text: string, channel: 'text' | 'thinking') => void,
		onMessage?: (m: {type: 'message'; level: 'warn'; text: string}) => void,
	): Promise<StreamResult> {
		for (let retry = 0; ; retry++) {
			try {
				return await this.streamOnce(messages, signal, seedOffset, onToken);
			} catch (error) {
				if (signal.aborted) throw this.aborted(signal);
				if (error instanceof OllamaUnavailableError && error.kind === 'stream' && retry < this.settings.streamRetries) {
					onMessage?.({type: 'message', level: 'warn', text: `${error.message}; asking again`});
					continue;
				}
				throw error;
			}
		}
	}

	private async streamOnce(
		messages: ChatMessage[],
		signal: AbortSignal,
		seedOffset: number,
		onToken: (text: string, channel: 'text' | 'thinking') => void,
	): Promise<StreamResult> {
		if (signal.aborted) throw this.aborted(signal);
		const model = this.currentModel;
		let think = await this.thinkField(model, signal);
		const stall = new AbortController();
		const stallMs = this.settings.stallSeconds * 1000;
		let timer: NodeJS.Timeout | undefined;
		const arm = () => {
			clearTimeout(timer);
			timer = setTimeout(() => stall.abort(new Error(`no answer from the model for ${this.settings.stallSeconds} s`)), stallMs);
		};
		const client = this.client([signal, stall.signal]);
		const request = () => ({
			model,
			messages,
			stream: true as const,
			options: this.requestOptions(seedOffset),
			keep_alive: this.keepAlive(),
			...(think === undefined ? {} : {think}),
		});
		arm();
		try {
			let iterator: AbortableAsyncIterator<ChatResponse>;
			try {
				iterator = await client.chat(request());
			} catch (error) {
				if (signal.aborted) throw this.aborted(signal);
				if (think !== undefined && statusOf(error) === 400 && /think/i.test(messageOf(error))) {
					// The server will not take `think` for this model: ask without it from now on.
					this.thinks.set(model, false);
					think = undefined;
					try {
						iterator = await client.chat(request());
					} catch (again) {
						if (signal.aborted) throw this.aborted(signal);
						throw this.requestFailure(again, stall.signal, model);
					}
				} else {
					throw this.requestFailure(error, stall.signal, model);
				}
			}
			const stop = () => iterator.abort();
			signal.addEventListener('abort', stop, {once: true});
			stall.signal.addEventListener('abort', stop, {once: true});
			const result: StreamResult = {content: '', thinking: '', doneReason: ''};
			try {
				for await (const chunk of iterator) {
					arm();
					const thinking = chunk.message?.thinking;
					if (thinking) {
						result.thinking += thinking;
						onToken(thinking, 'thinking');
					}
					const content = chunk.message?.content;
					if (content) {
						result.content += content;
						onToken(content, 'text');
					}
					if (chunk.done) {
						result.doneReason = chunk.done_reason ?? 'stop';
						if (typeof chunk.prompt_eval_count === 'number') result.promptEvalCount = chunk.prompt_eval_count;
						if (typeof chunk.eval_count === 'number') result.evalCount = chunk.eval_count;
					}
				}
			} catch (error) {
				if (signal.aborted) throw this.aborted(signal);
				if (stall.signal.aborted) {
					throw new OllamaUnavailableError('stream', `${messageOf(stall.signal.reason)} (${model} at ${this.host})`, serverLogHint);
				}
				throw classifyOllamaError(error, 'stream', this.host, model);
			} finally {
				signal.removeEventListener('abort', stop);
				stall.signal.removeEventListener('abort', stop);
			}
			if (signal.aborted) throw this.aborted(signal);
			if (!result.doneReason) {
				throw new OllamaUnavailableError('stream', `the stream ended before the answer was done (${model} at ${this.host})`, serverLogHint);
			}
			return result;
		} finally {
			clearTimeout(timer);
		}
	}

	private requestFailure(error: unknown, stall: AbortSignal, model: string): OllamaUnavailableError {
		if (stall.aborted) {
			return new OllamaUnavailableError('stream', `${messageOf(stall.reason)} (${model} at ${this.host})`, serverLogHint);
		}
		return classifyOllamaError(error, 'request', this.host, model);
	}
}
