import {formatValue, parseHyperparameters, parseLiteral, replaceValue, type Hyperparameter} from './hyperparams.js';
import {better} from '../core/metric.js';
import {ProposalError, type Proposal, type ProposalRequest, type Proposer} from '../core/proposer.js';
import type {ExperimentRecord} from '../core/types.js';

// The built-in proposer: a hyperparameter search that needs no model. It is
// stateless between proposals: everything it knows it reads again from the
// results (its descriptions say exactly what changed), so a restart loses
// nothing.

export type Move = {name: string; from: number; to: number};

type Outcome = {
	moves: Move[];
	status: ExperimentRecord['status'];
	metric: number | null;
	/** The best metric at the time this was tried. */
	bestBefore: number | null;
};

const movePattern = /\b([A-Z][A-Z0-9_]*) (\S+) -> (\S+?)(?=,|$|\s)/g;

/** The moves a description names, e.g. `LEARNING_RATE 3e-4 -> 6e-4, WARMUP_RATIO 0.1 -> 0.05`. */
export function parseMoves(description: string): Move[] {
	const moves: Move[] = [];
	for (const m of description.matchAll(movePattern)) {
		const from = parseLiteral(m[2]!);
		const to = parseLiteral(m[3]!);
		if (from && to) moves.push({name: m[1]!, from: from.value, to: to.value});
	}
	return moves;
}

type Config = Map<string, number>;

const signature = (config: Config): string =>
	[...config.entries()]
		.sort(([a], [b]) => a.localeCompare(b))
		.map(([k, v]) => `${k}=${Number(v.toPrecision(6))}`)
		.join(',');

export type SearchOptions = {
	/** Which device's constants to tune (`CPU_*` or `CUDA_*`); shared ones are always tuned. */
	device?: 'cpu' | 'cuda';
	/** Initial multiplicative step for continuous parameters. */
	initialStep?: number;
};

type Candidate = {moves: Move[]; why: string};

export class SearchProposer implements Proposer {
	readonly name = 'search';
	readonly pipelined = false;

	constructor(private readonly options: SearchOptions = {}) {}

	async propose(request: ProposalRequest): Promise<Proposal> {
		const file = request.rules.editable.find(f => parseHyperparameters(request.files[f] ?? '').length > 0);
		if (!file) {
			throw new ProposalError(
				`no hyperparameter block found in ${request.rules.editable.join(', ')}: the search proposer tunes top-level ` +
					'`NAME = literal` constants (ideally between `# --- hyperparameters ---` and `# --- end hyperparameters ---`)',
			);
		}
		const params = parseHyperparameters(request.files[file]!).filter(p => this.tunable(p));
		if (params.length === 0) throw new ProposalError(`no tunable constants in ${file}'s hyperparameter block`);
		const current: Config = new Map(params.map(p => [p.name, p.value]));
		const {tried, outcomes} = replay(request.results, current);
		for (const raw of this.candidates(params, outcomes, better(request.rules.direction), request.n)) {
			// Compare what will be written: the value as the file's literal style rounds it.
			const candidate = {
				...raw,
				moves: raw.moves.map(move => {
					const param = params.find(p => p.name === move.name)!;
					return {...move, to: parseLiteral(formatValue(param, move.to))?.value ?? move.to};
				}),
			};
			if (candidate.moves.some(move => move.to === move.from)) continue;
			const config = new Map(current);
			for (const move of candidate.moves) config.set(move.name, move.to);
			if (tried.has(signature(config))) continue;
			const edits = candidate.moves.map(move => {
				const param = params.find(p => p.name === move.name)!;
				return {path: file, search: param.line, replace: replaceValue(param, move.to)};
			});
			const check = await request.check(edits);
			if (!check.ok) continue;
			const description = candidate.moves
				.map(move => {
					const param = params.find(p => p.name === move.name)!;
					const line = replaceValue(param, move.to);
					return `${move.name} ${param.raw} -> ${line
						.slice(line.indexOf('=') + 1)
						.split('#')[0]!
						.trim()}`;
				})
				.join(', ');
			return {description, rationale: candidate.why, edits, proposer: this.name};
		}
		throw new ProposalError(
			'the search has tried every configuration it can reach from the best; give it new ground (edit program.md or train.py)',
		);
	}

	private tunable(param: Hyperparameter): boolean {
		const device = this.options.device;
		if (device === 'cpu' && param.name.startsWith('CUDA_')) return false;
		if (device === 'cuda' && param.name.startsWith('CPU_')) return false;
		if (param.kind === 'int' && param.value === 0) return false;
		return true;
	}

