import {Ollama, type AbortableAsyncIterator, type ChatResponse, type Message, type Options} from 'ollama';
import {checkHostAllowed, RemoteHostError} from './host.js';
import {
	classifyOllamaError,
	fixFor,
	messageOf,
	networkCode,
	OllamaUnavailableError,
	serverLogHint,
	statusOf,
	stoppedError,
} from './ollama-errors.js';

// The transport to Ollama, knowing nothing of proposals: one streamed chat
// request in, its text out; a health check; the `think` capability. What it
// guards: only the configured host is ever contacted (the fetch given to the
// official client refuses any other origin), a stream that goes silent is
// given up (a stall timer, reset by every chunk), and a stream that breaks is
// asked again a few times before the failure goes up as unavailable. The
// caller's signal ends everything at once, and the server sees the
// connection close.

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
	{ok: true; version: string; model: string} | {ok: false; kind: 'down' | 'missing-model' | 'other'; message: string; fix: string};

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
		const fix =
			error instanceof RemoteHostError
				? 'pass --allow-remote (or set allowRemote: true) to use a host off this machine'
				: 'give a host like 127.0.0.1:11434';
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
			return {
				ok: false,
				kind: 'other',
				message: `${normal} answered ${status} to /api/version: is it Ollama? (${messageOf(error)})`,
				fix: serverLogHint,
			};
		}
		const code = networkCode(error);
		const why =
			code === 'ECONNREFUSED'
				? 'connection refused'
				: (error as Error)?.name === 'TimeoutError'
					? 'no answer in time'
					: (code ?? messageOf(error));
		return {ok: false, kind: 'down', message: `Ollama is not answering at ${normal} (${why})`, fix: fixFor('down', model, normal)};
	}
	try {
		const {models} = await client.list();
		const wanted = fullModelName(model);
		const names = (models ?? [])
			.flatMap(m => [m.name, m.model])
			.filter((n): n is string => typeof n === 'string')
			.map(fullModelName);
		if (!names.includes(wanted)) {
			const installed = [...new Set((models ?? []).map(m => m.name))];
			const list = installed.length
				? `installed: ${installed.slice(0, 8).join(', ')}${installed.length > 8 ? ', ...' : ''}`
				: 'no models are installed';
			return {
				ok: false,
				kind: 'missing-model',
				message: `the model ${model} is not installed in Ollama at ${normal} (${list})`,
				fix: fixFor('missing-model', model, normal),
			};
		}
	} catch (error) {
		return {ok: false, kind: 'other', message: `Ollama at ${normal} did not list its models: ${messageOf(error)}`, fix: serverLogHint};
	}
	return {ok: true, version, model};
}

/** Keep the model loaded across a whole run and then some: max(60 min, 2 x budget + 10 min). */
export function keepAliveFor(budgetSeconds: number | undefined): string {
	const seconds = Math.max(3600, 2 * (budgetSeconds ?? 0) + 600);
	return `${Math.ceil(seconds / 60)}m`;
}

export type ChatResult = {
	content: string;
	thinking: string;
	/** `stop`, `length` (cut at num_predict), ... */
	doneReason: string;
	/** The prompt tokens Ollama evaluated (cached ones not counted). */
	promptEvalCount?: number;
	evalCount?: number;
};

export type ChatCall = {
	model: string;
	messages: Message[];
	/** Sent as they are: num_ctx, num_predict, temperature, seed. */
	options: Partial<Options>;
	keepAlive: string | number;
	/** Let a thinking model think. False sends `think: false` where the model supports thinking; the field is left out where it does not. */
	think: boolean;
	signal: AbortSignal;
	onToken: (text: string, channel: 'text' | 'thinking') => void;
	/** Told when a broken stream is asked again. */
	onStreamRetry?: (message: string) => void;
};

export type OllamaClientOptions = {
	/** Normalised and allowed already (see host.ts), e.g. `http://127.0.0.1:11434`. */
	host: string;
	allowRemote: boolean;
	/** Immediate retries of a stream that broke (an error line, or cut without done). */
	streamRetries: number;
	/** A stream that sends nothing for this long is given up as broken. */
	stallSeconds: number;
	/** For tests; the global fetch otherwise. */
	fetch?: typeof fetch;
};

/** What /api/show tells of a model, asked once per model. */
export type ModelFacts = {
	/** Lists the `thinking` capability: `think` may be sent. */
	thinking: boolean;
	/** model_info's `<architecture>.context_length`: the window the model was trained for. */
	contextLength?: number;
};

/** The `*.context_length` entry of /api/show's model_info (a plain object on the wire, typed a Map by the client). */
function contextLengthOf(info: unknown): number | undefined {
	if (!info || typeof info !== 'object') return undefined;
	const entries: Array<[string, unknown]> = info instanceof Map ? [...(info as Map<string, unknown>).entries()] : Object.entries(info);
	const found = entries.find(([key, value]) => key.endsWith('.context_length') && typeof value === 'number' && value > 0);
	return found ? (found[1] as number) : undefined;
}

export class OllamaClient {
	readonly host: string;
	private readonly origin: string;
	private readonly fetchImpl: typeof fetch;
	private readonly facts = new Map<string, ModelFacts>();
	/** Models whose server refused the `think` field: it is left out from then on. */
	private readonly refusesThink = new Set<string>();

