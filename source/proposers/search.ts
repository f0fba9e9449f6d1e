import {formatValue, knobEdits, readHyperparameters, type Hyperparameter, type Value} from './hyperparams.js';
import {replay, signature, valueKey, type Config, type Move, type Outcome} from './moves.js';
import {further, ladder, way, type Dir} from './steps.js';
import {better} from '../core/metric.js';
import {describeMemory} from './memory.js';
import {ProposalError, type ExperimentMemory, type Proposal, type ProposalRequest, type Proposer} from '../core/proposer.js';
import type {ArenaRules} from '../core/types.js';

// The built-in proposer: a hyperparameter search that needs no model. It
// moves only the knobs the training script declares (hyperparams.ts), by
// steps fit for each kind (steps.ts), and never proposes what was tried,
// runs now or is prepared (moves.ts). It is stateless between proposals and
// deterministic for a given history and experiment number, so a restart or
// a second worker sees the same search.

export {parseMoves, replay, type Move} from './moves.js';

export type SearchOptions = {
	/** Which device's constants to tune (`CPU_*` or `CUDA_*`); shared ones are always tuned. */
	device?: 'cpu' | 'cuda';
	/** Initial multiplicative step for continuous parameters. */
	initialStep?: number;
};

/** Dry-run refusals (repeats aside) after which the search gives up on this experiment. */
const maxRefusals = 20;

type Candidate = {moves: Move[]; why: (words: string) => string};

/** Never moved the metric: inside the noise band where the judge measured one, else exactly the best. */
const quiet = (o: Outcome): boolean =>
	o.metric !== null &&
	(o.delta !== undefined && o.band !== undefined
		? Math.abs(o.delta) < o.band
		: o.bestBefore !== null && Math.abs(o.metric - o.bestBefore) < 1e-9);

/** A discard that may have helped: within the band of the best where there is one, any discard where there is none. */
const nearMiss = (o: Outcome): boolean =>
	o.status === 'discard' &&
	o.metric !== null &&
	(o.delta !== undefined && o.band !== undefined ? Math.abs(o.delta) < o.band : o.bestBefore !== null);

/** A discard that came out worse than the best by more than the noise: that way is not the way. */
const clearlyWorse = (o: Outcome, better: (a: number, b: number) => boolean): boolean =>
	o.status === 'discard' &&
	o.metric !== null &&
	o.delta !== undefined &&
	o.band !== undefined &&
	Math.abs(o.delta) > o.band &&
	better(o.metric - o.delta, o.metric);

/** A discard that looked better than the best, by less than the noise: the judge could not tell. */
const promising = (o: Outcome, better: (a: number, b: number) => boolean): boolean =>
	o.status === 'discard' && o.metric !== null && o.delta !== undefined && o.band !== undefined && better(o.metric, o.metric - o.delta);

const goes = (move: Move): Dir => (typeof move.from === 'number' && typeof move.to === 'number' && move.to < move.from ? -1 : 1);

export class SearchProposer implements Proposer {
	readonly name = 'search';
	readonly pipelined = false;

	constructor(private readonly options: SearchOptions = {}) {}

	/** The same digest a model gets: what the search itself replays is in the results, this is for the human. */
	describeMemory(history: readonly ExperimentMemory[], rules: ArenaRules): string {
		return describeMemory(history, {direction: rules.direction});
	}

