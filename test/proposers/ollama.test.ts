import {afterEach, describe, expect, it} from 'vitest';
import {OllamaProposer} from '../../source/proposers/ollama.js';
import {checkOllama, keepAliveFor} from '../../source/proposers/ollama-client.js';
import {classifyOllamaError, OllamaUnavailableError} from '../../source/proposers/ollama-errors.js';
import {ProposalError} from '../../source/core/proposer.js';
import {RemoteHostError} from '../../source/proposers/host.js';
import {closedPort, startStandin, type ChatBody, type OllamaStandin} from '../support/ollama-standin.js';
import {badSearchAnswer, fixedAnswer, goodAnswer, makeRequest, record, texts, train} from './support.js';

let standin: OllamaStandin | undefined;
afterEach(async () => {
	await standin?.close();
	standin = undefined;
});

const model = 'qwen2.5-coder:14b';

async function setup(models: Parameters<typeof startStandin>[0] = {}) {
	standin = await startStandin({models: [model], ...models});
	return standin;
}

const proposer = (host: string, over: Partial<ConstructorParameters<typeof OllamaProposer>[0]> = {}) =>
	new OllamaProposer({host, model, numCtx: 16384, numPredict: 2048, seed: 7, temperature: 0.3, ...over});

const lastUser = (body: ChatBody) => body.messages.filter(m => m.role === 'user').at(-1)!.content;