	constructor(private readonly options: OllamaClientOptions) {
		this.host = options.host;
		this.origin = new URL(options.host).origin;
		this.fetchImpl = options.fetch ?? fetch;
	}

	/** Is the server up and `model` installed? */
	health(model: string, signal?: AbortSignal): Promise<OllamaHealth> {
		return checkOllama(this.host, model, {
			allowRemote: this.options.allowRemote,
			fetch: this.fetchImpl,
			...(signal ? {signal} : {}),
		});
	}

	/** One streamed answer, asking again when the stream breaks, `streamRetries` times. */
	async chat(call: ChatCall): Promise<ChatResult> {
		for (let retry = 0; ; retry++) {
			try {
				return await this.streamOnce(call);
			} catch (error) {
				if (call.signal.aborted) throw stoppedError(call.signal);
				if (error instanceof OllamaUnavailableError && error.kind === 'stream' && retry < this.options.streamRetries) {
					call.onStreamRetry?.(`${error.message}; asking again`);
					continue;
				}
				throw error;
			}
		}
	}

	private client(signals: AbortSignal[]): Ollama {
		return new Ollama({host: this.host, fetch: guardedFetch(this.fetchImpl, this.origin, signals)});
	}

	/** The model's capabilities and context length, from /api/show once per model; an older server without them gets the defaults. */
	async modelFacts(model: string, signal: AbortSignal): Promise<ModelFacts> {
		const known = this.facts.get(model);
		if (known) return known;
		let facts: ModelFacts;
		try {
			const show = await this.client([signal, AbortSignal.timeout(30_000)]).show({model});
			const contextLength = contextLengthOf(show.model_info);
			facts = {
				thinking: Array.isArray(show.capabilities) && show.capabilities.includes('thinking'),
				...(contextLength ? {contextLength} : {}),
			};
		} catch (error) {
			if (signal.aborted) throw stoppedError(signal);
			const failure = classifyOllamaError(error, 'request', this.host, model);
			if (failure.kind === 'down' || failure.kind === 'missing-model') throw failure;
			facts = {thinking: false};
		}
		this.facts.set(model, facts);
		return facts;
	}

	/** Whether to send `think`, and what: `wanted` for a thinking model; omitted otherwise. */
	private async thinkField(model: string, wanted: boolean, signal: AbortSignal): Promise<boolean | undefined> {
		const {thinking} = await this.modelFacts(model, signal);
		return thinking && !this.refusesThink.has(model) ? wanted : undefined;
	}

	private async streamOnce(call: ChatCall): Promise<ChatResult> {
		const {model, signal, onToken} = call;
		if (signal.aborted) throw stoppedError(signal);
		let think = await this.thinkField(model, call.think, signal);
		const stall = new AbortController();
		const {stallSeconds} = this.options;
		let timer: NodeJS.Timeout | undefined;
		const arm = () => {
			clearTimeout(timer);
			timer = setTimeout(() => stall.abort(new Error(`no answer from the model for ${stallSeconds} s`)), stallSeconds * 1000);
		};
		const client = this.client([signal, stall.signal]);
		const request = () => ({
			model,
			messages: call.messages,
			stream: true as const,
			options: call.options,
			keep_alive: call.keepAlive,
			...(think === undefined ? {} : {think}),
		});
		arm();
		try {
			let iterator: AbortableAsyncIterator<ChatResponse>;
			try {
				iterator = await client.chat(request());
			} catch (error) {
				if (signal.aborted) throw stoppedError(signal);
				if (think !== undefined && statusOf(error) === 400 && /think/i.test(messageOf(error))) {
					// The server will not take `think` for this model: ask without it from now on.
					this.refusesThink.add(model);
					think = undefined;
					try {
						iterator = await client.chat(request());
					} catch (again) {
						if (signal.aborted) throw stoppedError(signal);
						throw this.requestFailure(again, stall.signal, model);
					}
				} else {
					throw this.requestFailure(error, stall.signal, model);
				}
			}
			const stop = () => iterator.abort();
			signal.addEventListener('abort', stop, {once: true});
			stall.signal.addEventListener('abort', stop, {once: true});
			const result: ChatResult = {content: '', thinking: '', doneReason: ''};
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
				if (signal.aborted) throw stoppedError(signal);
				if (stall.signal.aborted) throw this.stalled(stall.signal, model);
				throw classifyOllamaError(error, 'stream', this.host, model);
			} finally {
				signal.removeEventListener('abort', stop);
				stall.signal.removeEventListener('abort', stop);
			}
			if (signal.aborted) throw stoppedError(signal);
			if (!result.doneReason) {
				throw new OllamaUnavailableError('stream', `the stream ended before the answer was done (${model} at ${this.host})`, serverLogHint);
			}
			return result;
		} finally {
			clearTimeout(timer);
		}
	}

	private stalled(stall: AbortSignal, model: string): OllamaUnavailableError {
		return new OllamaUnavailableError('stream', `${messageOf(stall.reason)} (${model} at ${this.host})`, serverLogHint);
	}

	private requestFailure(error: unknown, stall: AbortSignal, model: string): OllamaUnavailableError {
		return stall.aborted ? this.stalled(stall, model) : classifyOllamaError(error, 'request', this.host, model);
	}
}
