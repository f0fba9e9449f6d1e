import {readFileSync} from 'node:fs';
import path from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import type {ProposalRequest} from '../../source/core/proposer.js';
import type {LoopEvent} from '../../source/core/events.js';
import {Loop} from '../../source/core/loop.js';
import {fakeProgram, fakeTrain, makeFakeArena} from '../support/fake-arena.js';
import {nextEvent} from '../support/events.js';
import {ScriptedProposer, replaceLine} from '../support/scripted-proposer.js';
import {git, torchPython, type TempArena} from '../support/workspace.js';

let arena: TempArena | undefined;
afterEach(() => {
	arena?.cleanup();
	arena = undefined;
});

function start(proposer: ScriptedProposer, maxExperiments: number, train = fakeTrain) {
	arena = makeFakeArena(fakeProgram, train);
	const loop = new Loop({workspace: arena.dir, proposer, maxExperiments, python: torchPython, killGraceSeconds: 1});
	const events: LoopEvent[] = [];
	loop.subscribe(e => events.push(e));
	return {loop, events, dir: arena.dir};
}

const rows = (dir: string) =>
	readFileSync(path.join(dir, 'runs', 'results.tsv'), 'utf8')
		.trim()
		.split('\n')
		.slice(1)
		.map(l => l.split('\t'));

const branch = (dir: string) => (JSON.parse(readFileSync(path.join(dir, 'runs', 'session.json'), 'utf8')) as {branch: string}).branch;