describe('OllamaProposer: proposals', () => {
	it('returns a good proposal, streaming its tokens, with the options and the notes in the request', async () => {
		const s = await setup();
		s.reply(goodAnswer);
		const req = makeRequest({notes: [{id: 1, text: 'try the learning rate first', at: ''}]});
		const proposal = await proposer(s.url).propose(req);
		expect(proposal).toEqual({
			description: 'LEARNING_RATE 3e-4 -> 6e-4',
			rationale: 'The loss is still falling fast at the end of the budget; a higher peak rate should get further in the same time.',
			edits: [
				{
					path: 'train/train.py',
					search: 'LEARNING_RATE = 3e-4  # peak learning rate',
					replace: 'LEARNING_RATE = 6e-4  # peak learning rate',
				},
			],
			proposer: 'ollama',
			model,
		});
		const tokens = req.events.filter(e => e.type === 'token');
		expect(tokens.length).toBeGreaterThan(10);
		expect(tokens.map(e => (e.type === 'token' ? e.text : '')).join('')).toBe(goodAnswer);
		const [chat] = s.chats;
		expect(chat).toMatchObject({
			model,
			stream: true,
			keep_alive: '60m',
			options: {num_ctx: 16384, num_predict: 2048, temperature: 0.3, seed: 7 + 5},
		});
		expect(chat!.think).toBeUndefined(); // This model cannot think: the field is left out.
		expect(chat!.messages[0]!.role).toBe('system');
		const user = lastUser(chat!);
		expect(user).toContain('The human says: try the learning rate first');
		expect(user).toContain(train.trim());
		expect(user).toContain('DEPTH 4 -> 64');
		expect(s.paths()).toEqual(['POST /api/show', 'POST /api/chat']);
	});

	it('sends think:false to a thinking model (asking /api/show once), and streams thinking when allowed', async () => {
		const s = await setup({models: [{name: 'qwen3:8b', capabilities: ['completion', 'thinking', 'tools']}]});
		s.reply({content: goodAnswer, thinking: 'I should not be seen'}, {content: goodAnswer, thinking: 'pondering the rate'});
		const quiet = proposer(s.url, {model: 'qwen3:8b'});
		const req = makeRequest();
		await quiet.propose(req);
		expect(s.chats[0]!.think).toBe(false);
		expect(req.events.some(e => e.type === 'token' && e.channel === 'thinking')).toBe(false);
		const thinking = proposer(s.url, {model: 'qwen3:8b', think: true});
		const req2 = makeRequest();
		await thinking.propose(req2);
		expect(s.chats[1]!.think).toBe(true);
		const thought = req2.events.filter(e => e.type === 'token' && e.channel === 'thinking').map(e => (e.type === 'token' ? e.text : ''));
		expect(thought.join('')).toBe('pondering the rate');
		// Capabilities are asked once per proposer and model.
		s.reply(goodAnswer);
		await quiet.propose(makeRequest());
		expect(s.paths().filter(p => p === 'POST /api/show')).toHaveLength(2);
	});

	it('asks again without think when the server refuses the field', async () => {
		const s = await setup({models: [{name: model, capabilities: ['completion', 'thinking'], rejectThink: true}]});
		s.reply(goodAnswer);
		const p = proposer(s.url);
		await p.propose(makeRequest());
		expect(s.chats.map(c => c.think)).toEqual([false, undefined]);
		s.reply(goodAnswer);
		await p.propose(makeRequest());
		expect(s.chats[2]!.think).toBeUndefined();
	});

	it('computes keep_alive from the budget (at least an hour), or sends the one configured', async () => {
		expect(keepAliveFor(300)).toBe('60m');
		expect(keepAliveFor(3600)).toBe('130m');
		const s = await setup();
		s.reply(goodAnswer, goodAnswer);
		await proposer(s.url).propose(makeRequest({rules: {...makeRequest().rules, budgetSeconds: 3600}}));
		expect(s.chats[0]!.keep_alive).toBe('130m');
		await proposer(s.url, {keepAlive: '-1'}).propose(makeRequest());
		expect(s.chats[1]!.keep_alive).toBe('-1');
	});

	it('sends a SEARCH that does not match back with the reason and the closest real lines, and uses the fix', async () => {
		const s = await setup();
		s.reply(badSearchAnswer, fixedAnswer);
		const req = makeRequest();
		const proposal = await proposer(s.url).propose(req);
		expect(proposal.description).toBe('WARMUP_RATIO 0.1 -> 0.05');
		expect(s.chats).toHaveLength(2);
		const retry = s.chats[1]!;
		expect(retry.messages.map(m => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
		expect(retry.messages[2]!.content).toBe(badSearchAnswer);
		const feedback = lastUser(retry);
		expect(feedback).toContain('Edit 1 (`WARMUP = 0.1`) did not apply: its SEARCH does not match train/train.py.');
		expect(feedback).toContain('WARMUP_RATIO = 0.1  # fraction of steps');
		expect(req.events.filter(e => e.type === 'retry')).toEqual([
			{type: 'retry', attempt: 2, reason: expect.stringContaining('does not match')},
		]);
		expect(retry.options).toMatchObject({num_ctx: 16384, num_predict: 2048});
	});

	it('gives up with a ProposalError after 3 attempts when the SEARCH never applies', async () => {
		const s = await setup();
		s.reply(badSearchAnswer, badSearchAnswer, badSearchAnswer, goodAnswer);
		const req = makeRequest();
		const error = await proposer(s.url)
			.propose(req)
			.catch(e => e);
		expect(error).toBeInstanceOf(ProposalError);
		expect(error).not.toBeInstanceOf(OllamaUnavailableError);
		expect(error.message).toMatch(/after 3 attempts/);
		expect(error.message).toMatch(/1\) .*does not match.*2\) .*3\) /);
		expect(s.chats).toHaveLength(3);
		expect(texts(req.events, 'retry')).toHaveLength(2);
		expect(s.pending).toBe(1);
	});

	it('retries an answer cut at num_predict, asking for a shorter one', async () => {
		const s = await setup();
		const long = `DESCRIPTION: everything\n${'I will explain at length. '.repeat(40)}\n${goodAnswer}`;
		s.reply(long, goodAnswer);
		const req = makeRequest();
		const proposal = await proposer(s.url, {numPredict: 120}).propose(req);
		expect(proposal.description).toBe('LEARNING_RATE 3e-4 -> 6e-4');
		expect(texts(req.events, 'retry')[0]).toMatch(/cut off at the length limit \(num_predict 120/);
		expect(lastUser(s.chats[1]!)).toMatch(/cut off at the length limit.*much shorter/s);
	});

	it('sends back an answer without blocks, and one that does not compile', async () => {
		const s = await setup();
		s.reply('DESCRIPTION: think harder\nI would change the learning rate.', goodAnswer, goodAnswer, goodAnswer);
		const req = makeRequest();
		await proposer(s.url).propose(req);
		expect(lastUser(s.chats[1]!)).toContain('Your answer has no edit that can be used: it holds only prose, no edit.');

		let calls = 0;
		const compiling = makeRequest();
		compiling.check = async () =>
			calls++ === 0
				? {ok: false, index: 0, reason: 'train/train.py does not compile: SyntaxError: invalid syntax (line 3)'}
				: {ok: true, files: {}};
		await proposer(s.url).propose(compiling);
		expect(lastUser(s.chats[3]!)).toContain('train/train.py does not compile: SyntaxError: invalid syntax (line 3) at line 3');
		expect(lastUser(s.chats[3]!)).toContain('3 | LEARNING_RATE = 6e-4  # peak learning rate');
	});

	it('refuses an edit outside the allowed files, naming the allowed ones', async () => {
		const s = await setup();
		const outside = goodAnswer.replace('train/train.py', 'train/prepare.py');
		s.reply(outside, goodAnswer);
		const req = makeRequest();
		await proposer(s.url).propose(req);
		expect(lastUser(s.chats[1]!)).toMatch(/prepare\.py is not an editable file; only train\/train\.py may be edited/);
	});

	it('trims a prompt larger than num_ctx (old results first) and says so', async () => {
		const s = await setup();
		s.reply(goodAnswer);
		const results = Array.from({length: 600}, (_, i) =>
			record(
				i + 1,
				i === 10 ? 0.8 : 1.2 + (i % 9) / 100,
				i === 10 ? 'keep' : 'discard',
				`attempt ${i + 1}: some change with a long description to fill the table`,
			),
		);
		const req = makeRequest({results});
		await proposer(s.url, {numCtx: 8192, numPredict: 1024}).propose(req);
		const user = lastUser(s.chats[0]!);
		expect(user.length / 3.5).toBeLessThan(8192 - 1024);
		expect(user).toContain('attempt 600:');
		expect(user).toContain('11 | 0.8 | keep');
		expect(user).not.toContain('attempt 2:');
		expect(user).toMatch(/older experiments not shown/);
		expect(texts(req.events, 'message').some(t => /trimmed to fit num_ctx 8192/.test(t))).toBe(true);
	});

	it('warns when Ollama counted more prompt tokens than the window leaves', async () => {
		const s = await setup();
		s.reply({content: goodAnswer, promptEvalCount: 15000});
		const req = makeRequest();
		await proposer(s.url).propose(req);
		expect(texts(req.events, 'message').some(t => /took 15000 tokens.*raise numCtx/.test(t))).toBe(true);
	});

	it('stops at once when the signal aborts, and the server sees the connection close', async () => {
		const s = await setup();
		s.reply({content: Array.from({length: 500}, (_, i) => `w${i}`).join(' '), delayMs: 20});
		const req = makeRequest();
		const pending = proposer(s.url).propose(req);
		while (!req.events.some(e => e.type === 'token')) await new Promise(r => setTimeout(r, 5));
		const t0 = Date.now();
		req.abort.abort();
		await expect(pending).rejects.toThrow(/stopped/);
		expect(Date.now() - t0).toBeLessThan(1000);
		const chat = s.requests.find(r => r.path === '/api/chat')!;
		await chat.finished;
		expect(chat.closedEarly).toBe(true);
	});

	it('stops while waiting for the first token (a model loading), too', async () => {
		const s = await setup();
		s.reply({content: goodAnswer, firstDelayMs: 5000});
		const req = makeRequest();
		const pending = proposer(s.url).propose(req);
		while (!s.requests.some(r => r.path === '/api/chat')) await new Promise(r => setTimeout(r, 5));
		const t0 = Date.now();
		req.abort.abort();
		await expect(pending).rejects.toThrow(/stopped/);
		expect(Date.now() - t0).toBeLessThan(1000);
		const chat = s.requests.find(r => r.path === '/api/chat')!;
		await chat.finished;
		expect(chat.closedEarly).toBe(true);
	});

	it('asks again once when the stream breaks, then reports the model unavailable', async () => {
		const s = await setup();
		s.reply({content: goodAnswer, errorAfter: 5}, goodAnswer);
		const req = makeRequest();
		expect((await proposer(s.url).propose(req)).description).toBe('LEARNING_RATE 3e-4 -> 6e-4');
		expect(texts(req.events, 'message').some(t => /llama runner process has terminated.*asking again/.test(t))).toBe(true);

		s.reply({content: goodAnswer, errorAfter: 5}, {content: goodAnswer, cutAfter: 3});
		const error = await proposer(s.url)
			.propose(makeRequest())
			.catch(e => e);
		expect(error).toBeInstanceOf(OllamaUnavailableError);
		expect(error.kind).toBe('stream');
		expect(error.message).toMatch(/ended before the answer was done/);
	});

	it('gives up a stream that stalls', async () => {
		const s = await setup();
		s.reply({content: goodAnswer, hang: true}, {content: goodAnswer, hang: true});
		const error = await proposer(s.url, {stallSeconds: 0.2})
			.propose(makeRequest())
			.catch(e => e);
		expect(error).toBeInstanceOf(OllamaUnavailableError);
		expect(error.message).toMatch(/no answer from the model for 0.2 s/);
		await Promise.all(s.requests.map(r => r.finished));
		expect(s.requests.filter(r => r.path === '/api/chat').every(r => r.closedEarly)).toBe(true);
	});

	it('reports files too large for num_ctx as unavailable (the fix: a larger num_ctx), sending nothing', async () => {
		const s = await setup();
		const req = makeRequest({files: {'train/train.py': 'x = 1\n'.repeat(10000)}});
		const error = await proposer(s.url, {numCtx: 4096, numPredict: 1024})
			.propose(req)
			.catch(e => e);
		expect(error).toBeInstanceOf(OllamaUnavailableError);
		expect(error.kind).toBe('other');
		expect(error.message).toMatch(/raise num_ctx/);
		expect(error.fix).toMatch(/numCtx/);
		expect(s.chats).toHaveLength(0);
	});

	it('reports a server that is down and a model that is missing as unavailable, with the fix', async () => {
		const port = await closedPort();
		const down = await proposer(`127.0.0.1:${port}`)
			.propose(makeRequest())
			.catch(e => e);
		expect(down).toBeInstanceOf(OllamaUnavailableError);
		expect(down.kind).toBe('down');
		expect(down.message).toMatch(/connection refused/);
		expect(down.fix).toMatch(/ollama serve/);

		const s = await setup({models: ['llama3.2:3b']});
		const missing = await proposer(s.url)
			.propose(makeRequest())
			.catch(e => e);
		expect(missing).toBeInstanceOf(OllamaUnavailableError);
		expect(missing.kind).toBe('missing-model');
		expect(missing.fix).toContain(`ollama pull ${model}`);
	});
});

