// Scaling: experiments per hour with 1, 2 and 4 workers, locally and through
// Slurm, on a stand-in run of fixed length (`sleep 2`, so that a 2-core
// machine holds four at once) and an instant proposer (the built-in search,
// asked ahead as the loop asks a model: proposals are prepared while runs
// train, as they are in use), so what is measured is the loop's own cost per
// experiment as workers are added. baseline_runs: 1, and the clock starts at the first candidate's
// start: steady state, not the baseline. Each worker's rate is its
// experiments over the time from that start to its last result (a worker
// left without work at the limit does not count as slow); the rates add up.
// The Slurm half starts the tests' single-node cluster with 4 gres GPUs and
// 8 declared CPUs, so that 4 jobs of gpu:1 fit at once; without root or
// slurm-wlm it says why and is skipped.
// BENCH_EXPERIMENTS: experiments per worker (default 12); BENCH_RUN_SECONDS: the run's length (default 2).
// Last line: `scale: <ratio at 4 workers, local> x`.
import {execFileSync} from 'node:child_process';
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import type {LoopEvent} from '../source/core/events.js';
import type {Executor} from '../source/core/executor.js';
import {Loop} from '../source/core/loop.js';
import {checkSharedFilesystem, preflightSlurm} from '../source/core/slurm-check.js';
import {SlurmExecutor} from '../source/core/slurm.js';
import type {Proposer} from '../source/core/proposer.js';
import {SearchProposer} from '../source/proposers/search.js';
import {slurmUnavailable, startSlurmCluster, type SlurmCluster} from '../test/support/slurm-cluster.js';

const perWorker = Number(process.env.BENCH_EXPERIMENTS ?? 12);
const runSeconds = Number(process.env.BENCH_RUN_SECONDS ?? 2);
const workerCounts = [1, 2, 4];

function arena(dir: string): void {
	mkdirSync(path.join(dir, 'arena'));
	writeFileSync(
		path.join(dir, 'program.md'),
		`---\neditable: [arena/knob.py]\ncommand: sh run.sh\ncwd: arena\nmetric: val_bpb\ndirection: lower\nbudget: ${runSeconds}\ntimeout: ${runSeconds * 10 + 30}\nbaseline_runs: 1\n---\nbench\n`,
	);
	const knobs = Array.from({length: 10}, (_, i) => `KNOB_${i} = 100  # one of ten settings\n# (knob ${i})\n# (knob ${i})`).join('\n');
	writeFileSync(path.join(dir, 'arena', 'knob.py'), `# --- hyperparameters ---\n${knobs}\n# --- end hyperparameters ---\n`);
	// A run of fixed length whatever the knobs; its metric is their sum (lower is better).
	writeFileSync(
		path.join(dir, 'arena', 'run.sh'),
		`v=$(awk '/^KNOB_/ { s += $3 } END { print s }' knob.py)\nsleep ${runSeconds}\necho "step 00001 (100.0%) | loss: 1.000000"\necho ---\necho "val_bpb:          $v.000000"\necho "peak_vram_mb:     0.0"\n`,
	);
	const git = (...args: string[]) =>
		execFileSync('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@localhost', ...args], {cwd: dir, stdio: 'ignore'});
	git('init', '-q', '-b', 'main');
	git('add', '-A');
	git('commit', '-q', '-m', 'bench arena');
}

/** The built-in search, prepared ahead like a model's proposals (it answers at once either way). */
function searchAhead(): Proposer {
	const search = new SearchProposer();
	return {name: search.name, pipelined: true, propose: request => search.propose(request)};
}

type Measured = {workers: number; perHour: number; experiments: number; wall: number; queued: number};

