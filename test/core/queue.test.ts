import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import {applyEdits} from '../../source/core/edits.js';
import type {LoopEvent} from '../../source/core/events.js';
import {Numbers} from '../../source/core/numbers.js';
import {ProposalError, type Proposal, type ProposalRequest, type Proposer} from '../../source/core/proposer.js';
import {ProposalQueue, type ProposalInputs} from '../../source/core/queue.js';
import {Tried} from '../../source/core/tried.js';
import type {SteeringNote} from '../../source/core/types.js';
import {rules} from '../proposers/support.js';

// The queue of prepared proposals on its own: commits are names of file
// sets, a keep is the best moving to another one, and the proposers are
// scripted. What it must hold: proposals prepared ahead, each knowing what is
// queued; a keep that makes one stop applying takes the next; a note makes
// the prepared ones again; a failing model is stood in for after two
// failures; and no waiting for a model that cannot be ready soon.

const file = 'train/train.py';
const text = (lr: string, width = '64') => `LEARNING_RATE = ${lr}\nWIDTH = ${width}\n`;

let dirs: string[] = [];
afterEach(() => {
	for (const d of dirs) rmSync(d, {recursive: true, force: true});
	dirs = [];
});

type Step = (request: ProposalRequest, i: number) => Proposal | Error;

/** A model that answers after `ms`, the i-th answer from `step`. */
function model(step: Step, ms: number): Proposer & {requests: ProposalRequest[]} {
	const requests: ProposalRequest[] = [];
	return {
		name: 'model',
		pipelined: true,
		requests,
		async propose(request) {
			const i = requests.length;
			requests.push(request);
			await new Promise(resolve => setTimeout(resolve, ms));
			const out = step(request, i);
			if (out instanceof Error) throw out;
			return out;
		},
	};
}

const search: Proposer = {
	name: 'search',
	pipelined: false,
	propose: async () => ({
		description: 'WIDTH 64 -> 96',
		edits: [{path: file, search: `WIDTH = 64`, replace: `WIDTH = 96`}],
		proposer: 'search',
	}),
};

/** A proposal that changes the learning rate the request's file shows to `to`. */
function lr(request: ProposalRequest, to: string): Proposal {
	const line = request.files[file]!.split('\n')[0]!;
	return {description: `LEARNING_RATE -> ${to}`, edits: [{path: file, search: line, replace: `LEARNING_RATE = ${to}`}], proposer: 'model'};
}

function width(to: string): Proposal {
	return {description: `WIDTH -> ${to}`, edits: [{path: file, search: 'WIDTH = 64', replace: `WIDTH = ${to}`}], proposer: 'model'};
}

function makeQueue(proposer: Proposer, options: {depth?: number; graceMs?: number} = {}) {
	const dir = mkdtempSync(path.join(tmpdir(), 'nightshift-queue-'));
	dirs.push(dir);
	const commits: Record<string, Record<string, string>> = {base: {[file]: text('0.01')}};
	const state = {best: 'base', notes: [] as SteeringNote[]};
	const events: LoopEvent[] = [];
	const inputs = (): ProposalInputs => ({
		goal: 'lower val_bpb',
		rules,
		results: [],
		notes: state.notes,
		history: [],
		machine: {device: 'cpu', workers: 1},
	});
	const queue = new ProposalQueue({
		proposer,
		emit: e => events.push(e),
		numbers: new Numbers(dir),
		tried: new Tried(),
		inputs,
		running: () => [],
		bestCommit: () => state.best,
		filesAt: async commit => commits[commit]!,
		check: base => async edits => applyEdits(base, edits, rules.editable),
		depth: () => options.depth ?? 2,
		graceMs: () => options.graceMs ?? 200,
		idle: () => false,
	});
	/** The best moves to a commit whose file is `files` (a keep). */
	const keep = (name: string, files: string): void => {
		commits[name] = {[file]: files};
		state.best = name;
	};
	const messages = () => events.flatMap(e => (e.type === 'message' ? [e.text] : []));
	const untilPrepared = async (count: number): Promise<void> => {
		for (let i = 0; i < 200 && queue.prepared().length < count; i++) await new Promise(resolve => setTimeout(resolve, 10));
		expect(queue.prepared()).toHaveLength(count);
	};
	return {queue, state, keep, events, messages, untilPrepared};
}