describe('OllamaProposer: requests', () => {
	it('never sends the same body twice: each retry, and the same request asked again, gets another seed', async () => {
		const s = await setup();
		s.reply(badSearchAnswer, badSearchAnswer, badSearchAnswer, goodAnswer, goodAnswer);
		const p = proposer(s.url);
		await expect(p.propose(makeRequest())).rejects.toBeInstanceOf(ProposalError);
		await p.propose(makeRequest());
		await p.propose(makeRequest());
		const bodies = s.chats.map(c => JSON.stringify(c));
		expect(new Set(bodies).size).toBe(5);
		// The last two are the same prompt: only the seed tells them apart.
		expect(s.chats[4]!.messages).toEqual(s.chats[3]!.messages);
		expect(s.chats[4]!.options!['seed']).not.toBe(s.chats[3]!.options!['seed']);
		expect(s.chats.slice(0, 3).map(c => c.messages.length)).toEqual([2, 4, 6]);
	});

	it("learns the model's tokens per estimated token from prompt_eval_count, and trims the next prompt by it", async () => {
		const s = await setup();
		const results = Array.from({length: 300}, (_, i) =>
			record(i + 1, 1.2 + (i % 9) / 100, 'discard', `attempt ${i + 1}: a change described at some length to fill the table`),
		);
		const p = proposer(s.url, {numCtx: 8192, numPredict: 1024});
		s.reply(body => ({content: goodAnswer, promptEvalCount: Math.round(body.messages.reduce((n, m) => n + m.content.length, 0) / 2.5)}));
		await p.propose(makeRequest({results}));
		expect(p.tokenScale()).toBeGreaterThan(1.3);
		expect(p.tokenScale()).toBeLessThanOrEqual(1.75);
		s.reply(goodAnswer);
		const req = makeRequest({results});
		await p.propose(req);
		const [first, second] = s.chats.map(lastUser);
		expect(second!.length).toBeLessThan(first!.length * 0.9);
		expect(texts(req.events, 'message').some(t => /trimmed to fit num_ctx 8192/.test(t))).toBe(true);
	});

	it("says once per model when num_ctx is above the model's context length (/api/show)", async () => {
		const s = await setup({models: [{name: model, contextLength: 8192}]});
		s.reply(goodAnswer, goodAnswer);
		const p = proposer(s.url);
		const first = makeRequest();
		await p.propose(first);
		expect(texts(first.events, 'message')).toContainEqual(
			expect.stringMatching(/num_ctx 16384 is above the context length of qwen2\.5-coder:14b \(8192, from \/api\/show\).*numCtx to 8192/),
		);
		const second = makeRequest();
		await p.propose(second);
		expect(texts(second.events, 'message').filter(t => /context length/.test(t))).toEqual([]);
		expect(s.paths().filter(q => q === 'POST /api/show')).toHaveLength(1);
	});

	it('checks a model before a switch: installed, missing (ollama pull), server down (ollama serve)', async () => {
		const s = await setup({models: [model, 'llama3.1:8b']});
		const p = proposer(s.url);
		const signal = new AbortController().signal;
		expect(await p.checkModel('llama3.1:8b', signal)).toEqual({ok: true, detail: `llama3.1:8b is installed (Ollama 0.12.6 at ${s.url})`});
		const missing = await p.checkModel('deepseek-r1:7b', signal);
		expect(missing).toMatchObject({ok: false, message: expect.stringContaining('`ollama pull deepseek-r1:7b`')});
		const down = await proposer(`127.0.0.1:${await closedPort()}`).checkModel(model, signal);
		expect(down).toMatchObject({ok: false, message: expect.stringMatching(/not answering.*`ollama serve`/)});
	});
});

