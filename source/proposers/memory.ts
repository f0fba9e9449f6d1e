import {locate} from './match.js';
import {renderDigest, type DigestShown} from './model-text.js';
import {parseUnifiedDiffs, type HunkLine} from './unified-diff.js';
import type {ExperimentMemory} from '../core/proposer.js';
import type {Direction} from '../core/types.js';

// What the session has learnt, for a model that forgets everything between
// requests and a loop that reverts every failed change: the lineage of the
// best (each kept change and its gain, with the noise it had to clear), the
// dead ends (a constant moved the same way, or one part of the file changed,
// that failed twice or more without a keep since), the near misses (discards
// within the noise of the best: candidates to combine), and a nudge when the
// last experiments keep circling one spot. Built from the loop's history
// alone, deterministically (same history, same digest), so it survives
// reverts and restarts and costs nothing to rebuild. The words are
// model-text.ts's; the same text serves the screen (/memory).

/** What an experiment changed: a constant moved one way, or code in one scope (`lr_at`, `GPT.forward`; null: top level). */
export type Move = {kind: 'constant'; name: string; way: 'up' | 'down' | 'changed'} | {kind: 'area'; scope: string | null};

export type Tried = Pick<ExperimentMemory, 'n' | 'description' | 'status' | 'metric' | 'delta' | 'band' | 'runs' | 'overruled'>;

export type DeadEnd = {move: Move; tries: Tried[]};

export type Digest = {
	total: number;
	kept: number;
	crashed: number;
	/** The kept experiments, oldest first: how the best came to be. */
	lineage: Tried[];
	/** Most failures first. */
	deadEnds: DeadEnd[];
	/** Closest to beating the best first. */
	nearMisses: Tried[];
	/** Set when the last experiments all touched `subject`; `elsewhere` names parts of the file touched least. */
	nudge?: {subject: Move; count: number; elsewhere: string[]};
};

export type DigestOptions = {
	direction: Direction;
	/** The editable files now (the best): where a change's scope is looked up when the diff's context does not show it. */
	files?: Readonly<Record<string, string>>;
};

