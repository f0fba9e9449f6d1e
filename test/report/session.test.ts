import {existsSync, mkdtempSync, readFileSync, readdirSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {runCli} from '../support/cli.js';
import {fakeProgram, fakeTrain, makeFakeArena} from '../support/fake-arena.js';
import type {TempArena} from '../support/workspace.js';
import {hasMatplotlib, parseSvg, pngSignature} from './support.js';

// `nightshift report` on a session that really ran: the fake arena (a
// crash when WIDTH reaches 256), the built-in search, the built CLI. What a
// reviewer gets must name every kept change with its diff, and the chart
// must be a real picture with one mark per experiment.

const crashingTrain = fakeTrain.replace(
	'budget = float(',
	'if WIDTH >= 256:\n    print("FAIL: too wide for this machine", flush=True)\n    sys.exit(1)\nbudget = float(',
);
const program = fakeProgram.replace('baseline_runs: 1', 'baseline_runs: 2');

let arena: TempArena;
let runs: string;
const extra: string[] = [];

type Row = {commit: string; status: string; description: string};

function rows(): Row[] {
	return readFileSync(path.join(runs, 'results.tsv'), 'utf8')
		.trim()
		.split('\n')
		.slice(1)
		.map(line => {
			const [commit, , , status, description] = line.split('\t');
			return {commit: commit!, status: status!, description: description!};
		});
}

function folderOf(n: number): string {
	return path.join(
		runs,
		readdirSync(runs).find(f => f.startsWith(`${String(n).padStart(4, '0')}-`))!,
	);
}

beforeAll(async () => {
	arena = makeFakeArena(program, crashingTrain);
	runs = path.join(arena.dir, 'runs');
	const session = await runCli(['--proposer', 'search', '--max-experiments', '10'], {cwd: arena.dir});
	expect(session.code, session.stderr).toBe(0);
});

afterAll(() => {
	arena?.cleanup();
	for (const dir of extra.splice(0)) rmSync(dir, {recursive: true, force: true});
});

describe('nightshift report on a finished session', () => {
	it('writes Markdown that names every kept change with its diff, the discards by what they tried, and the crashes', async () => {
		const result = await runCli(['report'], {cwd: arena.dir});
		expect(result.code, result.stderr).toBe(0);
		const md = result.stdout;
		const all = rows();
		const experiments = all.filter(r => r.status !== 'rerun');
		const kept = experiments.filter(r => r.status === 'keep').slice(1);
		expect(kept.length).toBeGreaterThan(0);
		expect(md).toMatch(/^# nightshift report: autoresearch\/\w+/);
		expect(md).toMatch(/\*\*`val_bpb`: 1\.242181 → 1\.\d{6}\*\* \(-0\.\d{6}, -\d+\.\d\d%; lower is better\)/);
		expect(md).toContain(`${experiments.length} experiments: ${kept.length} kept`);
		expect(md).toMatch(/^\| baseline \| #1 `[0-9a-f]{7}` baseline \\\[mean of 2 runs\\\] \| 1\.242181 \| 2 \|/m);
		expect(md).toMatch(/^> Make val_bpb low\.$/m);
		expect(md).toContain('](runs/progress.svg)');
		const json = JSON.parse((await runCli(['report', '--json'], {cwd: arena.dir})).stdout) as {kept: Array<{n: number}>};
		// Every kept change, in order, under its own heading, with its diff.patch in a diff fence.
		let at = 0;
		kept.forEach((k, i) => {
			const n = json.kept[i]!.n;
			const heading = `### ${i + 1}. #${n} ${k.description.replace(/_/g, '\\_')}`;
			const found = md.indexOf(heading, at);
			expect(found, heading).toBeGreaterThan(at);
			at = found;
			const diff = readFileSync(path.join(folderOf(n), 'diff.patch'), 'utf8').trimEnd();
			expect(diff).toMatch(/^diff --git /);
			expect(md.slice(found)).toContain('```diff\n' + diff + '\n```');
		});
		expect(md).toMatch(/^## Discarded, by what they tried \(\d+\)$/m);
		expect(md).toMatch(/^\| `LEARNING_RATE` \| \d+ \| #\d+ 1\.\d{6} /m);
		expect(md).toMatch(/^## Crashes \(1\)$/m);
		expect(md).toMatch(/^- #\d+ WIDTH 128 -> 256: .+/m);
		expect(md).toContain('FAIL: too wide for this machine');
		expect(md).toMatch(/^- \d+ experiments \(the baseline included\), 1 re-run /m);
		expect(md).toMatch(/per experiment by the clock/);
	});

	it('draws the chart as a valid SVG with one mark per experiment, kept ones marked', async () => {
		await runCli(['report'], {cwd: arena.dir});
		const svg = parseSvg(path.join(runs, 'progress.svg'));
		expect(svg.root).toBe('svg');
		const experiments = rows().filter(r => r.status !== 'rerun');
		expect(svg.marks).toHaveLength(experiments.length);
		const tally = (statuses: string[]) => statuses.reduce<Record<string, number>>((t, s) => ({...t, [s]: (t[s] ?? 0) + 1}), {});
		expect(tally(svg.marks.map(m => m.kind.split(' ')[0]!))).toEqual(tally(experiments.map(r => r.status)));
		expect(new Set(svg.marks.map(m => m.n)).size).toBe(experiments.length);
		expect(svg.marks.find(m => m.kind === 'crash')?.title).toMatch(/^#\d+ crash \(no value\): WIDTH 128 -> 256$/);
	});

	it.runIf(hasMatplotlib)('draws a PNG too, where the Python the runs used has matplotlib', async () => {
		const result = await runCli(['report'], {cwd: arena.dir});
		expect(result.stderr).toMatch(/the chart is .*progress\.svg and .*progress\.png/);
		expect(readFileSync(path.join(runs, 'progress.png')).subarray(0, 8)).toEqual(pngSignature);
		expect(result.stdout).toContain('([PNG](runs/progress.png))');
	});

	it.runIf(!hasMatplotlib)('says why there is no PNG where matplotlib is missing (the PNG assertions need it)', async () => {
		console.warn(`skipped the PNG assertions: the tests' Python cannot import matplotlib`);
		const result = await runCli(['report'], {cwd: arena.dir});
		expect(result.stdout).toMatch(/No PNG: .*matplotlib/);
	});

	it('--json prints the same data', async () => {
		const result = await runCli(['report', '--json'], {cwd: arena.dir});
		expect(result.code).toBe(0);
		const data = JSON.parse(result.stdout);
		const experiments = rows().filter(r => r.status !== 'rerun');
		expect(data).toMatchObject({
			metric: 'val_bpb',
			direction: 'lower',
			goal: 'Make val_bpb low.',
			session: {branch: expect.stringMatching(/^autoresearch\//), runsDir: runs},
			baseline: {n: 1, metric: 1.242181, runs: 2, status: 'keep'},
			best: {status: 'keep', change: expect.any(Number), percent: expect.any(Number)},
			counts: {experiments: experiments.length, crashed: 1, reruns: 1},
			images: {svg: path.join(runs, 'progress.svg')},
		});
		expect(data.noise).toMatchObject({sigma: expect.any(Number), dof: expect.any(Number)});
		expect(data.kept.length).toBe(data.counts.kept);
		for (const k of data.kept) {
			expect(k).toMatchObject({n: expect.any(Number), description: expect.any(String), previous: {n: expect.any(Number)}});
			expect(k.difference).toBeLessThan(0);
			expect(k.diff).toMatch(/^diff --git /);
		}
		const grouped = data.discards.flatMap((g: {tries: unknown[]}) => g.tries);
		expect(grouped).toHaveLength(data.counts.discarded);
		expect(data.discards.find((g: {key: string}) => g.key === 'LEARNING_RATE')).toMatchObject({by: 'constant', values: expect.any(Array)});
		expect(data.crashes[0]).toMatchObject({
			status: 'crash',
			reason: expect.any(String),
			logTail: expect.arrayContaining([expect.stringMatching(/FAIL/)]),
		});
		expect(data.chart.points).toHaveLength(experiments.length);
		expect(data.chart.best[0]).toEqual({n: 1, value: 1.242181});
	});

	it('--out FILE writes the Markdown there, the chart beside it; --runs alone finds the goal', async () => {
		const dir = mkdtempSync(path.join(tmpdir(), 'nightshift-report-'));
		extra.push(dir);
		const out = path.join(dir, 'pr.md');
		// From elsewhere, given only the runs folder: program.md is found through session.json.
		const result = await runCli(['report', '--runs', runs, '--out', out], {cwd: dir});
		expect(result.code).toBe(0);
		expect(result.stdout).toBe('');
		const md = readFileSync(out, 'utf8');
		expect(md).toContain('](progress.svg)');
		expect(md).toMatch(/^> Make val_bpb low\.$/m);
		expect(parseSvg(path.join(dir, 'progress.svg')).root).toBe('svg');
	});

	it('says where to look when there is nothing to report', async () => {
		const dir = mkdtempSync(path.join(tmpdir(), 'nightshift-report-'));
		extra.push(dir);
		const result = await runCli(['report', '--runs', path.join(dir, 'runs')], {cwd: dir});
		expect(result.code).toBe(2);
		expect(result.stderr).toMatch(/no results\.tsv in .*runs: run a session first/);
		expect(existsSync(path.join(dir, 'runs'))).toBe(false);
	});
});
