import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http';
import type {AddressInfo, Socket} from 'node:net';

// A stand-in for an Ollama server, faithful to its wire protocol where
// nightshift touches it (checked against ollama/ollama's server/routes.go and
// docs/api.md): POST /api/chat streams NDJSON chunks
// `{model, created_at, message: {role, content, thinking?}, done: false}` and
// ends with a `done: true` chunk carrying done_reason and the counts and
// durations (nanoseconds); `stream: false` answers one JSON object; errors
// are `{"error": "..."}` with a status before the stream starts, and an
// `{"error": ...}` line once it has. GET /api/tags, POST /api/show (with
// capabilities), GET /api/version. Replies are scripted per test; every
// request is recorded.

export type ModelSpec = {
	name: string;
	/** /api/show capabilities; default ['completion']. */
	capabilities?: string[];
	/** Answer 400 to any chat that sets `think` at all (a server that rejects the field). */
	rejectThink?: boolean;
	/** model_info's `<arch>.context_length` in /api/show; default 32768. */
	contextLength?: number;
};

export type Reply = {
	/** The answer's content; split into word-sized tokens unless `tokens` is given. */
	content?: string;
	tokens?: string[];
	/** Thinking streamed before the content when the model thinks (capability `thinking` and `think` not false). */
	thinking?: string;
	/** 'stop' by default; 'length' is also what happens when num_predict runs out. */
	doneReason?: 'stop' | 'length';
	/** Milliseconds between chunks. */
	delayMs?: number;
	/** Milliseconds before the first chunk (a model loading). */
	firstDelayMs?: number;
	/** After this many content tokens, send an `{"error"}` line (or, at 0, an HTTP error) and end. */
	errorAfter?: number;
	errorMessage?: string;
	/** After this many content tokens, destroy the socket: a stream cut without `done`. */
	cutAfter?: number;
	/** Answer with this HTTP status and `{"error": error}` instead of a stream. */
	status?: number;
	error?: string;
	/** prompt_eval_count to report; default the prompt's characters / 4. */
	promptEvalCount?: number;
	/** Send headers and then nothing, ever (until the client goes away). */
	hang?: boolean;
};

export type ChatBody = {
	model: string;
	messages: Array<{role: string; content: string; thinking?: string}>;
	stream?: boolean;
	think?: boolean | string;
	keep_alive?: string | number;
	options?: Record<string, unknown>;
	[key: string]: unknown;
};

export type Scripted = string | Reply | ((body: ChatBody, index: number) => string | Reply);

export type RecordedRequest = {
	method: string;
	path: string;
	body: unknown;
	/** Set when the client closed the connection before the response ended. */
	closedEarly: boolean;
	/** Resolves when the response ended or the connection closed, whichever first. */
	finished: Promise<void>;
};

export type StandinOptions = {
	models?: Array<string | ModelSpec>;
	version?: string;
	/** Listen on this port (to bring a stopped stand-in back where it was); 0 for any. */
	port?: number;
	/** The reply when the queue is empty; without one such a chat gets a 500. */
	fallback?: Scripted;
};

/** Ollama's implicit tag: `llama3` is `llama3:latest`. */
export function fullModelName(name: string): string {
	return name.includes(':') ? name : `${name}:latest`;
}

const sleep = (ms: number) => new Promise<void>(resolve => setTimeout(resolve, ms));

function tokenize(text: string): string[] {
	return text.match(/\s*\S+|\s+/g) ?? [];
}

export class OllamaStandin {
	readonly requests: RecordedRequest[] = [];
	private readonly queue: Scripted[] = [];
	private readonly models = new Map<string, ModelSpec>();
	private readonly sockets = new Set<Socket>();
	private chatCount = 0;
	private closed = false;
	fallback: Scripted | undefined;
	version: string;

	private constructor(
		private readonly server: Server,
		options: StandinOptions,
	) {
		this.version = options.version ?? '0.12.6';
		this.fallback = options.fallback;
		this.setModels(options.models ?? ['qwen2.5-coder:14b']);
	}

	static async start(options: StandinOptions = {}): Promise<OllamaStandin> {
		const server = createServer();
		const standin = new OllamaStandin(server, options);
		server.on('connection', socket => {
			standin.sockets.add(socket);
			socket.on('close', () => standin.sockets.delete(socket));
		});
		server.on('request', (req, res) => void standin.handle(req, res));
		await new Promise<void>((resolve, reject) => {
			server.once('error', reject);
			server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
		});
		return standin;
	}

	get port(): number {
		return (this.server.address() as AddressInfo).port;
	}

	/** `http://127.0.0.1:<port>`, as a host setting. */
	get url(): string {
		return `http://127.0.0.1:${this.port}`;
	}

