import {mkdirSync, readdirSync, readFileSync} from 'node:fs';
import path from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import type {LoopEvent} from '../../source/core/events.js';
import {Loop} from '../../source/core/loop.js';
import {checkInvariants} from '../support/invariants.js';
import {ScriptedProposer, replaceLine} from '../support/scripted-proposer.js';
import {makeArena, torchPython, type TempArena} from '../support/workspace.js';
import {eventsOf} from './standin.js';

// Three local workers sharing one best (no Slurm): a keep lands on one
// worker while the others still run candidates built on the old best; the
// one that still wins is carried onto the new best with git cherry-pick and
// run again there, the one that no longer applies is a discard. Whatever the
// order, the branch rule holds: every commit on the branch was measured as it
// stands there, on top of the commit before it, and beat it.

/**
 * A train.py with one knob a constant, far enough apart that git merges an
 * edit of one with an edit of another, and an order whatever the machine's
 * load: the run with A = 1 alone ends once `starts` runs (the baseline and
 * every candidate) have begun; the other candidates end `after` seconds
 * after it has, so that it is kept while they run. The metric is 2.0 less
 * each knob times its weight.
 */
function syncedTrain(weights: Record<string, number>, starts: number, after: number): string {
	const knobs = Object.keys(weights);
	const tuple = `(${knobs.join(', ')}${knobs.length === 1 ? ',' : ''})`;
	const quick = `(${knobs.map(k => (k === 'A' ? '1' : '0')).join(', ')})`;
	const base = `(${knobs.map(() => '0').join(', ')})`;
	return `import os, time
# --- hyperparameters ---
${knobs.map(k => `${k} = 0  # knob ${k.toLowerCase()}`).join('\n# (spacer)\n# (spacer)\n# (spacer)\n')}
# --- end hyperparameters ---
sync = os.environ["STANDIN_SYNC"]
open(os.path.join(sync, "start-" + "-".join(str(k) for k in ${tuple}) + f"-{os.getpid()}"), "w").close()
def wait_for(ready):
    end = time.time() + 30
    while not ready() and time.time() < end:
        time.sleep(0.05)
if ${tuple} == ${quick}:
    wait_for(lambda: len([f for f in os.listdir(sync) if f.startswith("start-")]) >= ${starts})
    open(os.path.join(sync, "quick-done"), "w").close()
elif ${tuple} != ${base}:
    wait_for(lambda: os.path.exists(os.path.join(sync, "quick-done")))
    time.sleep(${after})
print("---")
print(f"val_bpb:          {2.0 - ${knobs.map(k => `${weights[k]} * ${k}`).join(' - ')}:.6f}")
print("peak_vram_mb:     0.0")
`;
}

const train = syncedTrain({A: 0.1, B: 0.1, C: 0.1}, 4, 1.5);

const program = `---
editable: [train/train.py]
command: python train.py
cwd: train
metric: val_bpb
direction: lower
budget: 1
timeout: 30
baseline_runs: 1
writable: [$STANDIN_SYNC]
---
Make val_bpb low.
`;

type Summary = {parent_full: string; commit_full: string; reason?: string; description: string};

function summaries(runs: string): Map<string, Summary> {
	const byCommit = new Map<string, Summary>();
	for (const folder of readdirSync(runs).filter(f => /^\d{4,}-[0-9a-f]+$/.test(f))) {
		const summary = JSON.parse(readFileSync(path.join(runs, folder, 'summary.json'), 'utf8')) as Summary;
		byCommit.set(summary.commit_full.slice(0, 7), summary);
	}
	return byCommit;
}

let arena: TempArena | undefined;
afterEach(() => {
	arena?.cleanup();
	arena = undefined;
});

describe('three local workers, one best', () => {
	it('keeps on one worker while the others run; carries a winner onto the new best, drops one that no longer applies; the branch rule holds', async () => {
		arena = makeArena({'program.md': program, 'train/train.py': train, '.gitignore': '__pycache__/\nsync/\n'});
		const proposer = new ScriptedProposer([
			r => ({description: 'A to 1', edits: [replaceLine(r, 'A = 0', 'A = 1')]}),
			r => ({description: 'B to 2', edits: [replaceLine(r, 'B = 0', 'B = 2')]}),
			r => ({description: 'A to 3', edits: [replaceLine(r, 'A = 0', 'A = 3')]}),
		]);
		const sync = path.join(arena.dir, 'sync');
		mkdirSync(sync);
		const loop = new Loop({
			workspace: arena.dir,
			python: torchPython,
			killGraceSeconds: 1,
			proposer,
			maxExperiments: 5,
			workers: 3,
			env: {STANDIN_SYNC: sync},
		});
		const events: LoopEvent[] = [];
		loop.subscribe(e => events.push(e));
		await loop.setup();
		await loop.run();

		const runs = path.join(arena.dir, 'runs');
		const rows = checkInvariants(arena.dir);
		expect(new Set(eventsOf(events, 'run-start').map(e => e.worker))).toEqual(new Set(['w0', 'w1', 'w2']));

		// The quick keep was recorded while runs on the two other workers were under way.
		const quick = eventsOf(events, 'run-end').find(e => e.record.description === 'A to 1')!;
		expect(quick.record.status).toBe('keep');
		const at = events.indexOf(quick);
		const open = eventsOf(events, 'run-start').filter(
			s =>
				s.worker !== quick.worker &&
				events.indexOf(s) < at &&
				!events.slice(events.indexOf(s), at).some(e => e.type === 'run-end' && e.n === s.n),
		);
		expect(open.length).toBe(2);

		// B won on the old best: recorded as a discard, carried onto A = 1 and kept there. A to 3 no longer applies there.
		const byDescription = (d: string) => rows.find(r => r[4] === d)!;
		const info = summaries(runs);
		expect(byDescription('B to 2')[3]).toBe('discard');
		expect(info.get(byDescription('B to 2')[0]!)!.reason).toMatch(/carried onto it as #\d+/);
		expect(byDescription('A to 3')[3]).toBe('discard');
		expect(info.get(byDescription('A to 3')[0]!)!.reason).toMatch(/does not apply on top of #\d+/);
		const carried = rows.find(r => /^B to 2 \(on #\d+\)$/.test(r[4]!))!;
		expect(carried[3]).toBe('keep');
		expect(Number(carried[1])).toBeCloseTo(1.7, 6);

		// The branch rule: each keep's parent is the keep before it, and each beat it.
		const keeps = rows.filter(r => r[3] === 'keep');
		expect(keeps.map(r => r[4])).toEqual(['baseline', 'A to 1', carried[4]]);
		for (const [i, keep] of keeps.entries()) {
			if (i === 0) continue;
			const before = keeps[i - 1]!;
			expect(info.get(keep[0]!)!.parent_full.slice(0, 7), `the parent of ${keep[4]}`).toBe(before[0]);
			expect(Number(keep[1])).toBeLessThan(Number(before[1]));
		}
	});
});

const trainACD = syncedTrain({A: 0.1, C: 0.05, D: 0.05}, 5, 1.0);

describe('a candidate outrun by a keep on another worker', () => {
	it('is carried when it beat the best it started from, even if not the new one; a carry that would repeat another experiment is not run', async () => {
		arena = makeArena({'program.md': program, 'train/train.py': trainACD, '.gitignore': '__pycache__/\nsync/\n'});
		const proposer = new ScriptedProposer([
			r => ({description: 'A to 1', edits: [replaceLine(r, 'A = 0', 'A = 1')]}),
			// 1.95 on the baseline each: better than where they started (2.0), not better than A to 1 (1.9).
			r => ({description: 'C to 1', edits: [replaceLine(r, 'C = 0', 'C = 1')]}),
			r => ({description: 'D to 1', edits: [replaceLine(r, 'D = 0', 'D = 1')]}),
			// A and C at once, on the baseline: the files C to 1 carried onto A to 1 would have.
			r => ({description: 'A and C to 1', edits: [replaceLine(r, 'A = 0', 'A = 1'), replaceLine(r, 'C = 0', 'C = 1')]}),
		]);
		const sync = path.join(arena.dir, 'sync');
		mkdirSync(sync);
		const loop = new Loop({
			workspace: arena.dir,
			python: torchPython,
			killGraceSeconds: 1,
			proposer,
			maxExperiments: 8,
			workers: 4,
			env: {STANDIN_SYNC: sync},
		});
		const events: LoopEvent[] = [];
		loop.subscribe(e => events.push(e));
		await loop.setup();
		await loop.run();

		const rows = checkInvariants(arena.dir);
		const info = summaries(path.join(arena.dir, 'runs'));
		const row = (d: string) => rows.find(r => r[4] === d)!;
		const reason = (d: string) => info.get(row(d)[0]!)!.reason!;
		expect(row('A to 1')[3]).toBe('keep');
		for (const d of ['C to 1', 'D to 1', 'A and C to 1']) {
			expect(row(d)[3]).toBe('discard');
			expect(reason(d)).toMatch(/but on the best it started from/);
		}
		// D to 1 and A and C to 1 were carried onto A to 1; C to 1 would have made the files A and C to 1 has.
		expect(reason('D to 1')).toMatch(/carried onto it as #\d+/);
		expect(reason('A and C to 1')).toMatch(/carried onto it as #\d+/);
		expect(reason('C to 1')).toMatch(/it would repeat #\d+/);
		// The two carried ones ran side by side on A to 1: the first to end was kept, the other carried once more and kept there.
		const keeps = rows.filter(r => r[3] === 'keep');
		expect(keeps.map(r => r[4]).slice(0, 2)).toEqual(['baseline', 'A to 1']);
		expect(keeps).toHaveLength(4);
		expect(Number(keeps[2]![1])).toBeCloseTo(1.85, 6);
		expect(Number(keeps[3]![1])).toBeCloseTo(1.8, 6);
		expect(keeps[3]![4]).toMatch(/ \(on #\d+\) \(on #\d+\)$/);
		expect(rows).toHaveLength(8);
	});
});