describe('OllamaProposer: chat', () => {
	it('streams a short answer with the session context and the same options', async () => {
		const s = await setup();
		s.reply('The learning rate change helped most; depth did not.');
		const p = proposer(s.url);
		const tokens: string[] = [];
		const answer = await p.chat({
			message: 'what worked so far?',
			goal: 'Lower val_bpb.',
			results: [record(1, 1.2, 'keep', 'baseline'), record(2, 1.1, 'keep', 'LEARNING_RATE 3e-4 -> 6e-4')],
			notes: [{id: 1, text: 'what worked so far?', at: ''}],
			signal: new AbortController().signal,
			onToken: t => tokens.push(t),
		});
		expect(answer).toBe('The learning rate change helped most; depth did not.');
		expect(tokens.join('')).toBe(answer);
		expect(s.chats[0]).toMatchObject({options: {num_ctx: 16384, num_predict: 2048, seed: 7}, keep_alive: '60m', stream: true});
		const user = lastUser(s.chats[0]!);
		expect(user).toContain('LEARNING_RATE 3e-4 -> 6e-4');
		expect(user).toContain('Lower val_bpb.');
	});

	it("answers from the memory digest: the one the loop passes, else the last proposal's", async () => {
		const s = await setup();
		s.reply(goodAnswer, 'The learning rate.', 'Still the learning rate.');
		const p = proposer(s.url);
		const history = [
			{n: 1, description: 'baseline', status: 'keep' as const, metric: 1.2, diff: ''},
			{n: 2, description: 'LEARNING_RATE 3e-4 -> 6e-4', status: 'keep' as const, metric: 1.1, delta: -0.1, band: 0.02, diff: ''},
		];
		await p.propose(makeRequest({history}));
		const ask = {
			message: 'what worked so far?',
			goal: 'g',
			results: [],
			notes: [],
			signal: new AbortController().signal,
			onToken: () => {},
		};
		await p.chat(ask);
		expect(lastUser(s.chats[1]!)).toContain('- #2 LEARNING_RATE 3e-4 -> 6e-4: 1.1 (-0.1 ±0.02)');
		await p.chat({
			...ask,
			history: [...history, {n: 3, description: 'DEPTH 4 -> 8', status: 'keep' as const, metric: 1.05, delta: -0.05, diff: ''}],
		});
		expect(lastUser(s.chats[2]!)).toContain('- #3 DEPTH 4 -> 8: 1.05 (-0.05)');
	});
});