	async propose(request: ProposalRequest): Promise<Proposal> {
		// A file that declares its section wins over one read whole: an editable prepare.py must not lose its TIME_BUDGET.
		const read = request.rules.editable.map(path => ({path, ...readHyperparameters(request.files[path] ?? '')}));
		const chosen = read.find(r => r.section.how !== 'file' && r.params.length > 0) ?? read.find(r => r.params.length > 0);
		if (!chosen) {
			throw new ProposalError(
				`no hyperparameter block found in ${request.rules.editable.join(', ')}: the search proposer tunes top-level ` +
					'`NAME = literal` constants between `# --- hyperparameters ---` and `# --- end hyperparameters ---`, or under a ' +
					'banner titled "Hyperparameters" (docs/SEARCH.md)',
			);
		}
		const source = request.files[chosen.path]!;
		const params = chosen.params.filter(p => this.tunable(p));
		if (params.length === 0) throw new ProposalError(`no tunable constants in ${chosen.path}'s hyperparameter block`);
		const byName = new Map(params.map(p => [p.name, p]));
		const current: Config = new Map(params.map(p => [p.name, p.value]));
		// Older callers may leave inFlight out; nothing in flight then.
		const {tried, outcomes} = replay(request.results, request.inFlight ?? [], current);
		let refused = 0;
		for (const candidate of this.candidates(params, outcomes, better(request.rules.direction), request.n)) {
			if (candidate.moves.some(move => move.to === move.from)) continue;
			const config = new Map(current);
			for (const move of candidate.moves) config.set(move.name, move.to);
			const key = signature(config);
			if (tried.has(key)) continue;
			tried.add(key); // A later candidate reaching the same configuration is not checked twice.
			const changes = candidate.moves.map(move => ({param: byName.get(move.name)!, value: move.to}));
			const edits = knobEdits(source, changes).map(edit => ({path: chosen.path, ...edit}));
			// The dry run refuses a repeat of an experiment this search cannot read back (the model's, a hand edit): take the next.
			const check = await request.check(edits);
			if (!check.ok) {
				// Refusals other than repeats say the file itself is wrong (it does not compile): stop asking, say why.
				if (!check.repeats && ++refused >= maxRefusals) {
					throw new ProposalError(`the dry run refused ${refused} of the search's candidates; the last: ${check.reason}`);
				}
				continue;
			}
			const words = candidate.moves.map(move => `${move.name} ${way(byName.get(move.name)!, move.from, move.to)}`).join(', ');
			const description = changes.map(({param, value}) => `${param.name} ${param.raw} -> ${formatValue(param, value)}`).join(', ');
			return {description, rationale: candidate.why(words), edits, proposer: this.name};
		}
		throw new ProposalError(
			'the search has tried every configuration it can reach from the best; give it new ground (edit program.md or train.py)',
		);
	}

	private tunable(param: Hyperparameter): boolean {
		const device = this.options.device;
		if (device === 'cpu' && param.constant.startsWith('CUDA_')) return false;
		if (device === 'cuda' && param.constant.startsWith('CPU_')) return false;
		return true;
	}

