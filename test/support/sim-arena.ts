import {chmodSync, mkdirSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {makeArena, type TempArena} from './workspace.js';

// A simulated arena with a known truth, for measuring the judge and the
// proposers: its "training run" is an awk script that reads the
// hyperparameter block of its train.py and prints autoresearch's output,
// with a metric that is a known smooth function of those constants (some
// matter, some do not) plus Gaussian noise of a chosen size, seeded by the
// run's experiment number. It runs in a millisecond, so a benchmark can do
// hundreds of experiments; the same function in TypeScript (`truth`) says
// what each configuration is really worth.

export type Knob = {
	name: string;
	start: number;
	/** How the value enters the bowl: log (natural), log2, lin, or not at all. */
	kind: 'log' | 'log2' | 'lin' | 'none';
	optimum: number;
	weight: number;
	/** Where random search samples it (log-uniform for log kinds, uniform otherwise). */
	range: [number, number];
	int?: boolean;
	comment: string;
};

/**
 * Random search samples each knob around the baseline's value, as wide as
 * the built-in search can walk in a night (16 times up or down for a scale,
 * 4 either way for a count), knowing nothing of where the optimum is.
 */
const around = (start: number, kind: Knob['kind'], int: boolean): [number, number] =>
	kind === 'lin' || (kind === 'none' && int && start < 16) ? [Math.max(int ? 1 : 0, start - 4), start + 4] : [start / 16, start * 16];

const knob = (k: Omit<Knob, 'range'>): Knob => ({...k, range: around(k.start, k.kind, k.int === true)});

export const simKnobs: Knob[] = [
	knob({name: 'LEARNING_RATE', start: 0.01, kind: 'log', optimum: 0.04, weight: 0.1, comment: 'peak learning rate'}),
	knob({name: 'WARMUP_RATIO', start: 0.2, kind: 'log', optimum: 0.05, weight: 0.1, comment: 'share of the budget spent warming up'}),
	knob({name: 'WIDTH', start: 64, kind: 'log2', optimum: 256, weight: 0.05, int: true, comment: 'model width'}),
	knob({name: 'DEPTH', start: 4, kind: 'lin', optimum: 6, weight: 0.05, int: true, comment: 'layers'}),
	knob({name: 'WEIGHT_DECAY', start: 0.01, kind: 'log', optimum: 0.08, weight: 0.03, comment: 'AdamW weight decay'}),
	knob({name: 'LOG_EVERY', start: 10, kind: 'none', optimum: 10, weight: 0, int: true, comment: 'steps between log lines'}),
	knob({name: 'SEED_OFFSET', start: 3, kind: 'none', optimum: 3, weight: 0, int: true, comment: 'data order seed'}),
	knob({name: 'CLIP_NORM', start: 1.0, kind: 'none', optimum: 1, weight: 0, comment: 'gradient clipping'}),
];

/** The metric a configuration is really worth (lower is better); 1.0 at the optimum. */
export function truth(config: ReadonlyMap<string, number>, knobs: readonly Knob[] = simKnobs): number {
	let f = 1;
	for (const k of knobs) {
		const x = config.get(k.name) ?? k.start;
		if (k.kind === 'none' || k.weight === 0) continue;
		const d = k.kind === 'log' ? Math.log(x / k.optimum) : k.kind === 'log2' ? Math.log2(x / k.optimum) : x - k.optimum;
		f += k.weight * d * d;
	}
	return f;
}

export function startConfig(knobs: readonly Knob[] = simKnobs): Map<string, number> {
	return new Map(knobs.map(k => [k.name, k.start]));
}

const literal = (k: Knob, v: number): string => (k.int ? String(Math.round(v)) : Number.isInteger(v) ? `${v}.0` : String(v));

export function trainPy(knobs: readonly Knob[] = simKnobs, config = startConfig(knobs)): string {
	const lines = knobs.map(k => `${k.name} = ${literal(k, config.get(k.name) ?? k.start)}  # ${k.comment}`);
	return [
		'# A simulated training script: sim.awk reads the constants below.',
		'# --- hyperparameters ---',
		...lines,
		'# --- end hyperparameters ---',
		'',
	].join('\n');
}

/** Reads the constants back from a train.py's text. */
export function configOf(text: string): Map<string, number> {
	const out = new Map<string, number>();
	for (const line of text.split('\n')) {
		const m = /^([A-Z][A-Z0-9_]*)\s*=\s*([^#]+?)\s*(#.*)?$/.exec(line);
		if (m && Number.isFinite(Number(m[2]))) out.set(m[1]!, Number(m[2]));
	}
	return out;
}

const awk = String.raw`# The simulated run: the bowl of sim.spec, evaluated at train.py's constants, plus noise.
FILENAME ~ /sim\.spec$/ {
	if ($1 == "noise") noise = $2 + 0; else if ($1 == "budgetgain") budgetgain = $2 + 0; else { kind[$1] = $2; opt[$1] = $3 + 0; w[$1] = $4 + 0 }
	next
}
/^[A-Z][A-Z0-9_]* *=/ {
	line = $0; sub(/#.*/, "", line); split(line, a, "="); name = a[1]; v = a[2]
	gsub(/[ \t]/, "", name); gsub(/[ \t]/, "", v); val[name] = v + 0
}
END {
	f = 1.0
	for (n in kind) {
		x = (n in val) ? val[n] : opt[n]
		if (kind[n] == "log") { d = log(x / opt[n]); f += w[n] * d * d }
		else if (kind[n] == "log2") { d = log(x / opt[n]) / log(2); f += w[n] * d * d }
		else if (kind[n] == "lin") { d = x - opt[n]; f += w[n] * d * d }
	}
	seed = (ENVIRON["SIM_SEED"] * 7919 + ENVIRON["NIGHTSHIFT_EXPERIMENT"] * 104729) % 2147483647
	srand(seed); u1 = rand(); u2 = rand(); if (u1 < 1e-12) u1 = 1e-12
	y = f + noise * sqrt(-2 * log(u1)) * cos(6.283185307179586 * u2)
	# A longer budget trains more: the same code scores better (the trap equal budgets avoid).
	if (budgetgain > 0) y -= budgetgain * log(ENVIRON["NIGHTSHIFT_TIME_BUDGET"] + 0)
	printf "step 00001 (100.0%%) | loss: %.6f | remaining: 0s\n", y
	print "---"
	printf "val_bpb:          %.6f\n", y
	print "training_seconds: 1.0"
	print "peak_vram_mb:     0.0"
	print "num_steps:        1"
}
`;

export type SimOptions = {
	noise: number;
	seed: number;
	/** How much better the same code scores per e-fold of budget (0: the budget does not matter). */
	budgetGain?: number;
	knobs?: readonly Knob[];
	/** Extra front matter lines (judge, baseline_runs, ...). */
	rules?: Record<string, string | number>;
};

/** A git repository holding the simulated arena, ready for a Loop. */
export function makeSimArena(options: SimOptions): TempArena {
	const knobs = options.knobs ?? simKnobs;
	const spec = [
		`noise ${options.noise}`,
		`budgetgain ${options.budgetGain ?? 0}`,
		...knobs.filter(k => k.kind !== 'none').map(k => `${k.name} ${k.kind} ${k.optimum} ${k.weight}`),
	].join('\n');
	const rules = Object.entries({budget: 1, timeout: 30, ...options.rules}).map(([k, v]) => `${k}: ${v}`);
	const program = [
		'---',
		'editable: [arena/train.py]',
		'command: sh run.sh',
		'cwd: arena',
		'metric: val_bpb',
		'direction: lower',
		...rules,
		'---',
		'Lower val_bpb. A simulated arena with a known truth.',
		'',
	].join('\n');
	const arena = makeArena({
		'program.md': program,
		'arena/train.py': trainPy(knobs),
		'arena/sim.spec': spec + '\n',
		'arena/sim.awk': awk,
		'arena/run.sh': `SIM_SEED=${options.seed} exec awk -f sim.awk sim.spec train.py\n`,
	});
	chmodSync(path.join(arena.dir, 'arena', 'run.sh'), 0o755);
	mkdirSync(path.join(arena.dir, 'runs'), {recursive: true});
	writeFileSync(path.join(arena.dir, '.git', 'info', 'exclude'), '/runs/\n');
	return arena;
}
