import {existsSync, readdirSync, readFileSync} from 'node:fs';
import {homedir} from 'node:os';
import path from 'node:path';

// What an arena says about itself in its code, read before anything runs.
// Two things nightshift cannot change from outside: a training budget fixed
// in the arena's files (autoresearch's prepare.py: `TIME_BUDGET = 300`,
// never reading NIGHTSHIFT_TIME_BUDGET), and data that must be prepared once
// before the first run (autoresearch's `uv run prepare.py`, which downloads).

/** A budget written into the arena's code: the run trains for this long, whatever nightshift passes. */
export type FixedBudget = {seconds: number; file: string; line: number};

/** The Python files a run reads: the workspace's and the run directory's, not deeper. */
function pythonFiles(dirs: readonly string[]): string[] {
	const out = new Set<string>();
	for (const dir of dirs) {
		if (!existsSync(dir)) continue;
		for (const name of readdirSync(dir)) if (name.endsWith('.py')) out.add(path.join(dir, name));
	}
	return [...out];
}

/**
 * The budget fixed in the arena's files: a top-level `TIME_BUDGET = <number>`
 * where no file of the arena reads NIGHTSHIFT_TIME_BUDGET. Undefined when the
 * arena takes its budget from nightshift (the bundled one does).
 */
export function fixedBudget(arenaDir: string, cwd: string): FixedBudget | undefined {
	const files = pythonFiles([arenaDir, path.join(arenaDir, cwd)]);
	let found: FixedBudget | undefined;
	for (const file of files) {
		const text = readFileSync(file, 'utf8');
		if (text.includes('NIGHTSHIFT_TIME_BUDGET')) return undefined;
		const lines = text.split('\n');
		const at = lines.findIndex(l => /^TIME_BUDGET\s*=\s*[\d_.]+\s*(#.*)?$/.test(l));
		if (at === -1 || found) continue;
		const seconds = Number(/=\s*([\d_.]+)/.exec(lines[at]!)![1]!.replace(/_/g, ''));
		if (Number.isFinite(seconds) && seconds > 0)
			found = {seconds, file: path.relative(arenaDir, file) || path.basename(file), line: at + 1};
	}
	return found;
}

/** Where autoresearch-style data lives, when the arena's prepare.py says (`CACHE_DIR = ~/.cache/NAME`, with data/ and tokenizer/ in it). */
export type DataCheck = {ready: boolean; cache: string; missing: string[]; command: string};

/**
 * autoresearch's prepare.py downloads shards into ~/.cache/autoresearch/data
 * and trains a tokenizer into .../tokenizer; train.py fails without them. Read
 * from prepare.py where it keeps them and look. Undefined for an arena whose
 * prepare.py does not follow that layout (the bundled one prepares itself).
 */
export function preparedData(workspace: string, command: string, home = homedir()): DataCheck | undefined {
	const prepare = path.join(workspace, 'prepare.py');
	if (!existsSync(prepare)) return undefined;
	const text = readFileSync(prepare, 'utf8');
	const cache =
		/^CACHE_DIR\s*=\s*os\.path\.join\(\s*os\.path\.expanduser\(\s*["']~["']\s*\)\s*,\s*["']\.cache["']\s*,\s*["']([\w.-]+)["']\s*\)/m.exec(
			text,
		);
	if (!cache) return undefined;
	const cacheDir = path.join(home, '.cache', cache[1]!);
	const dataDir = /^DATA_DIR\s*=\s*os\.path\.join\(\s*CACHE_DIR\s*,\s*["']([\w.-]+)["']\s*\)/m.exec(text)?.[1];
	const tokenizerDir = /^TOKENIZER_DIR\s*=\s*os\.path\.join\(\s*CACHE_DIR\s*,\s*["']([\w.-]+)["']\s*\)/m.exec(text)?.[1];
	if (!dataDir && !tokenizerDir) return undefined;
	const missing: string[] = [];
	if (dataDir) {
		const dir = path.join(cacheDir, dataDir);
		const shards = existsSync(dir) ? readdirSync(dir).filter(f => f.endsWith('.parquet')) : [];
		if (shards.length === 0) missing.push(`data shards (.parquet) in ${dir}`);
	}
	if (tokenizerDir) {
		const dir = path.join(cacheDir, tokenizerDir);
		if (!existsSync(path.join(dir, 'tokenizer.pkl'))) missing.push(`the tokenizer in ${dir}`);
	}
	// The arena's own way to run Python: `uv run prepare.py` for `uv run train.py`.
	const runner = /^(.*?)\btrain\.py\b/.exec(command)?.[1]?.trim();
	return {ready: missing.length === 0, cache: cacheDir, missing, command: `${runner ? `${runner} ` : 'python '}prepare.py`};
}