	setModels(models: Array<string | ModelSpec>): void {
		this.models.clear();
		for (const m of models) {
			const spec = typeof m === 'string' ? {name: m} : m;
			this.models.set(fullModelName(spec.name), {...spec, name: fullModelName(spec.name)});
		}
	}

	/** Queues chat replies, played in order. */
	reply(...replies: Scripted[]): this {
		this.queue.push(...replies);
		return this;
	}

	get pending(): number {
		return this.queue.length;
	}

	/** The bodies of every /api/chat request so far. */
	get chats(): ChatBody[] {
		return this.requests.filter(r => r.path === '/api/chat').map(r => r.body as ChatBody);
	}

	paths(): string[] {
		return this.requests.map(r => `${r.method} ${r.path}`);
	}

	/** Stops listening and closes every connection, streams included. */
	async close(): Promise<void> {
		if (this.closed) return;
		this.closed = true;
		const done = new Promise<void>(resolve => this.server.close(() => resolve()));
		this.server.closeAllConnections();
		for (const socket of this.sockets) socket.destroy();
		await done;
	}

	private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
		const chunks: Buffer[] = [];
		for await (const chunk of req) chunks.push(chunk as Buffer);
		const raw = Buffer.concat(chunks).toString('utf8');
		let body: unknown = undefined;
		let badJson = false;
		if (raw !== '') {
			try {
				body = JSON.parse(raw);
			} catch {
				badJson = true;
			}
		}
		const url = new URL(req.url ?? '/', 'http://x');
		let finish!: () => void;
		const record: RecordedRequest = {
			method: req.method ?? 'GET',
			path: url.pathname,
			body,
			closedEarly: false,
			finished: new Promise<void>(resolve => (finish = resolve)),
		};
		this.requests.push(record);
		res.on('close', () => {
			if (!res.writableFinished) record.closedEarly = true;
			finish();
		});
		if (badJson) return json(res, 400, {error: 'invalid character in request body'});
		const route = `${record.method} ${record.path}`;
		switch (route) {
			case 'GET /api/version':
				return json(res, 200, {version: this.version});
			case 'GET /api/tags':
				return json(res, 200, {models: [...this.models.values()].map(m => this.tag(m))});
			case 'POST /api/show':
				return this.show(res, body as {model?: string; name?: string} | undefined);
			case 'POST /api/chat':
				return this.chat(res, body as ChatBody | undefined);
			case 'HEAD /':
			case 'GET /':
				res.writeHead(200, {'Content-Type': 'text/plain; charset=utf-8'});
				return void res.end('Ollama is running');
			default:
				res.writeHead(404, {'Content-Type': 'text/plain'});
				return void res.end('404 page not found');
		}
	}

	private tag(m: ModelSpec) {
		const family = m.name.split(/[:.-]/)[0] ?? 'llama';
		return {
			name: m.name,
			model: m.name,
			modified_at: '2025-06-01T12:00:00.000000000Z',
			size: 8_988_124_069,
			digest: 'a'.repeat(64),
			details: {parent_model: '', format: 'gguf', family, families: [family], parameter_size: '14.8B', quantization_level: 'Q4_K_M'},
		};
	}

	private show(res: ServerResponse, body: {model?: string; name?: string} | undefined): void {
		const name = body?.model || body?.name;
		if (!name) return json(res, 400, {error: 'model is required'});
		const m = this.models.get(fullModelName(name));
		if (!m) return json(res, 404, {error: `model '${name}' not found`});
		return json(res, 200, {
			license: '',
			modelfile: `# Modelfile generated by "ollama show"\nFROM ${m.name}\n`,
			parameters: 'stop "<|im_end|>"',
			template: '{{ .Prompt }}',
			details: this.tag(m).details,
			model_info: {'general.architecture': 'qwen2', 'qwen2.context_length': m.contextLength ?? 32768},
			capabilities: m.capabilities ?? ['completion'],
			modified_at: '2025-06-01T12:00:00.000000000Z',
		});
	}

	private async chat(res: ServerResponse, body: ChatBody | undefined): Promise<void> {
		if (!body?.model) return json(res, 400, {error: 'model is required'});
		const m = this.models.get(fullModelName(body.model));
		if (!m) return json(res, 404, {error: `model '${body.model}' not found`});
		const thinks = (m.capabilities ?? []).includes('thinking');
		if (m.rejectThink && body.think !== undefined) {
			return json(res, 400, {error: `think value ${JSON.stringify(body.think)} is not supported for this model`});
		}
		if (!thinks && (body.think === true || (typeof body.think === 'string' && body.think !== ''))) {
			return json(res, 400, {error: `"${body.model}" does not support thinking`});
		}
		const index = this.chatCount++;
		let scripted = this.queue.shift() ?? this.fallback;
		if (scripted === undefined) return json(res, 500, {error: 'stand-in: no scripted reply left'});
		if (typeof scripted === 'function') scripted = scripted(body, index);
		const reply: Reply = typeof scripted === 'string' ? {content: scripted} : scripted;
		if (reply.status !== undefined) return json(res, reply.status, {error: reply.error ?? 'error'});

		const started = process.hrtime.bigint();
		const think = thinks && body.think !== false;
		const thinkingTokens = think && reply.thinking ? tokenize(reply.thinking) : [];
		let tokens = reply.tokens ?? tokenize(reply.content ?? '');
		let doneReason = reply.doneReason ?? 'stop';
		const limit = Number(body.options?.num_predict ?? -1);
		if (limit > 0 && thinkingTokens.length + tokens.length > limit) {
			tokens = tokens.slice(0, Math.max(0, limit - thinkingTokens.length));
			doneReason = 'length';
		}
		const promptChars =
			reply.promptEvalCount !== undefined ? reply.promptEvalCount * 4 : body.messages.reduce((n, msg) => n + msg.content.length, 0);
		const chunk = (message: {content: string; thinking?: string}) => ({
			model: body.model,
			created_at: new Date().toISOString(),
			message: {role: 'assistant', ...message},
			done: false,
		});

		if (reply.firstDelayMs) await sleep(reply.firstDelayMs);
		if (res.destroyed) return;
		if (reply.errorAfter === 0) return json(res, 500, {error: reply.errorMessage ?? 'llama runner process has terminated'});

		if (body.stream === false) {
			if (reply.hang) return;
			const final = {
				...chunk({content: tokens.join(''), ...(thinkingTokens.length ? {thinking: thinkingTokens.join('')} : {})}),
				done: true,
				...this.stats(started, doneReason, promptChars, thinkingTokens.length + tokens.length),
			};
			return json(res, 200, final, 'application/json; charset=utf-8');
		}

		res.writeHead(200, {'Content-Type': 'application/x-ndjson', 'Transfer-Encoding': 'chunked'});
		if (reply.hang) {
			res.flushHeaders();
			return;
		}
		// Each chunk is on the wire before the next step (a cut then comes after what was sent, as with a real crash).
		const send = (value: unknown) =>
			new Promise<void>(resolve => {
				if (res.destroyed) return resolve();
				res.write(JSON.stringify(value) + '\n', () => resolve());
			});
		for (const t of thinkingTokens) {
			if (res.destroyed) return;
			await send(chunk({content: '', thinking: t}));
			if (reply.delayMs) await sleep(reply.delayMs);
		}
		for (const [i, t] of tokens.entries()) {
			if (res.destroyed) return;
			if (reply.errorAfter !== undefined && i === reply.errorAfter) {
				await send({error: reply.errorMessage ?? 'llama runner process has terminated: exit status 2'});
				return void res.end();
			}
			if (reply.cutAfter !== undefined && i === reply.cutAfter) {
				res.socket?.destroy();
				return;
			}
			await send(chunk({content: t}));
			if (reply.delayMs) await sleep(reply.delayMs);
		}
		if (res.destroyed) return;
		if (reply.errorAfter !== undefined && reply.errorAfter >= tokens.length) {
			await send({error: reply.errorMessage ?? 'llama runner process has terminated: exit status 2'});
			return void res.end();
		}
		if (reply.cutAfter !== undefined && reply.cutAfter >= tokens.length) {
			res.socket?.destroy();
			return;
		}
		await send({
			...chunk({content: ''}),
			done: true,
			...this.stats(started, doneReason, promptChars, thinkingTokens.length + tokens.length),
		});
		res.end();
	}

	private stats(started: bigint, doneReason: string, promptChars: number, evalCount: number) {
		const total = Number(process.hrtime.bigint() - started);
		return {
			done_reason: doneReason,
			total_duration: total,
			load_duration: Math.round(total * 0.1),
			prompt_eval_count: Math.ceil(promptChars / 4),
			prompt_eval_duration: Math.round(total * 0.3),
			eval_count: evalCount,
			eval_duration: Math.round(total * 0.6),
		};
	}
}

function json(res: ServerResponse, status: number, value: unknown, type = 'application/json; charset=utf-8'): void {
	if (res.destroyed) return;
	const text = JSON.stringify(value);
	res.writeHead(status, {'Content-Type': type, 'Content-Length': Buffer.byteLength(text)});
	res.end(text);
}

/** Starts a stand-in on 127.0.0.1 (an ephemeral port unless one is given). Close it with `.close()`. */
export function startStandin(options: StandinOptions = {}): Promise<OllamaStandin> {
	return OllamaStandin.start(options);
}

/** A port that was free a moment ago and has nothing listening on it now: connection refused. */
export async function closedPort(): Promise<number> {
	const server = createServer();
	await new Promise<void>(resolve => server.listen(0, '127.0.0.1', () => resolve()));
	const port = (server.address() as AddressInfo).port;
	await new Promise<void>(resolve => server.close(() => resolve()));
	return port;
}