describe('OllamaProposer: configuration', () => {
	it('refuses a host off this machine unless allowRemote is set, before any traffic', () => {
		expect(() => new OllamaProposer({host: 'http://gpu-box.lab:11434', model})).toThrow(RemoteHostError);
		expect(() => new OllamaProposer({host: '10.0.0.5', model})).toThrow(/--allow-remote/);
		expect(new OllamaProposer({host: '10.0.0.5', model, allowRemote: true}).host).toBe('http://10.0.0.5:11434');
		expect(new OllamaProposer({host: '0.0.0.0', model}).host).toBe('http://127.0.0.1:11434');
	});

	it('reads OLLAMA_HOST when no host is given, and defaults to 127.0.0.1:11434', () => {
		expect(new OllamaProposer({model, env: {OLLAMA_HOST: 'localhost:9999'}}).host).toBe('http://localhost:9999');
		expect(new OllamaProposer({model, env: {}}).host).toBe('http://127.0.0.1:11434');
		expect(new OllamaProposer({model, host: ':8080', env: {OLLAMA_HOST: 'x:1'}}).host).toBe('http://127.0.0.1:8080');
		expect(() => new OllamaProposer({model, env: {OLLAMA_HOST: 'evil.example.com'}})).toThrow(RemoteHostError);
	});

	it('checks its numbers', () => {
		expect(() => new OllamaProposer({model, numCtx: 4096, numPredict: 4096})).toThrow(/below numCtx/);
		expect(() => new OllamaProposer({model, numCtx: -1})).toThrow(/numCtx/);
		expect(() => new OllamaProposer({model: ' '})).toThrow(/model/);
	});

	it('switches model', async () => {
		const s = await setup({models: [model, 'llama3.1:8b']});
		s.reply(goodAnswer);
		const p = proposer(s.url);
		p.setModel('llama3.1:8b');
		expect(p.model).toBe('llama3.1:8b');
		const proposal = await p.propose(makeRequest());
		expect(proposal.model).toBe('llama3.1:8b');
		expect(s.chats[0]!.model).toBe('llama3.1:8b');
	});
});

