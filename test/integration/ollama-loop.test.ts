import {mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import {FallbackProposer} from '../../source/proposers/fallback.js';
import {OllamaProposer} from '../../source/proposers/ollama.js';
import {SearchProposer} from '../../source/proposers/search.js';
import type {LoopEvent} from '../../source/core/events.js';
import {Loop} from '../../source/core/loop.js';
import {fakeProgram, fakeTrain, makeFakeArena} from '../support/fake-arena.js';
import {closedPort, startStandin, type ChatBody, type OllamaStandin} from '../support/ollama-standin.js';
import {copyBundledArena, git, torchPython, type TempArena} from '../support/workspace.js';

// The Ollama agent inside the real loop: the real `ollama` client speaking to
// the protocol-faithful stand-in on loopback.

let arena: TempArena | undefined;
let standin: OllamaStandin | undefined;
let cache: string | undefined;
afterEach(async () => {
	await standin?.close();
	standin = undefined;
	arena?.cleanup();
	arena = undefined;
	if (cache) rmSync(cache, {recursive: true, force: true});
	cache = undefined;
});

const model = 'qwen2.5-coder:14b';

/** The line of the editable file, as the prompt shows it now, that starts with `name`. */
function lineOf(body: ChatBody, name: string): string {
	const user = body.messages.filter(m => m.role === 'user' && m.content.includes('# Files you may edit')).at(-1)!.content;
	const files = user.slice(user.indexOf('# Files you may edit'));
	const line = files.split('\n').find(l => l.startsWith(name));
	if (!line) throw new Error(`no ${name} line in the prompt`);
	return line;
}

function answer(description: string, search: string, replace: string, file = 'train/train.py'): string {
	return [
		`DESCRIPTION: ${description}`,
		'RATIONALE: scripted.',
		'',
		file,
		'<<<<<<< SEARCH',
		search,
		'=======',
		replace,
		'>>>>>>> REPLACE',
		'',
	].join('\n');
}

const constant = (name: string, to: string) => (body: ChatBody) => {
	const line = lineOf(body, `${name} =`);
	return answer(`${name} -> ${to}`, line, line.replace(/=\s*[^#]+/, `= ${to}  `));
};
const missing = () => answer('warmup 5%', 'WARMUP = 0.1', 'WARMUP = 0.05');

function ollama(host: string, extra: Partial<ConstructorParameters<typeof OllamaProposer>[0]> = {}) {
	const primary = new OllamaProposer({model, host, numCtx: 16384, numPredict: 2048, keepAlive: '45m', seed: 7, ...extra});
	return new FallbackProposer({primary, fallback: new SearchProposer({device: 'cpu'})});
}

async function runLoop(dir: string, proposer: FallbackProposer, maxExperiments: number) {
	const loop = new Loop({
		workspace: dir,
		proposer,
		maxExperiments,
		python: torchPython,
		killGraceSeconds: 1,
		...(cache ? {env: {NIGHTSHIFT_CACHE: cache}} : {}),
	});
	const events: LoopEvent[] = [];
	loop.subscribe(e => events.push(e));
	await loop.setup();
	await loop.run();
	const rows = readFileSync(path.join(dir, 'runs', 'results.tsv'), 'utf8')
		.trim()
		.split('\n')
		.slice(1)
		.map(l => l.split('\t'));
	return {events, rows, loop};
}

describe('the Ollama agent in the loop', () => {
	it('on the real arena: a good edit kept, a bad one discarded, a missed SEARCH fixed on retry, one that never applies recorded as failed', async () => {
		cache = mkdtempSync(path.join(tmpdir(), 'nightshift-cache-'));
		arena = copyBundledArena({budget: 2, baseline_runs: 1});
		// Start from a learning rate far too low, so that the good edit is surely better.
		const trainPath = path.join(arena.dir, 'train', 'train.py');
		writeFileSync(
			trainPath,
			readFileSync(trainPath, 'utf8').replace(/^LEARNING_RATE = .*$/m, 'LEARNING_RATE = 3e-5  # peak AdamW learning rate'),
		);
		git(arena.dir, 'commit', '-qam', 'a low learning rate');
		standin = await startStandin({models: [model], fallback: constant('EMBED_LR_MULT', '2.0')});
		standin.reply(
			constant('LEARNING_RATE', '3e-3'),
			// Surely worse: a fifth of a second lost in every step of a 2 s budget.
			body => {
				const line = lineOf(body, '    x, y = loader.next_batch()');
				return answer('slow data loading', line, `    time.sleep(0.2)\n${line}`);
			},
			missing,
			constant('WARMDOWN_RATIO', '0.5'),
			missing,
			missing,
			missing,
		);
		// A steering note left from earlier (saying it now would also ask the model for a chat answer).
		mkdirSync(path.join(arena.dir, 'runs'));
		writeFileSync(
			path.join(arena.dir, 'runs', 'notes.json'),
			JSON.stringify([{id: 1, text: 'prefer small, safe changes', at: new Date().toISOString()}]),
		);
		const {events, rows} = await runLoop(arena.dir, ollama(standin.url), 5);
		expect(rows.map(r => [r[3], r[4]])).toEqual([
			['keep', 'baseline'],
			['keep', 'LEARNING_RATE -> 3e-3'],
			['discard', 'slow data loading'],
			[expect.stringMatching(/keep|discard/), 'WARMDOWN_RATIO -> 0.5'],
			[expect.stringMatching(/keep|discard/), 'EMBED_LR_MULT -> 2.0'],
		]);
		const retries = events.flatMap(e => (e.type === 'proposal-retry' ? [e] : []));
		expect(retries.filter(r => r.n === 4)).toHaveLength(1);
		expect(retries.filter(r => r.n === 5 && /does not match/.test(r.reason))).toHaveLength(2);
		const failed = events.flatMap(e => (e.type === 'proposal-failed' ? [e] : []));
		expect(failed.filter(f => /does not match/.test(f.reason))).toHaveLength(1);
		// The stand-in model answers the same edit for ever after: each later answer is refused as a repeat, never run twice.
		expect(failed.slice(1).every(f => /repeats experiment #5/.test(f.reason))).toBe(true);
		// The retry went back with the reason and the closest real lines.
		const retry = standin.chats[3]!;
		const followUp = retry.messages.at(-1)!.content;
		expect(followUp).toMatch(/does not match/);
		expect(followUp).toContain('WARMUP_RATIO = 0.05');
		// Every request: a fixed window, a long keep_alive, a cap, a seed, and the human's note.
		for (const chat of standin.chats) {
			expect(chat.options).toMatchObject({num_ctx: 16384, num_predict: 2048});
			expect(typeof chat.options!['seed']).toBe('number');
			expect(chat.keep_alive).toBe('45m');
			expect(chat.messages.map(m => m.content).join('\n')).toContain('prefer small, safe changes');
		}
		expect(standin.paths().every(p => p.startsWith('GET /api/') || p.startsWith('POST /api/'))).toBe(true);
	});

	it('prepares proposal N+1 while run N trains: run N+1 starts with no request in between; a kept run re-applies or regenerates', async () => {
		arena = makeFakeArena(fakeProgram, fakeTrain.replace('SLEEP = 0.0', 'SLEEP = 1.5'));
		standin = await startStandin({models: [model]});
		standin.reply(
			// #2: kept (width 64 -> 128 is better). Prepared during #1.
			body => ({content: constant('WIDTH', '128')(body), delayMs: 20}),
			// #3, prepared during #2 against the baseline, touches another line: it re-applies on top of #2.
			body => ({content: constant('LEARNING_RATE', '0.02')(body), delayMs: 20}),
			// #4, prepared during #3 against #2: WIDTH again, but #3 (kept) does not touch it either.
			body => ({content: constant('WIDTH', '256')(body), delayMs: 20}),
			body => ({content: constant('LEARNING_RATE', '0.03')(body), delayMs: 20}),
		);
		standin.fallback = body => ({content: constant('LEARNING_RATE', '0.04')(body), delayMs: 20});
		const proposer = ollama(standin.url);
		// One proposal prepared ahead (the scripted answers are written for that order); the queue's depth is tested in core.
		const loop = new Loop({workspace: arena.dir, proposer, maxExperiments: 5, python: torchPython, queueDepth: 1});
		const events: LoopEvent[] = [];
		loop.subscribe(e => events.push(e));
		await loop.setup();
		await loop.run();
		const order = events.flatMap(e =>
			e.type === 'proposal' || e.type === 'run-start' || e.type === 'run-end' ? [`${e.type} ${e.n}`] : [],
		);
		const runs = events.flatMap(e => (e.type === 'run-start' ? [e.n] : []));
		expect(runs).toHaveLength(5);
		// Every experiment's proposal was ready before the run before it ended: no run waited for the model.
		for (let i = 1; i < runs.length; i++) {
			expect(order.indexOf(`proposal ${runs[i]}`)).toBeGreaterThanOrEqual(0);
			expect(order.indexOf(`proposal ${runs[i]}`)).toBeLessThan(order.indexOf(`run-end ${runs[i - 1]}`));
		}
		expect(events.some(e => e.type === 'proposal-start' && e.proposer !== 'ollama')).toBe(false);
		const messages = events.flatMap(e => (e.type === 'message' ? [e.text] : []));
		expect(messages.some(m => /prepared proposal applies on top of the new best/.test(m))).toBe(true);
	});

	it('regenerates a prepared proposal that no longer applies after a keep', async () => {
		arena = makeFakeArena(fakeProgram, fakeTrain.replace('SLEEP = 0.0', 'SLEEP = 1.0'));
		standin = await startStandin({models: [model]});
		standin.reply(
			body => constant('WIDTH', '128')(body),
			// Prepared during #2 against the baseline: the same line as #2, which is kept, so it cannot apply.
			body => constant('WIDTH', '96')(body),
			// Asked again against the new best.
			body => constant('LEARNING_RATE', '0.02')(body),
		);
		standin.fallback = body => constant('LEARNING_RATE', '0.03')(body);
		const {events, rows} = await runLoop(arena.dir, ollama(standin.url), 3);
		expect(rows.map(r => r[4])).toEqual(['baseline', 'WIDTH -> 128', 'LEARNING_RATE -> 0.02']);
		expect(
			events.some(
				e => e.type === 'message' && /#3: the prepared proposal was dropped: it no longer applies on top of the new best/.test(e.text),
			),
		).toBe(true);
		// The dropped one was asked for again, against the new best (its request shows WIDTH = 128).
		const again = standin.chats.slice(3).map(c => c.messages.map(m => m.content).join('\n'));
		expect(again.some(text => /WIDTH = 128/.test(text))).toBe(true);
	});

	it('server down, model missing, a stream broken mid-way: a clear message, the search stands in, the loop goes on', async () => {
		arena = makeFakeArena();
		const down = await runLoop(arena.dir, ollama(`127.0.0.1:${await closedPort()}`), 3);
		expect(down.rows).toHaveLength(3);
		expect(down.events.some(e => e.type === 'message' && /ollama serve/.test(e.text))).toBe(true);
		expect(down.events.filter(e => e.type === 'proposal').every(e => (e as {proposer: string}).proposer === 'search')).toBe(true);

		standin = await startStandin({models: ['llama3:8b']});
		const absent = await runLoop(arena.dir, ollama(standin.url), 5);
		expect(absent.rows).toHaveLength(5);
		expect(absent.events.some(e => e.type === 'message' && new RegExp(`ollama pull ${model}`).test(e.text))).toBe(true);
		await standin.close();

		standin = await startStandin({models: [model]});
		standin.reply({
			content: 'DESCRIPTION: half an answer and then',
			errorAfter: 3,
			errorMessage: 'an error was encountered while running the model',
		});
		standin.reply({content: 'DESCRIPTION: again', cutAfter: 2});
		standin.fallback = body => constant('WIDTH', '128')(body);
		const broken = await runLoop(arena.dir, ollama(standin.url), 7);
		expect(broken.rows).toHaveLength(7);
		const texts = broken.events.flatMap(e => (e.type === 'message' ? [e.text] : []));
		expect(texts.some(t => /search/i.test(t))).toBe(true);
	});
});

describe('a model that fails, a note mid-run, and never the same request twice', () => {
	const isProposalRequest = (body: ChatBody): boolean => body.messages.some(m => m.content.includes('# Files you may edit'));

	it('a model that only ever answers prose: the search stands in, the session completes its 6 experiments, and no two requests are the same', async () => {
		arena = makeFakeArena(fakeProgram, fakeTrain.replace('SLEEP = 0.0', 'SLEEP = 0.5'));
		standin = await startStandin({models: [model]});
		standin.fallback = {
			content: 'I would suggest raising the learning rate a little, since the loss is still falling at the end of the budget.',
			delayMs: 2,
		};
		const started = Date.now();
		const {events, rows} = await runLoop(arena.dir, ollama(standin.url), 7);
		const experiments = rows.filter(r => r[4] !== 'baseline');
		expect(experiments).toHaveLength(6);
		// No experiment waited out a back-off: prose answers are failures, and after two of them the search runs the experiment.
		expect(Date.now() - started).toBeLessThan(60_000);
		const proposers = events.flatMap(e => (e.type === 'proposal' ? [e.proposer] : []));
		expect(proposers.filter(p => p === 'search').length).toBeGreaterThanOrEqual(5);
		const texts = events.flatMap(e => (e.type === 'message' ? [e.text] : []));
		expect(
			texts.some(t => /ollama failed \d+ proposals in a row \(last: .*prose.*\); the search proposer supplies this experiment/.test(t)),
		).toBe(true);
		// The model was asked again in the background, and never with the same request.
		const bodies = standin.chats.map(c => JSON.stringify(c));
		expect(bodies.length).toBeGreaterThanOrEqual(4);
		expect(new Set(bodies).size).toBe(bodies.length);
	});

	it('a note typed while run N trains is in the request of the next experiment to start; prepared ones are made again', async () => {
		arena = makeFakeArena(fakeProgram, fakeTrain.replace('SLEEP = 0.0', 'SLEEP = 1.5'));
		standin = await startStandin({models: [model]});
		const note = 'try narrower networks only';
		let width = 64;
		// Every answer a discard (narrower than the best), so nothing conflicts; the description says whether the request held the note.
		standin.fallback = body => {
			if (!isProposalRequest(body)) return {content: 'Noted: narrower from now on.', delayMs: 2};
			const noted = body.messages.some(m => m.content.includes(note));
			const line = lineOf(body, 'WIDTH =');
			width -= 1;
			return {content: answer(`WIDTH -> ${width}${noted ? ' (noted)' : ''}`, line, line.replace(/=\s*[^#]+/, `= ${width}  `)), delayMs: 2};
		};
		const loop = new Loop({workspace: arena.dir, proposer: ollama(standin.url), maxExperiments: 6, python: torchPython});
		const events: LoopEvent[] = [];
		let saidAt = -1;
		loop.subscribe(e => {
			events.push(e);
			if (e.type === 'run-start' && e.n === 3 && saidAt < 0)
				setTimeout(() => {
					saidAt = events.length;
					loop.say(note);
				}, 300);
		});
		await loop.setup();
		await loop.run();
		expect(saidAt).toBeGreaterThan(0);
		const before = events.slice(0, saidAt).flatMap(e => (e.type === 'run-start' ? [e] : []));
		const after = events.slice(saidAt).flatMap(e => (e.type === 'run-start' ? [e] : []));
		expect(before.at(-1)!.n).toBe(3);
		// Experiments 4 and 5 were prepared before the note; the first to start after it was made with it, and every later one.
		expect(after.length).toBeGreaterThanOrEqual(2);
		for (const run of after) expect(run.description).toMatch(/\(noted\)$/);
		expect(before.every(run => !run.description.includes('(noted)'))).toBe(true);
		expect(events.some(e => e.type === 'message' && /dropped \d prepared proposals?: preparing again with the note/.test(e.text))).toBe(
			true,
		);
		const bodies = standin.chats.map(c => JSON.stringify(c));
		expect(new Set(bodies).size).toBe(bodies.length);
	});
});