async function measure(workers: number, executor?: Executor): Promise<Measured> {
	const dir = mkdtempSync(path.join(tmpdir(), 'nightshift-scale-'));
	try {
		arena(dir);
		const loop = new Loop({
			workspace: dir,
			proposer: searchAhead(),
			maxExperiments: 1 + perWorker * workers,
			workers,
			killGraceSeconds: 1,
			...(executor ? {executor} : {}),
		});
		let t0: number | undefined;
		const ends = new Map<string, number[]>();
		const queued = new Set<number>();
		loop.subscribe((event: LoopEvent) => {
			const t = performance.now();
			if (event.type === 'run-start' && event.role !== 'baseline') t0 ??= t;
			if (event.type === 'run-queued') queued.add(event.n);
			if (event.type === 'run-end' && event.record.status !== 'rerun' && event.record.description !== 'baseline' && t0 !== undefined) {
				const worker = event.worker ?? 'w0';
				ends.set(worker, [...(ends.get(worker) ?? []), t]);
			}
		});
		await loop.setup();
		await loop.run();
		if (t0 === undefined) throw new Error('no candidate ran');
		const start = t0;
		let perSecond = 0;
		let experiments = 0;
		let last = start;
		for (const times of ends.values()) {
			const end = Math.max(...times);
			perSecond += times.length / ((end - start) / 1000);
			experiments += times.length;
			last = Math.max(last, end);
		}
		return {workers, perHour: perSecond * 3600, experiments, wall: (last - start) / 1000, queued: queued.size};
	} finally {
		rmSync(dir, {recursive: true, force: true});
	}
}

async function series(label: string, executor?: () => Executor): Promise<Measured[]> {
	const results: Measured[] = [];
	for (const workers of workerCounts) {
		const result = await measure(workers, executor?.());
		results.push(result);
		const ratio = result.perHour / results[0]!.perHour;
		console.log(
			`${label.padEnd(6)} ${String(workers)} worker${workers === 1 ? ' ' : 's'}: ${result.perHour.toFixed(0).padStart(5)} experiments/hour (${result.experiments} in ${result.wall.toFixed(1)} s${result.queued > 0 ? `, ${result.queued} runs queued` : ''}), ${ratio.toFixed(2)} x one worker`,
		);
	}
	return results;
}

function verdict(label: string, results: Measured[], target: number): void {
	const one = results[0]!.perHour;
	const misses = results.filter(r => r.perHour / one < target * r.workers);
	console.log(
		`${label}: target at least ${target} N -> ${misses.length === 0 ? 'met' : `NOT met at ${misses.map(r => `${r.workers} workers (${(r.perHour / one).toFixed(2)})`).join(', ')}`}`,
	);
}

console.log(
	`stand-in run: sleep ${runSeconds} s; proposer: the built-in search, prepared ahead; ${perWorker} experiments per worker after a 1-run baseline`,
);
const local = await series('local');
verdict('local', local, 0.95);

const why = slurmUnavailable();
if (why) console.log(`slurm: skipped (${why})`);
else {
	let cluster: SlurmCluster | undefined;
	try {
		cluster = await startSlurmCluster({gpus: 4, cpus: 8});
	} catch (error) {
		console.log(`slurm: skipped (the test cluster did not start: ${(error as Error).message.split('\n')[0]})`);
	}
	if (cluster) {
		try {
			const env = cluster.env;
			await preflightSlurm({partition: cluster.partition, env});
			const shared = mkdtempSync(path.join(tmpdir(), 'nightshift-scale-check-'));
			try {
				await checkSharedFilesystem(shared, cluster.partition, {env});
			} finally {
				rmSync(shared, {recursive: true, force: true});
			}
			console.log(`slurm: a single-node cluster, 4 gres GPUs and 8 CPUs declared; each job srun --gres=gpu:1`);
			const slurm = await series('slurm', () => new SlurmExecutor({partition: cluster.partition, gres: 'gpu:1', env}));
			verdict('slurm', slurm, 0.9);
		} finally {
			await cluster.stop();
		}
	}
}
console.log(`scale: ${(local.at(-1)!.perHour / local[0]!.perHour).toFixed(2)} x`);