describe('the queue of prepared proposals', () => {
	it('prepares its depth ahead, each request knowing what is already queued, and runs them in order', async () => {
		const m = model((request, i) => lr(request, ['0.02', '0.03', '0.04'][i]!), 20);
		const {queue, untilPrepared} = makeQueue(m);
		queue.fill();
		await untilPrepared(2);
		expect(m.requests).toHaveLength(2);
		expect(m.requests[0]!.inFlight).toEqual([]);
		expect(m.requests[1]!.inFlight).toEqual([{n: 1, description: 'LEARNING_RATE -> 0.02', state: 'prepared'}]);
		const first = await queue.take();
		expect(first).toMatchObject({n: 1, proposal: {description: 'LEARNING_RATE -> 0.02'}, baseCommit: 'base'});
		expect(first!.files[file]).toBe(text('0.02'));
		// Taking one asks for the next, knowing the one still prepared.
		await untilPrepared(2);
		expect(m.requests[2]!.inFlight.map(f => f.description)).toEqual(['LEARNING_RATE -> 0.03']);
		queue.stop();
	});

	it('after a keep: one that still applies runs on the new best, one that conflicts is dropped and the next taken', async () => {
		const m = model((request, i) => (i === 0 ? lr(request, '0.02') : i === 1 ? width('128') : lr(request, '0.05')), 10);
		const {queue, keep, messages, untilPrepared} = makeQueue(m);
		queue.fill();
		await untilPrepared(2);
		// Another experiment changed the learning rate and was kept: the first prepared one's SEARCH line is gone.
		keep('kept', text('0.03'));
		const next = await queue.take();
		expect(next).toMatchObject({n: 2, proposal: {description: 'WIDTH -> 128'}, baseCommit: 'kept'});
		expect(next!.files[file]).toBe(text('0.03', '128'));
		expect(
			messages().some(t =>
				/^#1: the prepared proposal was dropped: it no longer applies on top of the new best \(edit 1 in train\/train\.py: SEARCH does not match/.test(
					t,
				),
			),
		).toBe(true);
		expect(messages()).toContain('#2: the prepared proposal applies on top of the new best: running it');
		// The dropped one is made again, against the new best.
		await untilPrepared(2);
		expect(m.requests.at(-1)!.files[file]).toBe(text('0.03'));
		queue.stop();
	});

	it('a note drops what was prepared without it and prepares again with it', async () => {
		const m = model((request, i) => lr(request, `0.0${i + 2}`), 10);
		const {queue, state, messages, untilPrepared} = makeQueue(m);
		queue.fill();
		await untilPrepared(2);
		state.notes = [{id: 1, text: 'only the learning rate', at: ''}];
		queue.refresh();
		expect(queue.prepared()).toEqual([]);
		expect(messages()).toContain('dropped 2 prepared proposals: preparing again with the note');
		await untilPrepared(2);
		expect(m.requests.slice(2).every(r => r.notes.some(n => n.text === 'only the learning rate'))).toBe(true);
		// The numbers of the dropped ones are given back: the next to run is still #1.
		expect((await queue.take())!.n).toBe(1);
		queue.stop();
	});

	it('a model that keeps failing: after two failures in a row the stand-in supplies the experiment and says why', async () => {
		const failing = {...model(() => new ProposalError('no edit found: prose only'), 5), standIn: search};
		const {queue, messages, events} = makeQueue(failing);
		// The first failure: the worker waits out the grace, then the stand-in runs this one without a word.
		expect((await queue.take())!.proposal.proposer).toBe('search');
		expect(messages()).toEqual([]);
		// The model is asked again in the background (2 s after a failure); after its second failure the stand-in supplies at once, and says so.
		for (let i = 0; i < 400 && events.filter(e => e.type === 'proposal-failed').length < 2; i++) await new Promise(r => setTimeout(r, 10));
		expect(failing.requests).toHaveLength(2);
		const second = await queue.take();
		expect(second!.proposal.proposer).toBe('search');
		expect(messages()).toEqual([
			'model failed 2 proposals in a row (last: no edit found: prose only); the search proposer supplies this experiment while the model is asked again',
		]);
		queue.stop();
	});

	it('does not wait out the grace for a model that cannot be ready within it, and does for one that can', async () => {
		// A slow model (300 ms a proposal, grace 150 ms): once a keep drops both prepared, the regeneration has just begun.
		const slow = {...model((request, i) => (i < 2 ? lr(request, `0.0${i + 2}`) : width(`${100 + i}`)), 300), standIn: search};
		const s = makeQueue(slow, {graceMs: 150});
		s.queue.fill();
		await s.untilPrepared(2);
		s.keep('kept', text('0.09'));
		const stoodIn = await s.queue.take();
		expect(stoodIn!.proposal.proposer).toBe('search');
		expect(
			s.messages().some(t => /^model needs about 1 s more for its next proposal; the search proposer supplies this experiment$/.test(t)),
		).toBe(true);
		s.queue.stop();

		// A fast model (20 ms, grace 1 s): the worker waits for it and runs the model's proposal.
		const fast = {...model((request, i) => (i < 2 ? lr(request, `0.0${i + 2}`) : width(`${100 + i}`)), 20), standIn: search};
		const f = makeQueue(fast, {graceMs: 1000});
		f.queue.fill();
		await f.untilPrepared(2);
		f.keep('kept', text('0.09'));
		const waited = await f.queue.take();
		expect(waited!.proposal.proposer).toBe('model');
		expect(f.messages().some(t => /needs about/.test(t))).toBe(false);
		f.queue.stop();
	});
});
