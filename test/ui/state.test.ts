import {describe, expect, it} from 'vitest';
import type {LoopEvent} from '../../source/core/events.js';
import {agentCapacity, lineLimit, logCapacity, lossCapacity, LogRing, UiStore, type AgentEntry} from '../../source/ui/state.js';
import {record, runStart} from './helpers.js';

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

function storeWith(...events: LoopEvent[]): UiStore {
	const store = new UiStore(1000);
	for (const e of events) store.handle(e);
	store.flush();
	return store;
}

describe('the UI store', () => {
	it('keeps 10,000 log lines in a bounded ring and publishes a bounded number of snapshots', async () => {
		const store = new UiStore(10);
		let published = 0;
		store.subscribe(() => published++);
		store.handle(runStart(1));
		const started = Date.now();
		for (let i = 0; i < 10_000; i++) {
			store.handle({type: 'log', n: 1, text: `line ${i}`, partial: i % 3 === 0});
			store.handle({type: 'progress', n: 1, step: i, loss: 1 / (i + 1)});
		}
		await sleep(250);
		const elapsed = Date.now() - started;
		// At most one snapshot per 100 ms, however many events came.
		expect(published).toBeLessThanOrEqual(Math.ceil(elapsed / 100) + 1);
		expect(published).toBeGreaterThanOrEqual(1);
		const snap = store.getSnapshot();
		expect(snap.log.length).toBeLessThanOrEqual(logCapacity);
		expect(snap.log.at(-1)!.text).toBe('line 9999');
		expect(snap.loss.length).toBeLessThanOrEqual(lossCapacity);
		expect(snap.loss.at(-1)!.step).toBe(9999);
		// Idle: nothing changes, nothing is published, no timer left.
		const before = published;
		await sleep(300);
		expect(published).toBe(before);
		store.dispose();
	});

	it('keeps memory bounded over a long run (100,000 lines, 100,000 points, 1,000 messages)', () => {
		const store = new UiStore(1000);
		store.handle(runStart(1));
		for (let i = 0; i < 100_000; i++) {
			store.handle({type: 'log', n: 1, text: `line ${i}`, partial: false});
			store.handle({type: 'progress', n: 1, step: i, loss: 2 + Math.sin(i)});
		}
		for (let i = 0; i < 1000; i++) store.handle({type: 'message', level: 'info', text: `m${i}`});
		store.flush();
		const snap = store.getSnapshot();
		expect(snap.log.length).toBe(logCapacity);
		expect(snap.logTotal).toBe(100_000);
		expect(snap.loss.length).toBeLessThanOrEqual(lossCapacity);
		expect(snap.loss[0]!.step).toBe(0);
		expect(snap.agent.length).toBe(agentCapacity);
		store.dispose();
	});

	it('cuts a huge line for the screen, never in the middle of a surrogate pair', () => {
		const store = storeWith(
			runStart(1),
			{type: 'log', n: 1, text: 'x'.repeat(1_000_000), partial: false},
			{type: 'log', n: 1, text: `${'x'.repeat(lineLimit - 1)}🚀🚀`, partial: false},
		);
		const [huge, emoji] = store.getSnapshot().log;
		expect(huge!.text.length).toBe(lineLimit);
		expect(emoji!.text).toBe('x'.repeat(lineLimit - 1));
		store.dispose();
	});

	it('replaces a partial line with the next one, as a terminal shows a \\r progress line', () => {
		const ring = new LogRing(10);
		ring.push({text: 'step 1', partial: true});
		ring.push({text: 'step 2', partial: true});
		ring.push({text: 'step 2 done', partial: false});
		ring.push({text: 'next', partial: false});
		ring.push({text: 'step 3', partial: true});
		expect(ring.view().map(l => l.text)).toEqual(['step 2 done', 'next', 'step 3']);
		expect(ring.total).toBe(3);
	});

	it('sanitizes every text from the loop', () => {
		const evil = 'a\u001b[2J\u001b]52;c;ZXZpbA==\u0007b';
		const store = storeWith(
			runStart(1),
			{type: 'log', n: 1, text: evil, partial: false},
			{type: 'message', level: 'warn', text: evil},
			{type: 'chat', role: 'user', text: evil, done: true},
			{type: 'chat', role: 'agent', text: evil, done: true},
			{type: 'proposal-start', n: 2, proposer: 'ollama', model: evil},
			{type: 'proposal-token', n: 2, text: evil, channel: 'text'},
			{type: 'proposal', n: 2, description: evil, diff: `-${evil}\n+${evil}`, proposer: 'ollama'},
			{type: 'run-end', n: 1, record: record(1, 'aaaaaaa', 1, 'keep', evil), best: undefined, baseline: undefined, seconds: 1},
			{type: 'notes', notes: [{id: 1, text: evil, at: ''}]},
		);
		const json = JSON.stringify(store.getSnapshot());
		expect(json).not.toMatch(/\\u001b|\\u0007/);
		expect(store.getSnapshot().log[0]!.text).toBe('ab');
		store.dispose();
	});

	it("keeps the best run's loss curve when a run becomes the best, and not otherwise", () => {
		const r1 = record(1, 'aaaaaaa', 1, 'keep', 'baseline');
		const r2 = record(2, 'bbbbbbb', 2, 'discard', 'worse');
		const store = storeWith(
			runStart(1, 'aaaaaaa'),
			{type: 'progress', n: 1, step: 1, loss: 3},
			{type: 'progress', n: 1, step: 2, loss: Number.NaN},
			{type: 'progress', n: 1, step: 3, loss: 2},
			{type: 'run-end', n: 1, record: r1, best: r1, baseline: r1, seconds: 1},
			runStart(2, 'bbbbbbb'),
			{type: 'progress', n: 2, step: 1, loss: 9},
			// A progress line of another experiment does not get in.
			{type: 'progress', n: 7, step: 1, loss: 100},
			{type: 'run-end', n: 2, record: r2, best: r1, baseline: r1, seconds: 1},
		);
		const snap = store.getSnapshot();
		expect(snap.bestLoss.map(p => [p.step, p.loss])).toEqual([
			[1, 3],
			[3, 2],
		]);
		expect(snap.run).toBeUndefined();
		expect(snap.lastRun).toEqual({n: 2, commit: 'bbbbbbb'});
		// A /keep afterwards makes run 2 the best: its curve comes along.
		const kept = {...r2, status: 'keep' as const};
		store.handle({type: 'overrule', n: 2, from: 'discard', to: 'keep', record: kept, best: kept, baseline: r1});
		store.flush();
		expect(store.getSnapshot().bestLoss.map(p => p.loss)).toEqual([9]);
		expect(store.getSnapshot().experiments.map(e => e.status)).toEqual(['keep', 'keep']);
		store.dispose();
	});

	it('keeps a chat answer and a proposal stream as separate entries, however their tokens interleave', () => {
		const store = storeWith(
			{type: 'proposal-start', n: 3, proposer: 'ollama', model: 'qwen'},
			{type: 'proposal-token', n: 3, text: 'Let me think', channel: 'thinking'},
			{type: 'chat', role: 'user', text: 'what worked?', done: true},
			{type: 'chat', role: 'agent', text: 'The ', done: false},
			{type: 'proposal-token', n: 3, text: 'I will raise', channel: 'text'},
			{type: 'chat', role: 'agent', text: 'LR did.', done: false},
			{type: 'proposal-token', n: 3, text: ' the LR', channel: 'text'},
			{type: 'chat', role: 'agent', text: 'The LR did.', done: true},
			{type: 'proposal', n: 3, description: 'LR up', diff: '', proposer: 'ollama'},
		);
		const agent = store.getSnapshot().agent;
		expect(agent.map(e => e.kind)).toEqual(['proposal', 'user', 'agent', 'edit']);
		const proposal = agent[0] as Extract<AgentEntry, {kind: 'proposal'}>;
		expect(proposal).toMatchObject({text: 'I will raise the LR', thinking: 'Let me think', streaming: false});
		expect(agent[2]).toEqual({kind: 'agent', text: 'The LR did.', streaming: false});
		// Ready and waiting for a worker: queued (it is applied when its run starts).
		expect(store.getSnapshot().proposer).toEqual({n: 3, phase: 'queued'});
		store.handle(runStart(3));
		store.flush();
		expect(store.getSnapshot().proposer).toBeUndefined();
		store.dispose();
	});

	it('follows what the proposer is doing', () => {
		const store = new UiStore(1000);
		const phase = (e: LoopEvent) => {
			store.handle(e);
			store.flush();
			return store.getSnapshot().proposer?.phase;
		};
		expect(phase({type: 'proposal-start', n: 4, proposer: 'ollama'})).toBe('waiting');
		expect(phase({type: 'proposal-token', n: 4, text: 'hm', channel: 'thinking'})).toBe('thinking');
		expect(phase({type: 'proposal-token', n: 4, text: 'ok', channel: 'text'})).toBe('writing');
		expect(phase({type: 'proposal-retry', n: 4, attempt: 1, reason: 'no match'})).toBe('retrying');
		expect(phase({type: 'proposal-failed', n: 4, reason: 'gave up'})).toBeUndefined();
		expect(store.getSnapshot().agent.at(-1)).toMatchObject({kind: 'error', text: '#4 proposal failed: gave up'});
		phase({type: 'proposal-start', n: 5, proposer: 'ollama'});
		expect(phase({type: 'state', state: 'paused'})).toBeUndefined();
		store.dispose();
	});

	it('keeps the identity of what did not change, so unchanged panes are not drawn again', () => {
		const store = storeWith(runStart(1), {type: 'log', n: 1, text: 'a', partial: false}, {type: 'message', level: 'info', text: 'hi'});
		const first = store.getSnapshot();
		store.handle({type: 'log', n: 1, text: 'b', partial: false});
		store.flush();
		const second = store.getSnapshot();
		expect(second.log).not.toBe(first.log);
		expect(second.agent).toBe(first.agent);
		expect(second.loss).toBe(first.loss);
		expect(second.experiments).toBe(first.experiments);
		store.handle({type: 'progress', n: 1, step: 1, loss: 1});
		store.flush();
		expect(store.getSnapshot().log).toBe(second.log);
		expect(store.getSnapshot().loss).not.toBe(second.loss);
		store.dispose();
	});

	it('updates results in place (an overrule) and counts goal changes', () => {
		const r1 = record(1, 'aaaaaaa', 1, 'keep', 'baseline');
		const r2 = record(2, 'bbbbbbb', 0.9, 'keep', 'better');
		const store = storeWith(
			{type: 'run-end', n: 1, record: r1, best: r1, baseline: r1, seconds: 1},
			{type: 'run-end', n: 2, record: r2, best: r2, baseline: r1, seconds: 1},
			{type: 'run-end', n: 2, record: {...r2, status: 'discard'}, best: r1, baseline: r1, seconds: 0},
			{type: 'goal-changed'},
			{type: 'goal-changed'},
			{type: 'budget-changed', seconds: 90},
			{type: 'model-changed', model: 'qwen3:8b'},
			{type: 'gpu', gpus: [{index: 0, name: 'H100\u001b[31m', utilization: 50, memoryUsedMb: 1, memoryTotalMb: 2, temperatureC: 40}]},
		);
		const snap = store.getSnapshot();
		expect(snap.experiments.map(e => [e.n, e.status])).toEqual([
			[1, 'keep'],
			[2, 'discard'],
		]);
		expect(snap.best?.commit).toBe('aaaaaaa');
		expect(snap.goalVersion).toBe(2);
		expect(snap.budgetSeconds).toBe(90);
		expect(snap.model).toBe('qwen3:8b');
		expect(snap.gpus[0]!.name).toBe('H100');
		store.dispose();
	});
});