	/** Candidate moves, most promising first. */
	private *candidates(
		params: Hyperparameter[],
		outcomes: Outcome[],
		better: (a: number, b: number) => boolean,
		n: number,
	): Generator<Candidate> {
		const history = new Map<string, Outcome[]>();
		for (const outcome of outcomes) {
			if (outcome.moves.length !== 1) continue;
			const name = outcome.moves[0]!.name;
			history.set(name, [...(history.get(name) ?? []), outcome]);
		}
		// Momentum: the last single move that was kept, pushed further the same way.
		const lastKept = [...outcomes].reverse().find(o => o.status === 'keep' && o.moves.length === 1);
		if (lastKept) {
			const move = lastKept.moves[0]!;
			const param = params.find(p => p.name === move.name);
			if (param && param.value === move.to) {
				const next = stepFrom(param, move.to, move.to / move.from, move.to - move.from);
				if (next !== undefined)
					yield {
						moves: [{name: param.name, from: param.value, to: next}],
						why: `${param.name}: the last move this way was kept; pushing further`,
					};
			}
		}
		// Every parameter, fewest tries first (untried first, those that never moved the metric last), each
		// way with a step that halves (in log space) every time that way fails from the current value.
		const insensitive = (name: string): boolean => {
			const own = history.get(name) ?? [];
			return own.length >= 2 && own.every(o => o.metric !== null && o.bestBefore !== null && Math.abs(o.metric - o.bestBefore) < 1e-9);
		};
		const tries = (name: string): number => (history.get(name)?.length ?? 0) + (insensitive(name) ? 1000 : 0);
		const ordered = [...params].sort((a, b) => tries(a.name) - tries(b.name));
		for (const param of ordered) {
			const own = history.get(param.name) ?? [];
			if (param.kind === 'bool') {
				yield {moves: [{name: param.name, from: param.value, to: param.value ? 0 : 1}], why: `${param.name}: try the other setting`};
				continue;
			}
			const fromHere = own.filter(o => o.status !== 'keep' && o.moves[0]!.from === param.value);
			const fails = (dir: number): number => fromHere.filter(o => (o.moves[0]!.to > param.value ? 1 : -1) === dir).length;
			const crashed = (dir: number): boolean =>
				own.some(o => o.status === 'crash' && (dir > 0 ? o.moves[0]!.to > param.value : o.moves[0]!.to < param.value));
			const keptUp = own.some(o => o.status === 'keep' && o.moves[0]!.to > o.moves[0]!.from);
			const directions = [1, -1].sort((a, b) => fails(a) - fails(b) || (keptUp ? b - a : n % 2 === 0 ? a - b : b - a));
			for (const dir of directions) {
				if (crashed(dir)) continue;
				const step = Math.max(this.options.initialStep ?? 2, 1.05) ** (1 / 2 ** fails(dir));
				if (step < 1.08 && param.kind === 'float') continue; // Converged this way.
				const to = stepFrom(param, param.value, dir > 0 ? step : 1 / step, dir);
				if (to !== undefined) {
					const tried = own.length === 0 ? 'untried so far' : `${own.length} tries so far, step x${step.toFixed(2)}`;
					yield {moves: [{name: param.name, from: param.value, to}], why: `${param.name} ${dir > 0 ? 'up' : 'down'} (${tried})`};
				}
			}
		}
		// Pairs of near misses: two changes that each almost helped may help together.
		const nearMisses = outcomes
			.filter(o => o.status === 'discard' && o.moves.length === 1 && o.metric !== null && o.bestBefore !== null)
			.filter(o => params.some(p => p.name === o.moves[0]!.name && p.value === o.moves[0]!.from))
			.sort((a, b) => (better(a.metric!, b.metric!) ? -1 : 1))
			.slice(0, 6);
		for (let i = 0; i < nearMisses.length; i++) {
			for (let j = i + 1; j < nearMisses.length; j++) {
				const a = nearMisses[i]!.moves[0]!;
				const b = nearMisses[j]!.moves[0]!;
				if (a.name !== b.name) yield {moves: [a, b], why: `two near misses together (${a.name}, ${b.name})`};
			}
		}
		// Last resort: small random pairs, seeded by the experiment number so a rerun proposes the same.
		const random = mulberry32(n);
		for (let k = 0; k < 50 && params.length > 0; k++) {
			const a = params[Math.floor(random() * params.length)]!;
			const b = params[Math.floor(random() * params.length)]!;
			const moves: Move[] = [];
			for (const p of a === b ? [a] : [a, b]) {
				const factor = 1 + 0.1 + random() * 0.3;
				const to = stepFrom(p, p.value, random() < 0.5 ? factor : 1 / factor, random() < 0.5 ? 1 : -1);
				if (to !== undefined) moves.push({name: p.name, from: p.value, to});
			}
			if (moves.length > 0) yield {moves, why: 'a small random step: nearby single moves are exhausted'};
		}
	}
}

/**
 * The value one step from `value`: multiplicative for positive floats and
 * larger integers, one unit for small integers, on `1 - v` for betas.
 */
export function stepFrom(param: Hyperparameter, value: number, factor: number, direction: number): number | undefined {
	if (param.kind === 'bool') return undefined;
	const up = direction > 0 || factor > 1;
	if (param.kind === 'int') {
		if (value >= 16 || (value >= 8 && Number.isInteger(Math.log2(value)))) {
			const to = Math.round(up ? value * 2 : value / 2);
			return to >= 1 && to !== value ? to : undefined;
		}
		const to = value + (up ? 1 : -1);
		return to >= 1 ? to : undefined;
	}
	if (value === 0) return up ? 0.05 : undefined;
	if (/BETA/.test(param.name) && value > 0 && value < 1) {
		const gap = (1 - value) / (up ? factor : 1 / factor);
		const to = 1 - gap;
		return to > 0 && to < 1 ? to : undefined;
	}
	const f = factor > 1 ? factor : 1 / factor;
	let to = up ? value * f : value / f;
	if (/RATIO|FRAC|DROPOUT/.test(param.name) && to >= 1) to = (value + 1) / 2;
	return Number(to.toPrecision(3)) === Number(value.toPrecision(3)) ? undefined : to;
}

/**
 * Rebuilds what was tried: undo the kept moves from the current best to get
 * the baseline, then replay every experiment forward.
 */
export function replay(results: readonly ExperimentRecord[], current: Config): {tried: Set<string>; outcomes: Outcome[]} {
	const parsed = results.map(r => ({record: r, moves: parseMoves(r.description).filter(m => current.has(m.name))}));
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
		if (moves.length > 0) outcomes.push({moves, status: record.status, metric: record.metric, bestBefore: bestMetric});
		if (record.status === 'keep') {
			best = config;
			bestMetric = record.metric;
		}
	}
	tried.add(signature(current));
	return {tried, outcomes};
}

function mulberry32(seed: number): () => number {
	let a = seed >>> 0;
	return () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}