	/** Candidate moves, most promising first. */
	private *candidates(
		params: Hyperparameter[],
		outcomes: Outcome[],
		better: (a: number, b: number) => boolean,
		n: number,
	): Generator<Candidate> {
		const initialStep = this.options.initialStep ?? 2;
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
			const next = param && further(param, move.from, move.to);
			if (param && next !== undefined) {
				yield {moves: [{name: param.name, from: param.value, to: next}], why: words => `${words} again: the last move this way was kept`};
			}
		}
		// Every knob, fewest tries first (untried first, those that never moved the metric last), each way
		// with the first step of its ladder not yet tried from its current value (steps.ts).
		// Under a noise-aware judge a small step's effect drowns in the noise: only the first two steps of a ladder are worth a run.
		const noisy = outcomes.some(o => o.band !== undefined);
		const reach = noisy ? 2 : Infinity;
		// A move that looked better but stayed inside the noise, tried again once the best has moved on: a fresh look in a new context.
		const lastKeep = outcomes.reduce((at, o, i) => (o.status === 'keep' ? i : at), -1);
		const retried = new Set<string>();
		outcomes.forEach((o, i) => {
			if (o.moves.length !== 1 || i > lastKeep || !promising(o, better)) return;
			const move = o.moves[0]!;
			const param = params.find(p => p.name === move.name);
			if (!param || param.value !== move.from) return;
			const key = `${move.name}=${valueKey(move.to)}`;
			if (retried.has(key)) return;
			retried.add(key);
		});
		for (const key of retried) {
			const [name, to] = [key.slice(0, key.indexOf('=')), key.slice(key.indexOf('=') + 1)];
			const param = params.find(p => p.name === name)!;
			const move = outcomes.find(o => o.moves[0]?.name === name && valueKey(o.moves[0].to) === to)!.moves[0]!;
			yield {
				moves: [{name, from: param.value, to: move.to}],
				why: words => `${words} again: it looked better last time, inside the noise, and the best has moved since`,
			};
		}
		const insensitive = (name: string): boolean => {
			const judged = (history.get(name) ?? []).filter(o => o.status !== 'pending');
			return judged.length >= 2 && judged.every(quiet);
		};
		const tries = (name: string): number => (history.get(name)?.length ?? 0) + (insensitive(name) ? 1000 : 0);
		const ordered = [...params].sort((a, b) => tries(a.name) - tries(b.name));
		for (const param of ordered) {
			const own = history.get(param.name) ?? [];
			const fromHere = own.filter(o => o.moves[0]!.from === param.value);
			const triedHere = new Set(fromHere.map(o => valueKey(o.moves[0]!.to)));
			const fails = (dir: Dir): number => fromHere.filter(o => o.status !== 'keep' && goes(o.moves[0]!) === dir).length;
			const crashed = (dir: Dir): boolean => own.some(o => o.status === 'crash' && beyond(o.moves[0]!.to, param.value, dir));
			const keptUp = own.some(o => o.status === 'keep' && goes(o.moves[0]!) === 1);
			const directions = ([1, -1] as Dir[]).sort((a, b) => fails(a) - fails(b) || (keptUp ? b - a : n % 2 === 0 ? a - b : b - a));
			// Under noise: a way that came out worse beyond the noise from here is done (a smaller step that way only
			// matters less), and a knob that never moved the metric either way gets no finer steps.
			const worse = (dir: Dir): boolean => noisy && fromHere.some(o => goes(o.moves[0]!) === dir && clearlyWorse(o, better));
			const steps = noisy && insensitive(param.name) ? 1 : reach;
			for (const dir of directions) {
				if (crashed(dir) || worse(dir)) continue;
				const to = ladder(param, dir, initialStep)
					.slice(0, steps)
					.find(v => !triedHere.has(valueKey(v)));
				if (to === undefined) continue;
				const so = own.length === 0 ? 'untried so far' : `${own.length} ${own.length === 1 ? 'try' : 'tries'} so far`;
				yield {moves: [{name: param.name, from: param.value, to}], why: words => `${words} (${so})`};
			}
		}
		// Pairs of near misses: two changes that each almost helped may help together.
		const nearMisses = outcomes
			.filter(o => o.moves.length === 1 && nearMiss(o) && !(noisy && insensitive(o.moves[0]!.name)))
			.filter(o => params.some(p => p.name === o.moves[0]!.name && p.value === o.moves[0]!.from))
			.sort((a, b) => (better(a.metric!, b.metric!) ? -1 : better(b.metric!, a.metric!) ? 1 : 0))
			.slice(0, 6);
		for (let i = 0; i < nearMisses.length; i++) {
			for (let j = i + 1; j < nearMisses.length; j++) {
				const a = nearMisses[i]!.moves[0]!;
				const b = nearMisses[j]!.moves[0]!;
				if (a.name !== b.name) yield {moves: [a, b], why: words => `two near misses together (${words})`};
			}
		}
		// Last resort: small random pairs, seeded by the experiment number so a rerun proposes the same.
		const random = mulberry32(n);
		for (let k = 0; k < 50 && params.length > 0; k++) {
			const a = params[Math.floor(random() * params.length)]!;
			const b = params[Math.floor(random() * params.length)]!;
			const moves: Move[] = [];
			for (const p of a === b ? [a] : [a, b]) {
				const steps = ladder(p, random() < 0.5 ? 1 : -1, initialStep);
				const to = steps[Math.floor(random() * Math.min(3, steps.length))];
				if (to !== undefined) moves.push({name: p.name, from: p.value, to});
			}
			if (moves.length > 0) yield {moves, why: words => `a small random step (${words}): nearby single moves are exhausted`};
		}
	}
}

/** True when `to` lies past `value` going `dir`. */
function beyond(to: Value, value: Value, dir: Dir): boolean {
	if (typeof to !== 'number' || typeof value !== 'number') return false;
	return dir > 0 ? to > value : to < value;
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