describe('intents', () => {
	it('/keep overrules a discard and /revert a keep; git and results.tsv follow', async () => {
		const worse = (r: ProposalRequest) => ({description: 'worse', edits: [replaceLine(r, 'WIDTH = 64', 'WIDTH = 16')]});
		const better = (r: ProposalRequest) => ({
			description: 'better',
			edits: [replaceLine(r, 'LEARNING_RATE = 0.01', 'LEARNING_RATE = 0.02')],
		});
		const {loop, dir, events} = start(new ScriptedProposer([worse, better]), 3);
		await loop.setup();
		// Pause after experiment 2 so the overrules apply between runs.
		const stopped = new Promise<void>(resolve =>
			loop.subscribe(e => {
				if (e.type === 'run-end' && e.n === 2) {
					loop.pause();
					resolve();
				}
			}),
		);
		const running = loop.run();
		await stopped;
		expect(rows(dir)[1]![3]).toBe('discard');
		const kept = nextEvent(loop, 'overrule', e => e.to === 'keep');
		loop.overrule('keep');
		await kept;
		expect(rows(dir)[1]![3]).toBe('keep');
		expect(git(dir, 'rev-parse', '--short=7', branch(dir))).toBe(rows(dir)[1]![0]);
		const reverted = nextEvent(loop, 'overrule', e => e.to === 'discard');
		loop.overrule('revert');
		await reverted;
		expect(rows(dir)[1]![3]).toBe('discard');
		expect(git(dir, 'rev-parse', '--short=7', branch(dir))).toBe(git(dir, 'rev-parse', '--short=7', 'main'));
		const summary = JSON.parse(readFileSync(path.join(dir, 'runs', `0002-${rows(dir)[1]![0]}`, 'summary.json'), 'utf8')) as {
			overruled: {to: string};
		};
		expect(summary.overruled.to).toBe('discard');
		loop.resume();
		await running;
		expect(rows(dir).map(r => r[3])).toEqual(['keep', 'discard', 'keep']);
		expect(events.filter(e => e.type === 'overrule')).toHaveLength(2);
	});

	it('notes persist and reach every later proposal; the budget changes from the next run; the goal is saved atomically', async () => {
		const seen: ProposalRequest[] = [];
		const record = (r: ProposalRequest) => {
			seen.push(r);
			return {description: `try ${seen.length}`, edits: [replaceLine(r, 'WIDTH = ', `WIDTH = ${64 + seen.length} # `)]};
		};
		const {loop, dir, events} = start(new ScriptedProposer([record, record]), 3);
		await loop.setup();
		loop.say('  prefer smaller models  ');
		loop.setBudget(7);
		await loop.saveGoal(loop.readGoal().replace('Make val_bpb low.', 'Make val_bpb lower still.'));
		await loop.run();
		expect(seen[0]!.notes.map(n => n.text)).toEqual(['prefer smaller models']);
		expect(seen[0]!.goal).toContain('lower still');
		expect(JSON.parse(readFileSync(path.join(dir, 'runs', 'notes.json'), 'utf8'))).toMatchObject([{id: 1, text: 'prefer smaller models'}]);
		expect(events.filter(e => e.type === 'run-start').map(e => (e as {budgetSeconds: number}).budgetSeconds)).toEqual([7, 7, 7]);
		loop.removeNote(1);
		expect(JSON.parse(readFileSync(path.join(dir, 'runs', 'notes.json'), 'utf8'))).toEqual([]);
		expect(readFileSync(path.join(dir, 'program.md'), 'utf8')).toContain('lower still');
		const log = readFileSync(path.join(dir, 'runs', 'events.jsonl'), 'utf8')
			.trim()
			.split('\n')
			.map(l => JSON.parse(l) as {type: string});
		expect(log.some(e => e.type === 'chat')).toBe(true);
		expect(log.some(e => e.type === 'log')).toBe(false);
	});

	it('a broken program.md edit mid-run keeps the previous rules and says so', async () => {
		const proposer = new ScriptedProposer([r => ({description: 'wider', edits: [replaceLine(r, 'WIDTH = 64', 'WIDTH = 128')]})]);
		const {loop, events} = start(proposer, 2);
		await loop.setup();
		await loop.saveGoal('---\ndirection: up\n---\n');
		await loop.run();
		const warnings = events.filter(e => e.type === 'message' && e.level === 'warn').map(e => (e as {text: string}).text);
		expect(warnings.some(w => /line 2: `direction` must be/.test(w) && /keeping the previous rules/.test(w))).toBe(true);
		expect(events.filter(e => e.type === 'run-end')).toHaveLength(2);
	});

	it('program.md without its front matter mid-run does not switch to other rules', async () => {
		const proposer = new ScriptedProposer([
			r => ({description: 'wider', edits: [replaceLine(r, 'WIDTH = 64', 'WIDTH = 128')]}),
			r => ({description: 'faster', edits: [replaceLine(r, 'LEARNING_RATE = 0.01', 'LEARNING_RATE = 0.02')]}),
		]);
		const {loop, events, dir} = start(proposer, 3);
		await loop.setup();
		await loop.saveGoal(`typed at the top ${loop.readGoal()}`);
		await loop.run();
		const warnings = events.filter(e => e.type === 'message' && e.level === 'warn').map(e => (e as {text: string}).text);
		expect(warnings.some(w => /front matter .* is gone/.test(w))).toBe(true);
		expect(rows(dir).map(r => r[4])).toEqual(['baseline', 'wider', 'faster']);
	});

	it('/stop kills the run now, recorded as crash; quit(finish) lets the run end and be recorded', async () => {
		const slow = fakeTrain.replace('SLEEP = 0.0', 'SLEEP = 3.0');
		const proposer = new ScriptedProposer([
			r => ({description: 'first', edits: [replaceLine(r, 'WIDTH = 64', 'WIDTH = 128')]}),
			r => ({description: 'second', edits: [replaceLine(r, 'LEARNING_RATE = 0.01', 'LEARNING_RATE = 0.02')]}),
		]);
		const {loop, dir} = start(proposer, 5, slow);
		const outputOf = (n: number) =>
			new Promise<void>(resolve => {
				const off = loop.subscribe(e => {
					if (e.type === 'log' && e.n === n) {
						off();
						resolve();
					}
				});
			});
		await loop.setup();
		const done = loop.run();
		await outputOf(2);
		loop.stopRun();
		await outputOf(3);
		await loop.quit('finish');
		await done;
		expect(rows(dir).map(r => [r[3], r[4]])).toEqual([
			['keep', 'baseline'],
			['crash', 'first'],
			[expect.stringMatching(/keep|discard/), 'second'],
		]);
	});
});
