import {afterEach, describe, expect, it} from 'vitest';
import {buildProposer, parallelFrom} from '../../source/proposers/build.js';
import {FallbackProposer} from '../../source/proposers/fallback.js';
import {SearchProposer} from '../../source/proposers/search.js';
import {defaultSettings} from '../../source/settings.js';
import {OllamaProposer} from '../../source/proposers/ollama.js';
import {ProposalError} from '../../source/core/proposer.js';
import {closedPort, startStandin, type OllamaStandin} from '../support/ollama-standin.js';
import {badSearchAnswer, FakeSearch, goodAnswer, makeRequest, texts} from './support.js';

const model = 'qwen2.5-coder:14b';
const standins: OllamaStandin[] = [];
afterEach(async () => {
	await Promise.all(standins.splice(0).map(s => s.close()));
});

async function standin(options: Parameters<typeof startStandin>[0] = {}) {
	const s = await startStandin({models: [model], ...options});
	standins.push(s);
	return s;
}

function pair(host: string) {
	const search = new FakeSearch();
	const primary = new OllamaProposer({host, model, numCtx: 16384, numPredict: 2048});
	return {search, primary, proposer: new FallbackProposer({primary, fallback: search})};
}

describe('FallbackProposer', () => {
	it('uses the model while it answers', async () => {
		const s = await standin();
		s.reply(goodAnswer);
		const {proposer, search} = pair(s.url);
		expect(proposer.pipelined).toBe(true);
		expect(proposer.name).toBe('ollama');
		expect(proposer.model).toBe(model);
		const proposal = await proposer.propose(makeRequest());
		expect(proposal).toMatchObject({proposer: 'ollama', model});
		expect(search.calls).toBe(0);
	});

	it('falls back to the search when Ollama is down, says how to fix it, and comes back when it is up', async () => {
		const port = await closedPort();
		const {proposer, search} = pair(`127.0.0.1:${port}`);
		const first = makeRequest({n: 4});
		expect(await proposer.propose(first)).toMatchObject({proposer: 'search', description: 'search move 4'});
		expect(proposer.name).toBe('search (ollama down)');
		expect(proposer.fallingBack).toBe(true);
		const warn = texts(first.events, 'message');
		expect(warn).toHaveLength(1);
		expect(warn[0]).toMatch(/not answering at http:\/\/127\.0\.0\.1:\d+ \(connection refused\)/);
		expect(warn[0]).toMatch(/ollama serve/);

		// Still down: the search again, without saying it all again.
		const second = makeRequest({n: 5});
		expect(await proposer.propose(second)).toMatchObject({proposer: 'search'});
		expect(texts(second.events, 'message')).toEqual([]);
		expect(search.calls).toBe(2);

		// Ollama comes up where it was looked for: the model is used again, and that is said.
		const s = await standin({port});
		s.reply(goodAnswer);
		const third = makeRequest({n: 6});
		expect(await proposer.propose(third)).toMatchObject({proposer: 'ollama'});
		expect(proposer.name).toBe('ollama');
		expect(texts(third.events, 'message').some(t => /the model is back/.test(t))).toBe(true);
		expect(s.paths()).toEqual(['GET /api/version', 'GET /api/tags', 'POST /api/show', 'POST /api/chat']);
		expect(search.calls).toBe(2);
	});

	it('falls back when the model is missing, naming ollama pull, and uses it once pulled', async () => {
		const s = await standin({models: ['llama3.2:3b']});
		const {proposer, search} = pair(s.url);
		const first = makeRequest();
		expect(await proposer.propose(first)).toMatchObject({proposer: 'search'});
		expect(proposer.name).toBe('search (model missing)');
		expect(texts(first.events, 'message')[0]).toContain(`ollama pull ${model}`);

		const second = makeRequest();
		await proposer.propose(second);
		expect(search.calls).toBe(2);
		// The health check found it missing: no chat was tried.
		expect(s.paths().filter(p => p === 'POST /api/chat')).toHaveLength(0);

		s.setModels(['llama3.2:3b', model]);
		s.reply(goodAnswer);
		expect(await proposer.propose(makeRequest())).toMatchObject({proposer: 'ollama'});
	});

	it('falls back for an experiment whose stream broke (twice: one retry is the proposer’s own), and tries the model next time', async () => {
		const s = await standin();
		s.reply(
			{content: goodAnswer, errorAfter: 3, errorMessage: 'llama runner process has terminated: signal: killed'},
			{content: goodAnswer, errorAfter: 1},
		);
		const {proposer, search} = pair(s.url);
		const first = makeRequest();
		expect(await proposer.propose(first)).toMatchObject({proposer: 'search'});
		expect(proposer.name).toBe('search (ollama failed)');
		const messages = texts(first.events, 'message');
		expect(messages.some(t => /llama runner process has terminated: signal: killed.*asking again/.test(t))).toBe(true);
		expect(messages.some(t => /server log/.test(t))).toBe(true);

		s.reply(goodAnswer);
		expect(await proposer.propose(makeRequest())).toMatchObject({proposer: 'ollama'});
		expect(search.calls).toBe(1);
	});

	it('falls back for a stream cut without done', async () => {
		const s = await standin();
		s.reply({content: goodAnswer, cutAfter: 4}, {content: goodAnswer, cutAfter: 0});
		const {proposer, search} = pair(s.url);
		const req = makeRequest();
		expect(await proposer.propose(req)).toMatchObject({proposer: 'search'});
		expect(texts(req.events, 'message').some(t => /ended before the answer was done/.test(t))).toBe(true);
		expect(search.calls).toBe(1);
	});

	it('lets a model that answers badly fail the experiment, without falling back', async () => {
		const s = await standin();
		s.reply(badSearchAnswer, badSearchAnswer, badSearchAnswer);
		const {proposer, search} = pair(s.url);
		await expect(proposer.propose(makeRequest())).rejects.toBeInstanceOf(ProposalError);
		expect(search.calls).toBe(0);
		expect(proposer.name).toBe('ollama');
	});

	it('does not fall back when the proposal is aborted', async () => {
		const s = await standin();
		s.reply({content: goodAnswer, delayMs: 50});
		const {proposer, search} = pair(s.url);
		const req = makeRequest();
		const pending = proposer.propose(req);
		setTimeout(() => req.abort.abort(), 100);
		await expect(pending).rejects.toThrow(/stopped/);
		expect(search.calls).toBe(0);
		expect(proposer.fallingBack).toBe(false);
	});

	it('passes chat through, and explains when the model cannot answer', async () => {
		const s = await standin();
		s.reply('Raising the learning rate worked.');
		const {proposer} = pair(s.url);
		const chat = {message: 'what worked?', goal: 'g', results: [], notes: [], signal: new AbortController().signal, onToken: () => {}};
		expect(await proposer.chat(chat)).toBe('Raising the learning rate worked.');
		const port = await closedPort();
		const down = pair(`127.0.0.1:${port}`).proposer;
		await expect(down.chat(chat)).rejects.toThrow(/not answering.*ollama serve.*search proposer keeps the loop going/);
	});

	it('switching model gives the model a fresh try', async () => {
		const s = await standin({models: ['llama3.1:8b']});
		const {proposer, search} = pair(s.url);
		await proposer.propose(makeRequest());
		expect(search.calls).toBe(1);
		proposer.setModel('llama3.1:8b');
		s.reply(goodAnswer);
		expect(await proposer.propose(makeRequest())).toMatchObject({proposer: 'ollama', model: 'llama3.1:8b'});
		expect(proposer.model).toBe('llama3.1:8b');
	});

	it('offers the search as its stand-in, its concurrency, and checks a model before a switch', async () => {
		const s = await standin({models: [model, 'llama3.1:8b']});
		const {proposer, search} = pair(s.url);
		expect(proposer.standIn).toBe(search);
		expect(proposer.concurrency).toBe(1);
		expect(new FallbackProposer({primary: pair(s.url).primary, fallback: search, concurrency: 4}).concurrency).toBe(4);
		const signal = new AbortController().signal;
		expect(await proposer.checkModel('llama3.1:8b', signal)).toMatchObject({ok: true, detail: expect.stringContaining('Ollama 0.12.6')});
		expect(await proposer.checkModel('qwen3:8b', signal)).toMatchObject({
			ok: false,
			message: expect.stringContaining('`ollama pull qwen3:8b`'),
		});
		const down = pair(`127.0.0.1:${await closedPort()}`).proposer;
		expect(await down.checkModel(model, signal)).toMatchObject({ok: false, message: expect.stringContaining('`ollama serve`')});
	});

	it('is built with the concurrency of OLLAMA_NUM_PARALLEL, 1 when unset or not a number', () => {
		expect(parallelFrom({})).toBe(1);
		expect(parallelFrom({OLLAMA_NUM_PARALLEL: '4'})).toBe(4);
		expect(parallelFrom({OLLAMA_NUM_PARALLEL: 'lots'})).toBe(1);
		expect(parallelFrom({OLLAMA_NUM_PARALLEL: '0'})).toBe(1);
		const choice = {
			name: 'ollama' as const,
			settings: {...defaultSettings, model},
			arenaModel: undefined,
			device: 'cpu' as const,
			budgetSeconds: 60,
		};
		const built = buildProposer({...choice, env: {OLLAMA_NUM_PARALLEL: '3'}});
		expect(built.proposer.concurrency).toBe(3);
		expect(built.proposer.standIn).toBeInstanceOf(SearchProposer);
		expect(built.notes).toContain('3 proposals at once (OLLAMA_NUM_PARALLEL)');
		expect(buildProposer({...choice, env: {}}).proposer.concurrency).toBe(1);
	});
});
