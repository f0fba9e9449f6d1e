// Soak: crash-proof under kill -9, measured. A loop in a process of its own
// (test/support/loop-child.ts: the real Loop with the built-in search, the
// lock, the signal wiring) runs a fast stand-in arena to 200 experiments
// while this script kills it with SIGKILL at random moments (at least 20
// times: in its setup and recovery, mid-proposal, mid-run, mid-record) and
// starts it again each time. Then it reads what is on disk and counts:
//
//   lost: an experiment whose run finished with a result but that has no
//     row. A run "finished with a result" when its run.log (in runs/ or set
//     aside in runs/interrupted/) holds the metric line of the summary block
//     with a finite value: the command printed its result before the kill. Its
//     experiment is the run's group (summary.json's `group`, else its number);
//     it is lost unless results.tsv ends holding that experiment's verdict row
//     (the row matched to the run folder runs/<group>-<commit>/, status keep,
//     discard or crash). A run killed before it finished may run again; that
//     is not a loss. A finished run set aside and run again under its number is
//     not a loss either, as long as the experiment ends with its row.
//   duplicated: rows that record something twice: for each commit, rows in
//     results.tsv beyond the number of run folders of that commit (two rows
//     for one run folder), plus experiments with more than one verdict (two
//     run folders of one group whose summary.json says keep/discard/crash, or
//     two run folders with one number).
//
// It also checks the invariants the fault tests check (rows well-formed, the
// branch is the baseline plus the keeps, one run folder per row, every folder
// decided, no process of the session left, no temp file) and reports any
// failure above the last line, which is always
//   soak: <kills> kills, <lost> lost, <duplicated> duplicated
// The exit status is 0 only when lost and duplicated are 0 and the
// invariants hold. SOAK_EXPERIMENTS, SOAK_KILLS and SOAK_SEED change the
// defaults (200, 20, a seed from the clock); SOAK_SANDBOX=off runs unconfined.
import {execFileSync, spawn} from 'node:child_process';
import {existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import type {ChildOptions} from '../test/support/loop-child.js';

const experiments = Number(process.env.SOAK_EXPERIMENTS ?? 200);
const killsWanted = Number(process.env.SOAK_KILLS ?? 20);
const sandbox = (process.env.SOAK_SANDBOX ?? 'auto') as ChildOptions['sandbox'];
let seed = Number(process.env.SOAK_SEED ?? Date.now() % 1_000_000);
const repo = path.resolve(import.meta.dirname, '..');

/** mulberry32: the kill moments are reproducible from SOAK_SEED. */
function random(): number {
	seed = (seed + 0x6d2b79f5) | 0;
	let t = seed;
	t = Math.imul(t ^ (t >>> 15), t | 1);
	t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
	return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

/** Eight knobs, a smooth bowl, a run in a blink: the search always has a next idea and the loop's own steps dominate. */
const train = `import math, os
# --- hyperparameters ---
${Array.from({length: 8}, (_, i) => `KNOB_${i} = 1.0  # setting ${i}`).join('\n')}
# --- end hyperparameters ---
knobs = [${Array.from({length: 8}, (_, i) => `KNOB_${i}`).join(', ')}]
targets = [${Array.from({length: 8}, (_, i) => (0.25 * 2 ** (i % 4)).toFixed(2)).join(', ')}]
print("step 00000 (100.0%) | loss: 1.000000 | remaining: 0s", flush=True)
val = 1.0 + 0.05 * sum(math.log(k / t) ** 2 for k, t in zip(knobs, targets))
print("---")
print(f"val_bpb:          {val:.6f}")
print("peak_vram_mb:     0.0")
`;

const program = `---
editable: [train/train.py]
command: python train.py
cwd: train
metric: val_bpb
direction: lower
budget: 1
timeout: 20
baseline_runs: 1
judge: single
writable: []
---
Make val_bpb low.
`;

function makeArena(): string {
	const dir = mkdtempSync(path.join(tmpdir(), 'nightshift-soak-'));
	mkdirSync(path.join(dir, 'train'));
	writeFileSync(path.join(dir, 'program.md'), program);
	writeFileSync(path.join(dir, 'train', 'train.py'), train);
	writeFileSync(path.join(dir, '.gitignore'), '__pycache__/\n');
	const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=soak', '-c', 'user.email=soak@localhost', ...args], {cwd: dir});
	git('init', '-q', '-b', 'main');
	git('add', '-A');
	git('commit', '-q', '-m', 'soak arena');
	return dir;
}

function rows(runs: string): string[][] {
	const file = path.join(runs, 'results.tsv');
	if (!existsSync(file)) return [];
	return readFileSync(file, 'utf8')
		.split('\n')
		.slice(1)
		.filter(l => l.trim() !== '')
		.map(l => l.split('\t'));
}

type Summary = {status?: string; group?: number};

function summary(dir: string): Summary | undefined {
	try {
		return JSON.parse(readFileSync(path.join(dir, 'summary.json'), 'utf8')) as Summary;
	} catch {
		return undefined;
	}
}

/** A run that printed its result: the metric line of the summary block, finite. */
function finished(dir: string): boolean {
	try {
		return /^val_bpb:\s+(\d+\.\d+)\s*$/m.test(readFileSync(path.join(dir, 'run.log'), 'utf8'));
	} catch {
		return false;
	}
}

const folderPattern = /^(\d{4,})-([0-9a-f]{4,40})(\.\d+)?$/;

function sessionProcesses(runs: string): number[] {
	const pids: number[] = [];
	for (const entry of readdirSync('/proc')) {
		if (!/^\d+$/.test(entry)) continue;
		try {
			const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
			if (stat.slice(stat.lastIndexOf(')') + 2)[0] === 'Z') continue;
			if (readFileSync(`/proc/${entry}/environ`, 'latin1').includes(`NIGHTSHIFT_RUN_DIR=${runs}/`)) pids.push(Number(entry));
		} catch {
			// Gone, or not ours.
		}
	}
	return pids;
}

type Child = {pid: number; exited: Promise<number | null>; output: () => string};

function start(workspace: string): Child {
	const options: ChildOptions = {workspace, maxExperiments: experiments, killGraceSeconds: 1, ...(sandbox ? {sandbox} : {})};
	const child = spawn(process.execPath, ['--import', 'tsx', path.join(repo, 'test', 'support', 'loop-child.ts'), JSON.stringify(options)], {
		cwd: repo,
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	let out = '';
	child.stdout.on('data', (d: Buffer) => (out = (out + String(d)).slice(-20_000)));
	child.stderr.on('data', (d: Buffer) => (out = (out + String(d)).slice(-20_000)));
	return {pid: child.pid!, exited: new Promise(resolve => child.on('close', code => resolve(code))), output: () => out};
}

async function main(): Promise<number> {
	const began = Date.now();
	const workspace = makeArena();
	const runs = path.join(workspace, 'runs');
	const problems: string[] = [];
	let kills = 0;
	let starts = 0;
	console.log(`soak: ${experiments} experiments, at least ${killsWanted} kills -9, seed ${seed}, sandbox ${sandbox}, in ${workspace}`);
	for (;;) {
		const child = start(workspace);
		starts++;
		if (kills < killsWanted) {
			// Anywhere from the start-up (lock, recovery) to a few experiments in.
			const delay = 150 + random() * 2500;
			const ended = await Promise.race([child.exited.then(() => true), new Promise<boolean>(r => setTimeout(() => r(false), delay))]);
			if (!ended) {
				process.kill(child.pid, 'SIGKILL');
				await child.exited;
				kills++;
				continue;
			}
		}
		const code = await child.exited;
		const done = rows(runs).filter(r => r[3] !== 'rerun').length;
		if (code === 0 && done >= experiments) break;
		if (code !== 0) problems.push(`the loop exited ${code} after start ${starts}:\n${child.output().slice(-3000)}`);
		if (starts > killsWanted + 20) {
			problems.push(`gave up after ${starts} starts with ${done} experiments`);
			break;
		}
	}
	const seconds = (Date.now() - began) / 1000;

	// ---- what is on disk ----
	const table = rows(runs);
	const live = readdirSync(runs).filter(f => folderPattern.test(f));
	const asideDir = path.join(runs, 'interrupted');
	const aside = existsSync(asideDir) ? readdirSync(asideDir).filter(f => folderPattern.test(f)) : [];
	const rowsOf = new Map<string, number>();
	for (const r of table) rowsOf.set(r[0]!, (rowsOf.get(r[0]!) ?? 0) + 1);
	const foldersOf = new Map<string, number>();
	for (const f of live) foldersOf.set(folderPattern.exec(f)![2]!, (foldersOf.get(folderPattern.exec(f)![2]!) ?? 0) + 1);
	const verdicts = new Set(['keep', 'discard', 'crash']);
	// The experiments with a verdict row: the run folder of their number, decided, with a row of its commit.
	const recorded = new Set<number>();
	for (const f of live) {
		const [, n, commit] = folderPattern.exec(f)!;
		const s = summary(path.join(runs, f));
		if (s && verdicts.has(s.status ?? '') && (rowsOf.get(commit!) ?? 0) > 0) recorded.add(Number(n));
	}
	let lost = 0;
	const groupOf = (dir: string, n: number): number => summary(dir)?.group ?? n;
	for (const [base, names] of [
		[runs, live],
		[asideDir, aside],
	] as const) {
		for (const f of names) {
			const dir = path.join(base, f);
			const group = groupOf(dir, Number(folderPattern.exec(f)![1]));
			if (finished(dir) && !recorded.has(group)) {
				lost++;
				problems.push(`lost: ${path.relative(runs, dir)} finished with a result; experiment ${group} has no row`);
			}
		}
	}
	let duplicated = 0;
	for (const [commit, count] of rowsOf) {
		const extra = count - (foldersOf.get(commit) ?? 0);
		if (extra > 0) {
			duplicated += extra;
			problems.push(`duplicated: ${count} rows of ${commit}, ${foldersOf.get(commit) ?? 0} run folders`);
		}
	}
	const verdictsOf = new Map<number, number>();
	const numbers = new Map<number, number>();
	for (const f of live) {
		const n = Number(folderPattern.exec(f)![1]);
		numbers.set(n, (numbers.get(n) ?? 0) + 1);
		const s = summary(path.join(runs, f));
		if (s && verdicts.has(s.status ?? '')) verdictsOf.set(s.group ?? n, (verdictsOf.get(s.group ?? n) ?? 0) + 1);
	}
	for (const [group, count] of verdictsOf) {
		if (count > 1) {
			duplicated += count - 1;
			problems.push(`duplicated: experiment ${group} has ${count} verdicts`);
		}
	}
	for (const [n, count] of numbers) {
		if (count > 1) {
			duplicated += count - 1;
			problems.push(`duplicated: ${count} run folders numbered ${n}`);
		}
	}

	// ---- the invariants ----
	if (table.filter(r => r[3] !== 'rerun').length !== experiments)
		problems.push(`${table.filter(r => r[3] !== 'rerun').length} experiments recorded, not ${experiments}`);
	for (const r of table) {
		if (r.length !== 5 || !/^[0-9a-f]{7}$/.test(r[0]!) || !/^-?\d+\.\d{6}$/.test(r[1]!) || (!verdicts.has(r[3]!) && r[3] !== 'rerun'))
			problems.push(`a malformed row: ${r.join('\\t')}`);
	}
	if (live.length !== table.length) problems.push(`${live.length} run folders, ${table.length} rows`);
	for (const f of live) {
		const s = summary(path.join(runs, f));
		if (!s || !(verdicts.has(s.status ?? '') || s.status === 'rerun')) problems.push(`${f} is not decided (${s?.status})`);
	}
	const session = JSON.parse(readFileSync(path.join(runs, 'session.json'), 'utf8')) as {branch: string; base: string};
	const onBranch = execFileSync('git', ['rev-list', '--reverse', `${session.base}..${session.branch}`], {cwd: workspace, encoding: 'utf8'})
		.split('\n')
		.filter(Boolean)
		.map(c => c.slice(0, 7));
	const kept = table.filter(r => r[3] === 'keep').map(r => r[0]!);
	if (onBranch.join(' ') !== kept.slice(1).join(' '))
		problems.push(`the branch holds ${onBranch.join(' ')}; the keeps are ${kept.join(' ')}`);
	const left = sessionProcesses(runs);
	if (left.length > 0) problems.push(`processes of the session left: ${left.join(', ')}`);
	const temps = [runs, ...live.map(f => path.join(runs, f))].flatMap(d => readdirSync(d).filter(f => /^\..*\.tmp$/.test(f)));
	if (temps.length > 0) problems.push(`temp files left: ${temps.join(', ')}`);

	for (const p of problems) console.log(`soak: ${p}`);
	console.log(
		`soak: ${table.length} rows (${experiments} experiments), ${aside.length} runs set aside and run again, ${starts} starts, ${seconds.toFixed(0)} s`,
	);
	console.log(`soak: ${kills} kills, ${lost} lost, ${duplicated} duplicated`);
	if (problems.length === 0) rmSync(workspace, {recursive: true, force: true});
	return lost === 0 && duplicated === 0 && problems.length === 0 && kills >= killsWanted ? 0 : 1;
}

main().then(
	code => process.exit(code),
	(error: unknown) => {
		console.log(`soak: ${(error as Error).stack ?? String(error)}`);
		console.log('soak: 0 kills, ? lost, ? duplicated');
		process.exit(1);
	},
);