const scopeLine = /^(\s*)(?:async\s+)?(?:def|class)\s+([A-Za-z_]\w*)/;
const constant = /^([A-Za-z_]\w*)\s*=(?!=)\s*([^#]*?)\s*(?:#.*)?$/;
const indent = (line: string) => /^\s*/.exec(line)![0].length;

function numberOf(raw: string): number | undefined {
	const text = raw.trim().replace(/_/g, '');
	if (text === 'True' || text === 'False') return text === 'True' ? 1 : 0;
	const power = /^(\d+)\s*\*\*\s*(\d+)$/.exec(text);
	if (power) return Number(power[1]) ** Number(power[2]);
	const n = Number(text);
	return text !== '' && Number.isFinite(n) ? n : undefined;
}

/** Walks up from line `at` of `lines` to the scopes around it, innermost last; `level` is the indentation still to leave. */
function scopesAbove(lines: readonly string[], at: number, level: number): {chain: string[]; level: number} {
	const chain: string[] = [];
	for (let j = at; j >= 0 && level > 0; j--) {
		const line = lines[j]!;
		if (line.trim() === '' || indent(line) >= level) continue;
		level = indent(line);
		const scope = scopeLine.exec(line);
		if (scope) chain.unshift(scope[2]!);
	}
	return {chain, level};
}

/** The scope of a hunk's first changed line: from the hunk's own context, else from the file as it is now. */
function scopeOf(
	path: string | undefined,
	lines: readonly HunkLine[],
	first: number,
	files: Readonly<Record<string, string>>,
): string | null {
	const target = lines[first]!.text;
	const own = scopeLine.exec(target);
	const old = lines
		.slice(0, first)
		.filter(l => l.op !== '+')
		.map(l => l.text);
	if (indent(target) === 0) return own ? own[2]! : null;
	const above = scopesAbove(old, old.length - 1, indent(target));
	let chain = above.chain;
	const content = path === undefined ? undefined : files[path];
	if (above.level > 0 && content !== undefined) {
		const fileLines = content.split('\n');
		const found = locate(fileLines, old.length > 0 ? old : [target]);
		if (found.ok) chain = [...scopesAbove(fileLines, old.length > 0 ? found.end - 1 : found.start - 1, above.level).chain, ...chain];
	}
	if (own) chain.push(own[2]!);
	return chain.length > 0 ? chain.join('.') : null;
}

/** What a unified diff changed, as moves. */
export function movesOf(diff: string, files: Readonly<Record<string, string>> = {}): Move[] {
	const moves: Move[] = [];
	const seen = new Set<string>();
	const add = (m: Move) => {
		const key = moveKey(m);
		if (!seen.has(key)) {
			seen.add(key);
			moves.push(m);
		}
	};
	for (const hunk of parseUnifiedDiffs(diff.split('\n'), () => false)) {
		const was = new Map<string, string>();
		const now = new Map<string, string>();
		for (const l of hunk.lines) {
			const m = l.op !== ' ' && indent(l.text) === 0 ? constant.exec(l.text) : null;
			if (m) (l.op === '-' ? was : now).set(m[1]!, m[2]!);
		}
		const paired = new Set<string>();
		for (const [name, before] of was) {
			const after = now.get(name);
			if (after === undefined || after === before) continue;
			const [a, b] = [numberOf(before), numberOf(after)];
			add({kind: 'constant', name, way: a === undefined || b === undefined || a === b ? 'changed' : b > a ? 'up' : 'down'});
			paired.add(name);
		}
		const rest = hunk.lines.findIndex(l => {
			if (l.op === ' ' || l.text.trim() === '') return false;
			const m = indent(l.text) === 0 ? constant.exec(l.text) : null;
			return !(m && paired.has(m[1]!));
		});
		if (rest !== -1) add({kind: 'area', scope: scopeOf(hunk.path, hunk.lines, rest, files)});
	}
	return moves;
}

export const moveKey = (m: Move): string => (m.kind === 'constant' ? `c:${m.name}:${m.way}` : `a:${m.scope ?? ''}`);
/** Moves on the same spot, whichever way: what a nudge counts. */
const spotKey = (m: Move): string => (m.kind === 'constant' ? `c:${m.name}` : `a:${m.scope ?? ''}`);

const tried = (e: ExperimentMemory): Tried => ({
	n: e.n,
	description: e.description,
	status: e.status,
	metric: e.metric,
	...(e.delta === undefined ? {} : {delta: e.delta}),
	...(e.band === undefined ? {} : {band: e.band}),
	...(e.runs === undefined ? {} : {runs: e.runs}),
	...(e.overruled ? {overruled: true} : {}),
});

/** The top-level functions and classes of the files, in file order. */
function partsOf(files: Readonly<Record<string, string>>): string[] {
	const parts: string[] = [];
	for (const content of Object.values(files)) {
		for (const line of content.split('\n')) {
			const m = scopeLine.exec(line);
			if (m && m[1] === '' && !parts.includes(m[2]!)) parts.push(m[2]!);
		}
	}
	return parts;
}

/** A discard close enough to the best to be worth combining: within its noise band (0.5% of the metric without one). */
function nearMiss(e: ExperimentMemory): boolean {
	if (e.status !== 'discard' || e.metric === null || e.delta === undefined || e.overruled) return false;
	const band = e.band ?? Math.abs(e.metric) * 0.005;
	return Math.abs(e.delta) <= band;
}

export function buildDigest(history: readonly ExperimentMemory[], options: DigestOptions): Digest {
	const files = options.files ?? {};
	const moves = history.map(e => movesOf(e.diff, files));
	const failures = new Map<string, {move: Move; tries: Tried[]}>();
	for (const [i, e] of history.entries()) {
		for (const move of moves[i]!) {
			const key = moveKey(move);
			// A keep in the same direction revives it: only failures since the last keep count.
			if (e.status === 'keep') failures.delete(key);
			else failures.set(key, {move, tries: [...(failures.get(key)?.tries ?? []), tried(e)]});
		}
	}
	const deadEnds = [...failures.values()]
		.filter(d => d.tries.length >= 2)
		.sort((a, b) => b.tries.length - a.tries.length || b.tries.at(-1)!.n - a.tries.at(-1)!.n);
	const sign = options.direction === 'lower' ? 1 : -1;
	const nearMisses = history
		.filter(nearMiss)
		.map(tried)
		.sort((a, b) => sign * (a.delta! - b.delta!) || b.n - a.n);
	const digest: Digest = {
		total: history.length,
		kept: history.filter(e => e.status === 'keep').length,
		crashed: history.filter(e => e.status === 'crash').length,
		lineage: history.filter(e => e.status === 'keep').map(tried),
		deadEnds,
		nearMisses,
	};
	const nudge = circling(moves.slice(-3), files, moves);
	return nudge ? {...digest, nudge} : digest;
}

/** The spot the last experiments all touched, if they did, and the parts of the file touched least. */
function circling(last: Move[][], files: Readonly<Record<string, string>>, all: Move[][]): Digest['nudge'] {
	if (last.length < 3) return undefined;
	const shared = last[0]!.filter(m => last.every(moves => moves.some(o => spotKey(o) === spotKey(m))));
	const subject = shared[0];
	if (!subject) return undefined;
	const touches = new Map<string, number>();
	for (const moves of all) {
		for (const m of moves) {
			const root = m.kind === 'area' ? m.scope?.split('.')[0] : undefined;
			if (root) touches.set(root, (touches.get(root) ?? 0) + 1);
		}
	}
	const here = subject.kind === 'area' ? subject.scope?.split('.')[0] : undefined;
	const elsewhere = partsOf(files)
		.filter(p => p !== here)
		.map((p, order) => ({p, order, count: touches.get(p) ?? 0}))
		.sort((a, b) => a.count - b.count || a.order - b.order)
		.slice(0, 3)
		.map(x => x.p);
	return {subject: subject.kind === 'constant' ? {...subject, way: 'changed'} : subject, count: last.length, elsewhere};
}

/** The digest as the model reads it, whole: what /memory shows on the screen. */
export function describeMemory(history: readonly ExperimentMemory[], options: DigestOptions): string {
	return renderDigest(buildDigest(history, options), fullDigest).text;
}

export const fullDigest: DigestShown = {lineage: Infinity, deadEnds: Infinity, nearMisses: Infinity, tries: Infinity};
