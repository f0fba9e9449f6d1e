import path from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import type {SandboxMode} from '../../source/core/sandbox.js';
import {checkInvariants, resultRows, sessionProcesses} from '../support/invariants.js';
import {inject, makeFaultArena, messages, noSandbox, runLoop, startLoop, summaryOf, until, widen} from '../support/faults.js';
import {ScriptedProposer} from '../support/scripted-proposer.js';
import type {TempArena} from '../support/workspace.js';

// Issue 10's first fault: a train.py whose child escapes the process group
// (setsid, a double fork) and keeps stdout open held the run "running" past
// its timeout, made Ctrl+C and SIGTERM do nothing for 20 s, recorded a run
// that had printed its result as killed, and outlived nightshift. With the
// sandbox (bwrap: its own pid namespace) and without it (the run's marker
// in every process's environment), each is contained: the loop moves on
// within the timeout and no process is left.

let arena: TempArena | undefined;
afterEach(() => {
	arena?.cleanup();
	arena = undefined;
});

/** A child in a session of its own, and a double-forked grandchild, both holding stdout and stderr. */
const escapees = `
import subprocess
subprocess.Popen(["setsid", "sleep", "600"])
if os.fork() == 0:
    if os.fork() == 0:
        os.setsid()
        time.sleep(600)
        os._exit(0)
    os._exit(0)
os.wait()
`;

const modes: Array<{mode: SandboxMode; skip: string | undefined}> = [
	{mode: 'bwrap', skip: noSandbox()},
	{mode: 'off', skip: undefined},
];

describe.each(modes)('escaped children, sandbox $mode', ({mode, skip}) => {
	it.skipIf(skip !== undefined)(
		`a run that leaves setsid and double-forked children holding stdout is recorded on its result, at once, and leaves no process${skip ? ` (${skip})` : ''}`,
		async () => {
			arena = makeFaultArena({timeout: 8});
			const proposer = new ScriptedProposer([r => inject(r, escapees, 'escapes and exits'), r => widen(r)]);
			const {events} = await runLoop(arena.dir, {proposer, maxExperiments: 3, sandbox: mode});
			const runs = path.join(arena.dir, 'runs');
			const rows = resultRows(runs);
			expect(rows.map(r => [r[3], r[4]])).toEqual([
				['keep', 'baseline'],
				[expect.stringMatching(/keep|discard/), 'escapes and exits'],
				[expect.stringMatching(/keep|discard/), 'WIDTH 128'],
			]);
			// It printed a valid result: recorded on it, not killed, and long before the 8 s timeout.
			const summary = summaryOf(runs, `0002-${rows[1]![0]}`);
			expect(summary['killed']).toBeNull();
			expect(summary['exit_code']).toBe(0);
			expect(summary['seconds'] as number).toBeLessThan(5);
			expect(summary['executor']).toBe(mode === 'bwrap' ? 'bwrap' : 'local');
			expect(events.find(e => e.type === 'session')).toMatchObject({executor: mode === 'bwrap' ? 'bwrap' : 'local'});
			checkInvariants(arena.dir);
		},
	);

	it.skipIf(skip !== undefined)(
		`a run that hangs with escaped children is killed at its timeout, all of it${skip ? ` (${skip})` : ''}`,
		async () => {
			arena = makeFaultArena({timeout: 3});
			const proposer = new ScriptedProposer([r => inject(r, `${escapees}\ntime.sleep(600)`, 'escapes and hangs'), r => widen(r)]);
			const {events} = await runLoop(arena.dir, {proposer, maxExperiments: 3, sandbox: mode});
			const runs = path.join(arena.dir, 'runs');
			const rows = resultRows(runs);
			expect(rows.map(r => [r[3], r[4]])).toEqual([
				['keep', 'baseline'],
				['crash', 'escapes and hangs'],
				['keep', 'WIDTH 128'],
			]);
			const summary = summaryOf(runs, `0002-${rows[1]![0]}`);
			expect(summary['killed']).toBe('timeout');
			// The timeout, the grace (1 s) and the drain: never the escapees' 600 s.
			expect(summary['seconds'] as number).toBeLessThan(3 + 1 + 1 + 2);
			expect(events.filter(e => e.type === 'run-end').map(e => e.reason)[1]).toMatch(/timeout/);
			checkInvariants(arena.dir);
		},
	);

	it.skipIf(skip !== undefined)(`quit now ends such a run at once and leaves nothing${skip ? ` (${skip})` : ''}`, async () => {
		arena = makeFaultArena({timeout: 60});
		const proposer = new ScriptedProposer([r => inject(r, `${escapees}\ntime.sleep(600)`, 'escapes and hangs')]);
		const {loop, events, done} = await startLoop(arena.dir, {proposer, maxExperiments: 3, sandbox: mode});
		await until(() => events.some(e => e.type === 'run-start' && e.n === 2), 30_000, 'experiment 2 to start');
		const runs = path.join(arena.dir, 'runs');
		await until(() => sessionProcesses(runs).length >= 3, 10_000, 'the escapees');
		const asked = Date.now();
		await loop.quit('now');
		await done;
		// The grace (1 s) and the drain (1 s), with room for a loaded machine: not the 20 s of the fault.
		expect(Date.now() - asked).toBeLessThan(5000);
		expect(messages(events, 'error')).toEqual([]);
		checkInvariants(arena.dir);
	});
});
