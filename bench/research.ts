// Verdicts with a known truth: the simulated arena (test/support/sim-arena.ts:
// a metric that is a known bowl over the hyperparameters, some of which do
// not matter, plus Gaussian noise) driven by the real Loop, for the judge of
// before (one run against one run: `judge: single`, the baseline run once)
// and the noise-aware judge (`judge: noise`: the baseline run 3 times, close
// calls re-run), each with the built-in search and with random search, at
// an equal budget of runs, over several seeds. The noise is as large as the
// typical true effect of one step of the search from the baseline.
//
// Printed per arm: false keeps (kept changes whose true effect is not an
// improvement over the best they replaced), the share of the reachable
// improvement found (the true metric of the final best between the
// baseline's and the optimum's), and the share of runs spent measuring noise
// (baseline repeats) and confirming close calls.
// Last line: `research: <false-keep %> false keeps, <reached %> reached`
// (the noise-aware judge with the built-in search; reached is the median).
// BENCH_SEEDS (default 10) and BENCH_RUNS (default 100) change the size.
import {execFileSync} from 'node:child_process';
import {readFileSync} from 'node:fs';
import path from 'node:path';
import {Loop} from '../source/core/loop.js';
import {noiseRule, type NoiseRule} from '../source/core/noise.js';
import type {Proposal, ProposalRequest, Proposer} from '../source/core/proposer.js';
import {SearchProposer} from '../source/proposers/search.js';
import {configOf, makeSimArena, simKnobs, startConfig, truth, type Knob} from '../test/support/sim-arena.js';

const seeds = Number(process.env.BENCH_SEEDS ?? 10);
/** For trying other thresholds: BENCH_RULE='{"screen":0.5}' (the default is core/noise.ts's). */
const ruleOverride = process.env.BENCH_RULE ? (JSON.parse(process.env.BENCH_RULE) as Partial<NoiseRule>) : undefined;
/** BENCH_CONFIRM=N overrides program.md's default confirm_runs. */
const confirmRuns = process.env.BENCH_CONFIRM === undefined ? undefined : Number(process.env.BENCH_CONFIRM);
const runsPerSession = Number(process.env.BENCH_RUNS ?? 100);

/**
 * The true effects of the steps from the baseline to the optimum, one
 * constant at a time, each step the search's first (x2 or /2 for a scale,
 * 1 for a count): the first steps of each constant, and all the steps of the
 * path. The noise is set to the median of all of them: the typical effect
 * of one step (the first steps are larger, the last ones smaller).
 */
function stepEffects(knobs: readonly Knob[]): {first: number[]; all: number[]} {
	const first: number[] = [];
	const all: number[] = [];
	for (const k of knobs) {
		if (k.kind === 'none' || k.weight === 0) continue;
		let config = startConfig(knobs);
		for (let i = 0; i < 20; i++) {
			const x = config.get(k.name)!;
			if (Math.abs(x - k.optimum) < 1e-12) break;
			const next = k.kind === 'lin' ? x + Math.sign(k.optimum - x) : k.optimum > x ? x * 2 : x / 2;
			const moved = new Map([...config, [k.name, next]]);
			const effect = truth(config, knobs) - truth(moved, knobs);
			(i === 0 ? first : all).push(effect);
			if (i === 0) all.push(effect);
			config = moved;
		}
	}
	return {first, all};
}

