import {appendFileSync, chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync} from 'node:fs';
import {mkdtempSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import {fakeProgram, fakeTrain, makeFakeArena} from '../support/fake-arena.js';
import {runCli, startCli} from '../support/cli.js';
import {checkInvariants} from '../support/invariants.js';
import {git, gone, torchPython, type TempArena} from '../support/workspace.js';

let arena: TempArena | undefined;
const extra: string[] = [];
afterEach(() => {
	arena?.cleanup();
	arena = undefined;
	for (const dir of extra.splice(0)) rmSync(dir, {recursive: true, force: true});
});

function rows(dir: string): string[][] {
	return readFileSync(path.join(dir, 'runs', 'results.tsv'), 'utf8')
		.trim()
		.split('\n')
		.slice(1)
		.map(l => l.split('\t'));
}

function branchCommits(dir: string): string[] {
	const session = JSON.parse(readFileSync(path.join(dir, 'runs', 'session.json'), 'utf8')) as {branch: string; base: string};
	return git(dir, 'rev-list', '--reverse', `${session.base}..${session.branch}`)
		.split('\n')
		.filter(Boolean)
		.map(c => c.slice(0, 7));
}

/** git and results.tsv agree, one folder a row, no process left: the shared invariants. */
function expectAgreement(dir: string): void {
	checkInvariants(dir);
}

const slowTrain = fakeTrain.replace('SLEEP = 0.0', 'SLEEP = 2.0');

describe('nightshift run, headless', () => {
	it('prints one plain line per event and JSON lines when asked', async () => {
		arena = makeFakeArena();
		const plain = await runCli(['--proposer', 'search', '--max-experiments', '3'], {cwd: arena.dir});
		expect(plain.code).toBe(0);
		expect(plain.stdout).toMatch(/^session \w+ on autoresearch\/\w+: val_bpb, lower is better; budget 1 s; proposer search/m);
		expect(plain.stdout).toMatch(/^#1 run [0-9a-f]{7}: baseline/m);
		expect(plain.stdout).toMatch(/^#1 keep 1\.\d{6} in [\d.]+ s; baseline$/m);
		// The best is its own line: its value beside its own description, never the run's.
		expect(plain.stdout).toMatch(/^ {3}best #1 1\.\d{6}: baseline$/m);
		expect(plain.stdout).toMatch(/^#2 proposal \(search\): \w+ \S+ -> \S+/m);
		expect(plain.stdout).toMatch(/^#3 (keep|discard) /m);
		expect(plain.stdout).toMatch(/^done: reached the experiment limit$/m);
		expect(rows(arena.dir)).toHaveLength(3);

		const json = await runCli(['--json', '--max-experiments', '4', '--proposer', 'search'], {cwd: arena.dir});
		expect(json.code).toBe(0);
		const events = json.stdout
			.trim()
			.split('\n')
			.map(l => JSON.parse(l) as {type: string; resumed?: boolean});
		expect(events[0]).toMatchObject({type: 'session', resumed: true});
		expect(events.filter(e => e.type === 'run-start')).toHaveLength(1);
		expect(rows(arena.dir)).toHaveLength(4);
		expectAgreement(arena.dir);
	});

	it('Ctrl+C once finishes and records the run; twice stops it as crash', async () => {
		arena = makeFakeArena(fakeProgram, slowTrain);
		const once = startCli(['--proposer', 'search', '--max-experiments', '5'], {cwd: arena.dir});
		await once.waitFor(/^#2 run /m);
		once.child.kill('SIGINT');
		const first = await once.exited;
		expect(first.code).toBe(0);
		expect(first.stdout).toMatch(/finishing the current run/);
		expect(rows(arena.dir).map(r => r[3])).toEqual(['keep', expect.stringMatching(/keep|discard/)]);

		const twice = startCli(['--proposer', 'search', '--max-experiments', '5'], {cwd: arena.dir});
		await twice.waitFor(/^#3 run /m);
		twice.child.kill('SIGINT');
		await twice.waitFor(/finishing the current run/);
		twice.child.kill('SIGINT');
		const second = await twice.exited;
		expect(second.code).toBe(0);
		expect(rows(arena.dir)).toHaveLength(3);
		expect(rows(arena.dir)[2]![3]).toBe('crash');
		expect(second.stdout).toMatch(/#3 crash .*stopped by hand/);
		expectAgreement(arena.dir);
	});

	it('resumes after kill -9 mid-run: nothing lost, the orphaned run ended, git and results.tsv agree', async () => {
		// Only experiment 2's first attempt is slow (while a marker file exists): it is the one killed mid-run.
		// Unsandboxed, so the run outlives the killed loop (a sandboxed one dies with it: test/faults/processes.test.ts).
		arena = makeFakeArena(fakeProgram.replace(/^---\n/, '---\nsandbox: off\n'), fakeTrain);
		const marker = path.join(arena.dir, 'slow-marker');
		writeFileSync(marker, '');
		writeFileSync(
			path.join(arena.dir, 'train', 'train.py'),
			fakeTrain
				.replace(
					'time.sleep(SLEEP / 5)',
					`time.sleep(SLEEP / 5 if os.environ["NIGHTSHIFT_EXPERIMENT"] == "2" and os.path.exists(${JSON.stringify(marker)}) else 0)`,
				)
				.replace('SLEEP = 0.0', 'SLEEP = 15.0'),
		);
		writeFileSync(path.join(arena.dir, '.git', 'info', 'exclude'), '/slow-marker\n');
		git(arena.dir, 'commit', '-qam', 'slow experiment 2');
		const first = startCli(['--proposer', 'search', '--max-experiments', '4'], {cwd: arena.dir});
		await first.waitFor(/^#2 run /m);
		await first.waitFor(/^#2 {3}\| device: cpu/m);
		const running = JSON.parse(
			readFileSync(
				path.join(
					arena.dir,
					'runs',
					readdirSync(path.join(arena.dir, 'runs')).find(f => f.startsWith('0002-'))!,
					'summary.json',
				),
				'utf8',
			),
		) as {pid: number; status: string};
		expect(running.status).toBe('running');
		first.child.kill('SIGKILL');
		await first.exited;
		rmSync(marker);
		const second = await runCli(['--proposer', 'search', '--max-experiments', '4'], {cwd: arena.dir});
		expect(second.code).toBe(0);
		expect(second.stdout).toMatch(/ended experiment 2's process, left running by the stopped loop/);
		expect(second.stdout).toMatch(/experiment 2 \([0-9a-f]{7}\) was interrupted; it will run again/);
		expect(await gone([running.pid])).toBe(true);
		// Nothing lost: experiment 2 ran again under its own number, and was judged like any other.
		const result = rows(arena.dir);
		expect(result).toHaveLength(4);
		expect(result.map(r => r[3])[1]).toMatch(/keep|discard/);
		expect(result[0]![4]).toBe('baseline');
		const again = JSON.parse(
			readFileSync(
				path.join(
					arena.dir,
					'runs',
					readdirSync(path.join(arena.dir, 'runs')).find(f => f.startsWith('0002-'))!,
					'summary.json',
				),
				'utf8',
			),
		) as {interrupted: number};
		expect(again.interrupted).toBe(1);
		expectAgreement(arena.dir);
	});
});

describe('bad input gets a clear message and loses nothing', () => {
	it('no program.md', async () => {
		const dir = mkdtempSync(path.join(tmpdir(), 'nightshift-empty-'));
		extra.push(dir);
		const result = await runCli([], {cwd: dir});
		expect(result.code).toBe(2);
		expect(result.stderr).toMatch(/no program.md in .*pass --workspace DIR/);
	});

	it('invalid front matter names the line and nothing starts', async () => {
		arena = makeFakeArena(fakeProgram.replace('direction: lower', 'direction: sideways'));
		const result = await runCli([], {cwd: arena.dir});
		expect(result.code).toBe(2);
		expect(result.stderr).toMatch(/program.md line 6: `direction` must be `lower` or `higher`/);
		expect(existsSync(path.join(arena.dir, 'runs'))).toBe(false);
	});

	it('not a git repository: says how, and --init makes one', async () => {
		const dir = mkdtempSync(path.join(tmpdir(), 'nightshift-nogit-'));
		extra.push(dir);
		writeFileSync(path.join(dir, 'program.md'), fakeProgram);
		mkdirSync(path.join(dir, 'train'));
		writeFileSync(path.join(dir, 'train', 'train.py'), fakeTrain);
		const refused = await runCli(['--max-experiments', '1'], {cwd: dir});
		expect(refused.code).toBe(2);
		expect(refused.stderr).toMatch(/not a git repository: run again with --init, or: git init/);
		const created = await runCli(['--init', '--max-experiments', '1', '--proposer', 'search'], {cwd: dir});
		expect(created.code).toBe(0);
		expect(created.stderr).toMatch(/created a git repository/);
		expect(rows(dir)).toHaveLength(1);
	});

	it('uncommitted changes in the editable files: refuses and leaves them', async () => {
		arena = makeFakeArena();
		const file = path.join(arena.dir, 'train', 'train.py');
		appendFileSync(file, '# my work in progress\n');
		const result = await runCli(['--max-experiments', '1'], {cwd: arena.dir});
		expect(result.code).toBe(1);
		expect(result.stderr).toMatch(/uncommitted changes in train\/train.py: commit or stash them first/);
		expect(readFileSync(file, 'utf8')).toContain('# my work in progress');
	});

	it('a malformed results.tsv line is reported, never rewritten', async () => {
		arena = makeFakeArena();
		await runCli(['--max-experiments', '1', '--proposer', 'search'], {cwd: arena.dir});
		const tsv = path.join(arena.dir, 'runs', 'results.tsv');
		appendFileSync(tsv, 'garbage line\n');
		const before = readFileSync(tsv, 'utf8');
		const result = await runCli(['--max-experiments', '1', '--proposer', 'search'], {cwd: arena.dir});
		expect(result.code).toBe(0);
		expect(result.stdout).toMatch(/warn: results.tsv line 3: cannot read "garbage line"; left as it is/);
		expect(readFileSync(tsv, 'utf8')).toBe(before);
	});

	it('a run command that does not exist', async () => {
		arena = makeFakeArena(fakeProgram.replace('command: python train.py', 'command: no-such-trainer --fast'));
		const result = await runCli(['--max-experiments', '1'], {cwd: arena.dir});
		expect(result.code).toBe(1);
		expect(result.stderr).toMatch(/the run command `no-such-trainer` was not found/);
	});

	it('no Python with torch: names what to install', async () => {
		arena = makeFakeArena();
		const result = await runCli(['--max-experiments', '1', '--python', path.join(arena.dir, 'no-python')], {cwd: arena.dir});
		expect(result.code).toBe(2);
		expect(result.stderr).toMatch(/No Python interpreter with PyTorch was found/);
		expect(result.stderr).toMatch(/apt-get install python3-torch libopenblas0-pthread/);
	});
});

describe('nightshift config', () => {
	it('sets, reads and unsets user settings, and refuses what it does not know', async () => {
		arena = makeFakeArena();
		expect((await runCli(['config', 'set', 'model', 'qwen3-coder:30b'], {cwd: arena.dir})).code).toBe(0);
		expect((await runCli(['config', 'set', 'numCtx', '65536'], {cwd: arena.dir})).code).toBe(0);
		expect((await runCli(['config', 'get', 'model'], {cwd: arena.dir})).stdout).toBe('"qwen3-coder:30b"\n');
		const list = await runCli(['config', 'list'], {cwd: arena.dir});
		expect(list.stdout).toContain('numCtx=65536');
		expect((await runCli(['config', 'set', 'numCtx', 'lots'], {cwd: arena.dir})).stderr).toMatch(/numCtx takes a number/);
		expect((await runCli(['config', 'set', 'colour', 'blue'], {cwd: arena.dir})).stderr).toMatch(/the settings are/);
		await runCli(['config', 'unset', 'model'], {cwd: arena.dir});
		expect((await runCli(['config', 'get', 'model'], {cwd: arena.dir})).stdout).toBe('"qwen2.5-coder:14b"\n');
		// The proposer setting is what a plain run uses.
		await runCli(['config', 'set', 'proposer', 'search'], {cwd: arena.dir});
		const run = await runCli(['--max-experiments', '2'], {cwd: arena.dir});
		expect(run.stdout).toMatch(/proposer search/);
	});
});

describe('an autoresearch checkout', () => {
	it('runs with its own layout and `uv run train.py`, front matter optional', async () => {
		arena = makeFakeArena();
		const dir = arena.dir;
		// autoresearch's layout: program.md without front matter, train.py and prepare.py at the root.
		writeFileSync(path.join(dir, 'program.md'), '# autoresearch\n\nMake val_bpb low.\n');
		writeFileSync(path.join(dir, 'train.py'), fakeTrain);
		writeFileSync(path.join(dir, 'prepare.py'), '# fixed\n');
		rmSync(path.join(dir, 'train'), {recursive: true});
		git(dir, 'add', '-A');
		git(dir, 'commit', '-qm', 'autoresearch layout');
		// No real uv here: a stand-in that runs `uv run X` as python X.
		const bin = path.join(dir, '.bin');
		mkdirSync(bin);
		writeFileSync(path.join(bin, 'uv'), `#!/bin/sh\n[ "$1" = run ] && shift\nexec ${torchPython} "$@"\n`);
		chmodSync(path.join(bin, 'uv'), 0o755);
		writeFileSync(path.join(dir, '.git', 'info', 'exclude'), '/.bin/\n/.nightshift-config/\n');
		const result = await runCli(['--workspace', dir, '--max-experiments', '2', '--proposer', 'search', '--budget', '1'], {
			cwd: dir,
			env: {PATH: `${bin}:${process.env.PATH ?? ''}`},
		});
		expect(result.stdout + result.stderr).toMatch(/#\d+ (keep|discard)/);
		expect(result.code).toBe(0);
		// autoresearch's defaults: the baseline runs 3 times (its mean is the reference), then one experiment.
		const r = rows(dir);
		expect(r.map(row => row[3])).toEqual(['keep', 'rerun', 'rerun', expect.stringMatching(/keep|discard/)]);
		expect(r[0]![4]).toBe('baseline [mean of 3 runs]');
		expect(r[3]![4]).toMatch(/->/);
		expectAgreement(dir);
	});
});
