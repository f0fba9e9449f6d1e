import {existsSync, readFileSync} from 'node:fs';
import path from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import {checkInvariants, resultRows} from '../support/invariants.js';
import {fixedPrepare, inject, makeFaultArena, runLoop, widen} from '../support/faults.js';
import {ScriptedProposer} from '../support/scripted-proposer.js';
import type {TempArena} from '../support/workspace.js';

// Without the sandbox (`sandbox: off`, or no bubblewrap), a run can write
// into its worktree: append to the fixed prepare.py, or drop a module that
// a later run would import. After every run the worktree is checked: a
// changed tracked file or a new untracked one makes the run a crash, and is
// put back, so the next runs read the code as committed.

let arena: TempArena | undefined;
afterEach(() => {
	arena?.cleanup();
	arena = undefined;
});

describe('a run that changes its own worktree (no sandbox)', () => {
	it('is a crash, its changes are put back, and later results are measured against the fixed prepare.py', async () => {
		arena = makeFaultArena();
		const proposer = new ScriptedProposer([
			// OFFSET = -0.5 would make every later run look better: the fault of issue 10.
			r => inject(r, 'open("prepare.py", "a").write("OFFSET = -0.5\\n")', 'lowers the bar'),
			r =>
				inject(
					r,
					'open("helper.py", "w").write("import os\\n")\nos.makedirs("cache", exist_ok=True)\nopen("cache/x", "w")',
					'leaves files',
				),
			r => widen(r),
		]);
		const {events} = await runLoop(arena.dir, {proposer, maxExperiments: 4, sandbox: 'off'});
		const runs = path.join(arena.dir, 'runs');
		const rows = resultRows(runs);
		expect(rows.map(r => [r[3], r[4]])).toEqual([
			['keep', 'baseline'],
			['crash', 'lowers the bar'],
			['crash', 'leaves files'],
			['keep', 'WIDTH 128'],
		]);
		const reasons = events.flatMap(e => (e.type === 'run-end' ? [e.reason] : []));
		expect(reasons[1]).toMatch(/the run changed train\/prepare\.py in its worktree.*put back/);
		expect(reasons[2]).toMatch(/the run added train\/cache\/x, train\/helper\.py in its worktree.*put back/);
		const worktree = path.join(runs, 'worktrees', 'w0', 'train');
		expect(readFileSync(path.join(worktree, 'prepare.py'), 'utf8')).toBe(fixedPrepare);
		expect(existsSync(path.join(worktree, 'helper.py'))).toBe(false);
		expect(existsSync(path.join(worktree, 'cache', 'x'))).toBe(false);
		// WIDTH 128 alone: 1.0 + 0.1 * ln(0.25)^2, with no OFFSET.
		expect(Number(rows[3]![1])).toBeCloseTo(1 + 0.1 * Math.log(0.01 / 0.04) ** 2, 5);
		checkInvariants(arena.dir);
	});
});
