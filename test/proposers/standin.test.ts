import {Ollama} from 'ollama';
import {afterEach, describe, expect, it} from 'vitest';
import {closedPort, startStandin, type OllamaStandin} from '../support/ollama-standin.js';

// The stand-in speaks Ollama's protocol well enough for the real client: if
// these pass, the proposer's tests exercise the client as it runs for real.

let standin: OllamaStandin | undefined;
afterEach(async () => {
	await standin?.close();
	standin = undefined;
});

const collect = async (iterator: AsyncIterable<{message: {content: string; thinking?: string}; done: boolean}>) => {
	const chunks = [];
	for await (const chunk of iterator) chunks.push(chunk);
	return chunks;
};

describe('the Ollama stand-in, through the ollama client', () => {
	it('streams NDJSON chunks and a final done chunk with its counts', async () => {
		standin = await startStandin({models: ['qwen2.5-coder:14b']});
		standin.reply('Hello there, friend.');
		const client = new Ollama({host: standin.url});
		const stream = await client.chat({
			model: 'qwen2.5-coder:14b',
			messages: [{role: 'user', content: 'hi'}],
			stream: true,
			keep_alive: '70m',
			options: {num_ctx: 8192, num_predict: 100, seed: 3, temperature: 0.5},
		});
		const chunks = await collect(stream);
		expect(chunks.map(c => c.message.content).join('')).toBe('Hello there, friend.');
		expect(chunks.length).toBeGreaterThan(2);
		const last = chunks.at(-1)! as unknown as Record<string, unknown>;
		expect(last).toMatchObject({done: true, done_reason: 'stop', model: 'qwen2.5-coder:14b', message: {role: 'assistant', content: ''}});
		for (const key of ['total_duration', 'load_duration', 'prompt_eval_count', 'prompt_eval_duration', 'eval_count', 'eval_duration']) {
			expect(typeof last[key]).toBe('number');
		}
		expect(chunks.slice(0, -1).every(c => c.done === false)).toBe(true);
		expect(standin.chats[0]).toMatchObject({keep_alive: '70m', options: {num_ctx: 8192, num_predict: 100, seed: 3}, stream: true});
	});

	it('answers stream:false with one object, and lists, shows and versions', async () => {
		standin = await startStandin({models: [{name: 'qwen3', capabilities: ['completion', 'thinking']}], version: '0.11.0'});
		standin.reply({content: 'ok', thinking: 'let me think'});
		const client = new Ollama({host: standin.url});
		const answer = await client.chat({model: 'qwen3:latest', messages: [{role: 'user', content: 'x'}], stream: false});
		expect(answer).toMatchObject({done: true, done_reason: 'stop', message: {content: 'ok', thinking: 'let me think'}});
		expect(await client.version()).toEqual({version: '0.11.0'});
		expect((await client.list()).models.map(m => m.name)).toEqual(['qwen3:latest']);
		expect((await client.show({model: 'qwen3'})).capabilities).toEqual(['completion', 'thinking']);
	});

	it('streams thinking first, and none when think is false', async () => {
		standin = await startStandin({models: [{name: 'qwen3:8b', capabilities: ['completion', 'thinking']}]});
		standin.reply({content: 'answer', thinking: 'hmm hmm'}, {content: 'answer', thinking: 'hmm hmm'});
		const client = new Ollama({host: standin.url});
		const thinking = await collect(await client.chat({model: 'qwen3:8b', messages: [{role: 'user', content: 'x'}], stream: true}));
		expect(thinking.map(c => c.message.thinking ?? '').join('')).toBe('hmm hmm');
		const plain = await collect(
			await client.chat({model: 'qwen3:8b', messages: [{role: 'user', content: 'x'}], stream: true, think: false}),
		);
		expect(plain.some(c => c.message.thinking)).toBe(false);
		expect(plain.map(c => c.message.content).join('')).toBe('answer');
	});

	it('refuses think for a model that cannot think, as Ollama does', async () => {
		standin = await startStandin({models: ['qwen2.5-coder:7b']});
		const client = new Ollama({host: standin.url});
		await expect(
			client.chat({model: 'qwen2.5-coder:7b', messages: [{role: 'user', content: 'x'}], stream: true, think: true}),
		).rejects.toMatchObject({
			status_code: 400,
			message: '"qwen2.5-coder:7b" does not support thinking',
		});
	});

	it('cuts at num_predict with done_reason length', async () => {
		standin = await startStandin();
		standin.reply('one two three four five six');
		const client = new Ollama({host: standin.url});
		const chunks = await collect(
			await client.chat({model: 'qwen2.5-coder:14b', messages: [{role: 'user', content: 'x'}], stream: true, options: {num_predict: 3}}),
		);
		expect(chunks.map(c => c.message.content).join('')).toBe('one two three');
		expect(chunks.at(-1)).toMatchObject({done: true, done_reason: 'length', eval_count: 3});
	});

	it('answers 404 for a model it does not have', async () => {
		standin = await startStandin({models: ['llama3']});
		const client = new Ollama({host: standin.url});
		await expect(client.chat({model: 'nope:1b', messages: [{role: 'user', content: 'x'}], stream: true})).rejects.toMatchObject({
			status_code: 404,
			message: "model 'nope:1b' not found",
		});
		await expect(client.show({model: 'nope:1b'})).rejects.toMatchObject({status_code: 404});
	});

	it('sends an error line mid-stream, which the client throws', async () => {
		standin = await startStandin();
		standin.reply({content: 'a b c d', errorAfter: 2, errorMessage: 'llama runner process has terminated'});
		const client = new Ollama({host: standin.url});
		const stream = await client.chat({model: 'qwen2.5-coder:14b', messages: [{role: 'user', content: 'x'}], stream: true});
		const seen: string[] = [];
		await expect(
			(async () => {
				for await (const c of stream) seen.push(c.message.content);
			})(),
		).rejects.toThrow('llama runner process has terminated');
		expect(seen.join('')).toBe('a b');
	});

	it('cuts a stream without done, which the client reports', async () => {
		standin = await startStandin();
		standin.reply({content: 'a b c d', cutAfter: 2});
		const client = new Ollama({host: standin.url});
		const stream = await client.chat({model: 'qwen2.5-coder:14b', messages: [{role: 'user', content: 'x'}], stream: true});
		const seen: string[] = [];
		await expect(
			(async () => {
				for await (const c of stream) seen.push(c.message.content);
			})(),
		).rejects.toThrow(/terminated|did not receive done/i);
		expect(seen.join('')).toBe('a b');
	});

	it('sees the connection close when the client aborts mid-stream', async () => {
		standin = await startStandin();
		standin.reply({content: Array.from({length: 200}, (_, i) => `t${i}`).join(' '), delayMs: 20});
		const client = new Ollama({host: standin.url});
		const stream = await client.chat({model: 'qwen2.5-coder:14b', messages: [{role: 'user', content: 'x'}], stream: true});
		let count = 0;
		const started = Date.now();
		await expect(
			(async () => {
				for await (const _ of stream) {
					if (++count === 3) stream.abort();
				}
			})(),
		).rejects.toThrow(/abort/i);
		const request = standin.requests.find(r => r.path === '/api/chat')!;
		await request.finished;
		expect(request.closedEarly).toBe(true);
		expect(Date.now() - started).toBeLessThan(2000);
	});

	it('records every request, and a closed port refuses connections', async () => {
		standin = await startStandin();
		const client = new Ollama({host: standin.url});
		await client.version();
		await client.list();
		expect(standin.paths()).toEqual(['GET /api/version', 'GET /api/tags']);
		const port = await closedPort();
		await expect(new Ollama({host: `http://127.0.0.1:${port}`}).version()).rejects.toMatchObject({cause: {code: 'ECONNREFUSED'}});
	});

	it('fails a chat with no scripted reply loudly', async () => {
		standin = await startStandin();
		const client = new Ollama({host: standin.url});
		await expect(client.chat({model: 'qwen2.5-coder:14b', messages: [{role: 'user', content: 'x'}], stream: false})).rejects.toMatchObject({
			status_code: 500,
		});
	});
});