const median = (xs: number[]): number => {
	const s = [...xs].sort((a, b) => a - b);
	return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** Random search: every proposal a whole configuration drawn from the space (log-uniform where the scale is logarithmic). */
class RandomProposer implements Proposer {
	readonly name = 'random';
	readonly pipelined = false;
	private random: () => number;

	constructor(seed: number) {
		let a = seed >>> 0;
		this.random = () => {
			a = (a + 0x6d2b79f5) >>> 0;
			let t = a;
			t = Math.imul(t ^ (t >>> 15), t | 1);
			t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
			return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
		};
	}

	propose(request: ProposalRequest): Promise<Proposal> {
		const file = 'arena/train.py';
		const text = request.files[file]!;
		let next = text;
		const parts: string[] = [];
		for (const k of simKnobs) {
			const [lo, hi] = k.range;
			const logScale = k.kind === 'log' || k.kind === 'log2' || (k.kind === 'none' && lo > 0 && hi / lo > 8);
			let v = logScale ? Math.exp(Math.log(lo) + this.random() * (Math.log(hi) - Math.log(lo))) : lo + this.random() * (hi - lo);
			// A ratio stays a ratio.
			if (/RATIO/.test(k.name)) v = Math.min(v, 0.95);
			if (k.kind === 'log2') v = 2 ** Math.round(Math.log2(v));
			v = k.int ? Math.round(v) : Number(v.toPrecision(3));
			next = next.replace(new RegExp(`^${k.name} = [^#]*`, 'm'), `${k.name} = ${k.int ? v : Number.isInteger(v) ? `${v}.0` : v}  `);
			parts.push(`${k.name}=${v}`);
		}
		return Promise.resolve({
			description: `random ${parts.join(' ')}`,
			edits: [{path: file, search: text, replace: next}],
			proposer: this.name,
		});
	}
}

type Arm = {judge: 'single' | 'noise'; proposer: 'search' | 'random'};
type Outcome = {keeps: number; falseKeeps: number; reached: number; runs: number; repeats: number; confirms: number};

async function session(arm: Arm, seed: number, noise: number): Promise<Outcome> {
	const rules: Record<string, string | number> =
		arm.judge === 'noise'
			? {judge: 'noise', ...(confirmRuns === undefined ? {} : {confirm_runs: confirmRuns})}
			: {judge: 'single', baseline_runs: 1};
	const arena = makeSimArena({noise, seed, rules});
	try {
		const proposer = arm.proposer === 'search' ? new SearchProposer() : new RandomProposer(seed * 31 + 7);
		const loop = new Loop({workspace: arena.dir, proposer, ...(ruleOverride ? {noiseRule: {...noiseRule, ...ruleOverride}} : {})});
		let started = 0;
		let repeats = 0;
		let confirms = 0;
		loop.subscribe(event => {
			if (event.type !== 'run-start') return;
			started++;
			if (event.role === 'baseline' && event.n !== 1) repeats++;
			if (event.role === 'confirm') confirms++;
			if (started === runsPerSession) void loop.quit('finish');
		});
		await loop.setup();
		await loop.run();
		const rows = readFileSync(path.join(arena.dir, 'runs', 'results.tsv'), 'utf8')
			.trim()
			.split('\n')
			.slice(1)
			.map(l => l.split('\t'));
		const show = (commit: string): Map<string, number> =>
			configOf(execFileSync('git', ['show', `${commit}:arena/train.py`], {cwd: arena.dir, encoding: 'utf8'}));
		const kept = rows.filter(r => r[3] === 'keep').map(r => r[0]!);
		const values = kept.map(c => truth(show(c)));
		let falseKeeps = 0;
		for (let i = 1; i < values.length; i++) if (!(values[i]! < values[i - 1]!)) falseKeeps++;
		const base = truth(startConfig());
		const best = values.at(-1) ?? base;
		return {keeps: Math.max(0, kept.length - 1), falseKeeps, reached: (base - best) / (base - 1), runs: started, repeats, confirms};
	} finally {
		arena.cleanup();
	}
}

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;

const steps = stepEffects(simKnobs);
const noise = Number(process.env.BENCH_NOISE ?? median(steps.all));
const base = truth(startConfig());
console.log(
	`simulated arena: ${simKnobs.length} constants, ${simKnobs.filter(k => k.weight > 0).length} of them matter; baseline ${base.toFixed(3)}, optimum 1.000`,
);
console.log(
	`true effects of the search's steps from the baseline to the optimum: ${steps.all.map(e => e.toFixed(3)).join(' ')} (first steps: median ${median(steps.first).toFixed(3)})`,
);
console.log(`noise: σ = ${noise.toFixed(3)} per run, the median effect of one step; ${runsPerSession} runs a session, ${seeds} seeds`);
const allArms: Arm[] = [
	{judge: 'single', proposer: 'search'},
	{judge: 'noise', proposer: 'search'},
	{judge: 'single', proposer: 'random'},
	{judge: 'noise', proposer: 'random'},
];
/** BENCH_ARMS=noise/search,single/search runs only those (for a quick look); all four by default. */
const arms = process.env.BENCH_ARMS
	? allArms.filter(a => process.env.BENCH_ARMS!.split(',').includes(`${a.judge}/${a.proposer}`))
	: allArms;
const summary = new Map<string, {falseKeep: number; reached: number}>();
const started = performance.now();
for (const arm of arms) {
	const outcomes: Outcome[] = [];
	for (let seed = 1; seed <= seeds; seed++) outcomes.push(await session(arm, seed, noise));
	const keeps = outcomes.reduce((a, o) => a + o.keeps, 0);
	const falseKeeps = outcomes.reduce((a, o) => a + o.falseKeeps, 0);
	const runs = outcomes.reduce((a, o) => a + o.runs, 0);
	const reached = outcomes.map(o => o.reached);
	const name = `${arm.judge === 'noise' ? 'noise-aware judge' : 'judge of before  '} + ${arm.proposer === 'search' ? 'built-in search' : 'random search  '}`;
	console.log(
		`${name}: false keeps ${falseKeeps}/${keeps} (${pct(keeps ? falseKeeps / keeps : 0)}); reached median ${pct(median(reached))} (min ${pct(Math.min(...reached))}, max ${pct(Math.max(...reached))}); runs on noise ${pct(outcomes.reduce((a, o) => a + o.repeats, 0) / runs)}, on confirmation ${pct(outcomes.reduce((a, o) => a + o.confirms, 0) / runs)}`,
	);
	summary.set(`${arm.judge}/${arm.proposer}`, {falseKeep: keeps ? falseKeeps / keeps : 0, reached: median(reached)});
}
const noiseSearch = summary.get('noise/search') ?? {falseKeep: Number.NaN, reached: Number.NaN};
const noiseRandom = summary.get('noise/random') ?? {falseKeep: Number.NaN, reached: Number.NaN};
console.log(
	`targets: false keeps at most 5% of keeps (noise-aware) -> ${noiseSearch.falseKeep <= 0.05 ? 'met' : 'NOT met'}; built-in search reaches at least 80% in the median, ahead of random -> ${noiseSearch.reached >= 0.8 && noiseSearch.reached > noiseRandom.reached ? 'met' : 'NOT met'}`,
);
console.log(`(${((performance.now() - started) / 1000).toFixed(0)} s)`);
console.log(`research: ${(noiseSearch.falseKeep * 100).toFixed(1)}% false keeps, ${(noiseSearch.reached * 100).toFixed(1)}% reached`);
