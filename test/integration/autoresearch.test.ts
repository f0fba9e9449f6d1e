import {chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import type {LoopEvent} from '../../source/core/events.js';
import {Loop} from '../../source/core/loop.js';
import {SearchProposer} from '../../source/proposers/search.js';
import {makeArena, torchPython, type TempArena} from '../support/workspace.js';

// nightshift pointed at an autoresearch checkout as it is: program.md without
// front matter, prepare.py and train.py at the root, `uv run train.py`, and a
// prepare.py that fixes the budget (TIME_BUDGET = 300) and keeps its data in
// ~/.cache/<name>. The checkout here is written for the test (its layout, not
// autoresearch's code); a stand-in `uv` runs a quick stand-in for train.py
// that prints the budget it was really given, and autoresearch's summary.

let arena: TempArena | undefined;
afterEach(() => {
	arena?.cleanup();
	arena = undefined;
});

const prepare = (cacheName: string) => `"""Fixed data and evaluation (a stand-in with autoresearch's layout)."""
import os

MAX_SEQ_LEN = 2048       # context length
TIME_BUDGET = 300        # training time budget in seconds (5 minutes)

CACHE_DIR = os.path.join(os.path.expanduser("~"), ".cache", "${cacheName}")
DATA_DIR = os.path.join(CACHE_DIR, "data")
TOKENIZER_DIR = os.path.join(CACHE_DIR, "tokenizer")
`;

const train = `# A stand-in for autoresearch's train.py: it reports the budget prepare.py fixes, without training for it.
from prepare import TIME_BUDGET

# ---------------------------------------------------------------------------
# Hyperparameters (edit these directly, no CLI flags needed)
# ---------------------------------------------------------------------------

DEPTH = 8               # number of transformer layers
MATRIX_LR = 0.04        # learning rate for the matrices

# ---------------------------------------------------------------------------
# Setup: model, optimizer, dataloader
# ---------------------------------------------------------------------------

H100_BF16_PEAK_FLOPS = 989.5e12

print(f"Time budget: {TIME_BUDGET}s")
val = 1.0 + 0.01 * abs(DEPTH - 9) + abs(MATRIX_LR - 0.05)
print("---")
print(f"val_bpb:          {val:.6f}")
print(f"training_seconds: {TIME_BUDGET:.1f}")
print("peak_vram_mb:     1024.0")
`;

function checkout(cacheName: string, home: string): TempArena {
	const made = makeArena({
		'program.md': '# autoresearch\n\nLower val_bpb within the fixed time budget.\n',
		'prepare.py': prepare(cacheName),
		'train.py': train,
		'.gitignore': '__pycache__/\n/.bin/\n',
	});
	const bin = path.join(made.dir, '.bin');
	mkdirSync(bin);
	writeFileSync(path.join(bin, 'uv'), `#!/bin/sh\n[ "$1" = run ] && shift\nexec ${torchPython} "$@"\n`);
	chmodSync(path.join(bin, 'uv'), 0o755);
	// Prepared data, as `uv run prepare.py` would leave it.
	const cache = path.join(home, '.cache', cacheName);
	mkdirSync(path.join(cache, 'data'), {recursive: true});
	mkdirSync(path.join(cache, 'tokenizer'), {recursive: true});
	writeFileSync(path.join(cache, 'data', 'shard_00000.parquet'), '');
	writeFileSync(path.join(cache, 'tokenizer', 'tokenizer.pkl'), '');
	return made;
}

async function withPath<T>(dir: string, fn: () => Promise<T>): Promise<T> {
	const before = process.env.PATH;
	process.env.PATH = `${path.join(dir, '.bin')}:${before ?? ''}`;
	try {
		return await fn();
	} finally {
		process.env.PATH = before;
	}
}

describe('an autoresearch checkout', () => {
	it('the budget is the one prepare.py fixes: shown, timed and judged at it; --budget and /budget are refused with why', async () => {
		const home = process.env.HOME!;
		const name = `nightshift-test-${process.pid}-${Date.now()}`;
		arena = checkout(name, home);
		const dir = arena.dir;
		try {
			await withPath(dir, async () => {
				const refused = new Loop({workspace: dir, proposer: new SearchProposer(), budgetSeconds: 60});
				await expect(refused.setup()).rejects.toThrow(
					/--budget 60: the arena fixes its training budget at 300 s \(prepare.py line 5: TIME_BUDGET = 300\)/,
				);
				const loop = new Loop({workspace: dir, proposer: new SearchProposer(), maxExperiments: 3});
				const events: LoopEvent[] = [];
				loop.subscribe(e => events.push(e));
				await loop.setup();
				loop.setBudget(60);
				await loop.run();
				const session = events.find(e => e.type === 'session');
				expect(session).toMatchObject({budgetSeconds: 300});
				const starts = events.flatMap(e => (e.type === 'run-start' ? [e] : []));
				expect(starts.length).toBeGreaterThan(0);
				// The budget shown is the run's own; the timeout follows it (2 x 300 + 60), not a budget the run never saw.
				for (const start of starts) expect(start).toMatchObject({budgetSeconds: 300, timeoutSeconds: 660});
				const log = events.flatMap(e => (e.type === 'log' ? [e.text] : []));
				expect(log).toContain('Time budget: 300s');
				const messages = events.flatMap(e => (e.type === 'message' ? [e.text] : []));
				expect(messages.some(m => /fixes its training budget at 300 s \(prepare.py line 5\)/.test(m))).toBe(true);
				expect(messages.some(m => /^\/budget: the arena fixes its training budget at 300 s/.test(m))).toBe(true);
				// The search moved only the hyperparameter section: never H100_BF16_PEAK_FLOPS.
				const rows = readFileSync(path.join(dir, 'runs', 'results.tsv'), 'utf8');
				expect(rows).not.toMatch(/H100_BF16_PEAK_FLOPS/);
				expect(rows).toMatch(/DEPTH 8 -> (9|7)|MATRIX_LR/);
			});
		} finally {
			rmSync(path.join(home, '.cache', name), {recursive: true, force: true});
		}
	});

	it('data not prepared yet: a clear message naming `uv run prepare.py`, and nothing is recorded', async () => {
		const name = `nightshift-test-absent-${process.pid}-${Date.now()}`;
		arena = checkout(name, path.join(path.sep, 'nonexistent-home'));
		const dir = arena.dir;
		await withPath(dir, async () => {
			const loop = new Loop({workspace: dir, proposer: new SearchProposer(), maxExperiments: 2});
			await expect(loop.setup()).rejects.toThrow(
				new RegExp(
					`the arena's data is not prepared \\(missing: data shards \\(.parquet\\) in .*${name}/data; the tokenizer in .*\\): run \`uv run prepare.py\` once in ${dir.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} \\(it downloads from the network, once\\)`,
				),
			);
		});
	});
});
