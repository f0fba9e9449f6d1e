import {parseValue, type Value} from './hyperparams.js';
import type {InFlight} from '../core/proposer.js';
import type {ExperimentRecord} from '../core/types.js';

// What the built-in search has tried, read back from the results and from
// the experiments in flight: their descriptions say exactly what changed
// (`NAME old -> new`), so the search keeps no state of its own and a
// restart, or a second worker, loses nothing and repeats nothing.

export type Move = {name: string; from: Value; to: Value};

/** Knob name (with `[i]` for a tuple element), old value, new value; values are numbers, bools or quoted strings. */
const movePattern = /\b([A-Z][A-Z0-9_]*(?:\[\d+\])?) ("[^"]*"|'[^']*'|\S+) -> ("[^"]*"|'[^']*'|[^\s,]+)/g;

/** Tags the loop appends to a description: ` [mean of 3 runs]`, ` [budget 20s]`. */
const trailingTags = /(\s+\[[^\]]*\])+\s*$/;

/** The moves a description names, e.g. `LEARNING_RATE 3e-4 -> 6e-4, ADAM_BETAS[0] 0.8 -> 0.85`. */
export function parseMoves(description: string): Move[] {
	const moves: Move[] = [];
	for (const m of description.replace(trailingTags, '').matchAll(movePattern)) {
		const from = parseValue(m[2]!);
		const to = parseValue(m[3]!);
		if (from !== undefined && to !== undefined) moves.push({name: m[1]!, from, to});
	}
	return moves;
}

/** Knob name to value. */
export type Config = Map<string, Value>;

/** A value as a key: numbers to six digits, so that a float read back from a description equals the one computed. */
export const valueKey = (v: Value): string => (typeof v === 'number' ? String(Number(v.toPrecision(6))) : JSON.stringify(v));

export const signature = (config: Config): string =>
	[...config.entries()]
		.sort(([a], [b]) => a.localeCompare(b))
		.map(([k, v]) => `${k}=${valueKey(v)}`)
		.join(',');

export type Outcome = {
	moves: Move[];
	/** `pending`: running or prepared now, not judged yet. */
	status: 'keep' | 'discard' | 'crash' | 'pending';
	metric: number | null;
	/** The best metric at the time this was tried. */
	bestBefore: number | null;
	/** Where the judge measured noise: the metric less the best's, and the band it had to leave. */
	delta?: number;
	band?: number;
};

type Judged = ExperimentRecord & {status: 'keep' | 'discard' | 'crash'};

/** Re-runs re-measure an experiment already judged: they try nothing new. */
const judged = (r: ExperimentRecord): r is Judged => r.status !== 'rerun';

/**
 * Rebuilds what was tried: undo the kept moves from the current best to get
 * the baseline, replay every judged experiment forward, then add those in
 * flight (each tried on the current best).
 */
export function replay(
	results: readonly ExperimentRecord[],
	inFlight: readonly InFlight[],
	current: Config,
): {tried: Set<string>; outcomes: Outcome[]} {
	const parsed = results.filter(judged).map(r => ({record: r, moves: parseMoves(r.description).filter(m => current.has(m.name))}));
	const baseline = new Map(current);
	for (const {record, moves} of [...parsed].reverse()) {
		if (record.status === 'keep') for (const move of moves) baseline.set(move.name, move.from);
	}
	const tried = new Set<string>();
	const outcomes: Outcome[] = [];
	let best = new Map(baseline);
	let bestMetric: number | null = null;
	for (const {record, moves} of parsed) {
		const config = new Map(best);
		for (const move of moves) config.set(move.name, move.to);
		tried.add(signature(config));
		if (moves.length > 0) {
			const {delta, band} = record;
			outcomes.push({
				moves,
				status: record.status,
				metric: record.metric,
				bestBefore: bestMetric,
				...(delta !== undefined && band !== undefined ? {delta, band} : {}),
			});
		}
		if (record.status === 'keep') {
			best = config;
			bestMetric = record.metric;
		}
	}
	tried.add(signature(current));
	for (const flight of inFlight) {
		const moves = parseMoves(flight.description).filter(m => current.has(m.name));
		if (moves.length === 0) continue;
		const config = new Map(current);
		for (const move of moves) config.set(move.name, move.to);
		tried.add(signature(config));
		outcomes.push({moves, status: 'pending', metric: null, bestBefore: bestMetric});
	}
	return {tried, outcomes};
}