describe('checkOllama', () => {
	it('says ok, down (ollama serve), or missing model (ollama pull)', async () => {
		const s = await setup({models: ['qwen2.5-coder:14b', 'llama3']});
		expect(await checkOllama(s.url, model)).toEqual({ok: true, version: '0.12.6', model});
		expect(await checkOllama(s.url, 'llama3')).toMatchObject({ok: true});
		const missing = await checkOllama(s.url, 'deepseek-r1:7b');
		expect(missing).toMatchObject({ok: false, kind: 'missing-model', fix: expect.stringContaining('ollama pull deepseek-r1:7b')});
		if (!missing.ok) expect(missing.message).toContain('installed: qwen2.5-coder:14b, llama3:latest');
		expect(s.paths()).toEqual([
			'GET /api/version',
			'GET /api/tags',
			'GET /api/version',
			'GET /api/tags',
			'GET /api/version',
			'GET /api/tags',
		]);

		const port = await closedPort();
		const down = await checkOllama(`127.0.0.1:${port}`, model);
		expect(down).toMatchObject({ok: false, kind: 'down', fix: expect.stringContaining('ollama serve')});
		if (!down.ok) expect(down.message).toMatch(/connection refused/);
	});

	it('refuses a remote host without allowRemote, and times out on a silent one', async () => {
		expect(await checkOllama('http://203.0.113.9:11434', model)).toMatchObject({
			ok: false,
			kind: 'other',
			fix: expect.stringContaining('--allow-remote'),
		});
		const s = await setup();
		s.version = '0.1.0';
		const slow: typeof fetch = async (input, init) => {
			await new Promise((resolve, reject) => {
				const t = setTimeout(resolve, 2000);
				init?.signal?.addEventListener('abort', () => {
					clearTimeout(t);
					reject(init.signal!.reason as Error);
				});
			});
			return fetch(input, init);
		};
		const result = await checkOllama(s.url, model, {fetch: slow, timeoutMs: 100});
		expect(result).toMatchObject({ok: false, kind: 'down'});
		if (!result.ok) expect(result.message).toMatch(/no answer in time/);
	});
});

describe('classifyOllamaError', () => {
	it('tells down, missing model and a broken stream apart', () => {
		const refused = Object.assign(new TypeError('fetch failed'), {
			cause: Object.assign(new Error('connect ECONNREFUSED'), {code: 'ECONNREFUSED'}),
		});
		expect(classifyOllamaError(refused, 'request', 'h', 'm').kind).toBe('down');
		const notFound = Object.assign(new Error("model 'm' not found"), {name: 'ResponseError', status_code: 404});
		expect(classifyOllamaError(notFound, 'request', 'h', 'm').kind).toBe('missing-model');
		const socket = Object.assign(new TypeError('terminated'), {
			cause: Object.assign(new Error('other side closed'), {code: 'UND_ERR_SOCKET'}),
		});
		expect(classifyOllamaError(socket, 'stream', 'h', 'm').kind).toBe('stream');
		expect(classifyOllamaError(socket, 'request', 'h', 'm').kind).toBe('stream');
		expect(classifyOllamaError(new Error('Did not receive done or success response in stream.'), 'stream', 'h', 'm').kind).toBe('stream');
		const busy = Object.assign(new Error('server busy'), {name: 'ResponseError', status_code: 503});
		expect(classifyOllamaError(busy, 'request', 'h', 'm')).toMatchObject({kind: 'other', message: expect.stringContaining('503')});
	});
});
