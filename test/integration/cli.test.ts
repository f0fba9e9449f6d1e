import {spawnSync} from 'node:child_process';
import {
	appendFileSync,
	chmodSync,
	copyFileSync,
	existsSync,
	mkdirSync,
	readFileSync,
	readdirSync,
	rmSync,
	utimesSync,
	writeFileSync,
} from 'node:fs';
import {mkdtempSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest';
import {parseCommandLine, UsageError} from '../../source/cli/args.js';
import {resumeCommands, shellWord} from '../../source/cli/summary.js';
import {initialNotifyMemory, notifier, shouldNotify} from '../../source/core/notify-rules.js';
import type {LoopEvent} from '../../source/core/events.js';
import type {ExperimentRecord} from '../../source/core/types.js';
import {fakeProgram, fakeTrain, makeFakeArena} from '../support/fake-arena.js';
import {runCli, startCli} from '../support/cli.js';
import {checkInvariants} from '../support/invariants.js';
import {git, gone, repoRootDir, torchPython, type TempArena} from '../support/workspace.js';

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
		// The line ends with the bell (BEL, rung when the loop stops).
		expect(plain.stdout).toContain('\ndone: reached the experiment limit\x07\n');
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
		// Stopped now: an interruption, said by the exit status.
		expect(second.code).toBe(130);
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

describe('the command line is checked before anything runs', () => {
	let shared: TempArena;
	beforeAll(() => {
		shared = makeFakeArena();
	});
	afterAll(() => shared.cleanup());

	it.each([
		[['--budget', '-5'], '--budget takes a number of seconds above 0, not "-5"'],
		[['--budget=-5'], '--budget takes a number of seconds above 0, not "-5"'],
		[['--budget', '0'], '--budget takes a number of seconds above 0, not "0"'],
		[['--budget', '10s'], '--budget takes a number of seconds above 0, not "10s"'],
		[['--max-experiments', '2.5'], '--max-experiments takes a whole number from 1, not "2.5"'],
		[['--max-experiments', '0'], '--max-experiments takes a whole number from 1, not "0"'],
		[['--workers', '0'], '--workers takes a whole number from 1, not "0"'],
		[['--workers', '1.5'], '--workers takes a whole number from 1, not "1.5"'],
		[['--gpus', '0,x'], '--gpus takes GPU indices separated by commas (e.g. 0,1,2), not "0,x"'],
		[['--gpus', '1,1'], '--gpus lists GPU 1 twice'],
		[['--workers', '2', '--gpus', '0,1,2'], '--workers 2 and --gpus 0,1,2 disagree: one worker runs per GPU listed; leave out --workers'],
		[['--queue-depth', '-1'], '--queue-depth takes a whole number from 1, not "-1"'],
		[['--executor', 'pbs'], '--executor takes local or slurm, not "pbs"'],
		[['--sandbox', 'docker'], '--sandbox takes auto, bwrap or off, not "docker"'],
		[['--slurm-partition', 'gpu'], '--slurm-partition applies only with --executor slurm'],
		[['--proposer', 'gpt'], '--proposer takes auto, ollama or search, not "gpt"'],
		[['--frobnicate'], 'unknown option --frobnicate; nightshift --help lists the options'],
		[['--budget'], '--budget needs a value; nightshift --help lists the options'],
		[['--json=yes'], '--json takes no value; nightshift --help lists the options'],
		[['walk'], 'unknown command: walk; the commands are run (the default), report and config'],
		[
			['report', '--budget', '3'],
			'--budget is not an option of nightshift report; it takes --workspace, --runs, --json, --out and --python',
		],
		// No nvidia-smi here (CI has no GPU): a GPU named by --gpus cannot be checked or used.
		[['--gpus', '0,1'], '--gpus 0,1: nvidia-smi is not available here, so no GPU can be checked or used'],
		[['--gpus', '1,1'], '--gpus lists GPU 1 twice'],
	])('%j: says what it takes, exit 2, nothing run', async (args, message) => {
		const result = await runCli(args, {cwd: shared.dir});
		expect(result.stderr).toBe(`nightshift: ${message}\n`);
		expect(result.code).toBe(2);
		expect(result.stdout).toBe('');
		expect(existsSync(path.join(shared.dir, 'runs'))).toBe(false);
	});

	it('reads the flags the loop needs into the options it is given', () => {
		expect(parseCommandLine(['--workers', '3', '--queue-depth', '4', '--budget', '2.5', '--max-experiments', '7'])).toMatchObject({
			command: 'run',
			workers: 3,
			queueDepth: 4,
			budgetSeconds: 2.5,
			maxExperiments: 7,
			slurm: {gres: 'gpu:1', args: []},
		});
		expect(parseCommandLine(['--gpus', '0, 2,1'])).toMatchObject({gpus: [0, 2, 1]});
		expect(
			parseCommandLine([
				'--executor',
				'slurm',
				'--slurm-partition',
				'a100',
				'--slurm-gres',
				'gpu:a100:2',
				'--slurm-args',
				'--time=30 --comment "night shift"',
				'--sandbox',
				'off',
			]),
		).toMatchObject({
			executor: 'slurm',
			slurm: {partition: 'a100', gres: 'gpu:a100:2', args: ['--time=30', '--comment', 'night shift']},
			sandbox: 'off',
		});
		expect(parseCommandLine(['--json', '--no-bell'])).toMatchObject({headless: true, json: true, bell: false});
		expect(parseCommandLine(['report', '--json', '--out', 'pr.md'])).toEqual({command: 'report', json: true, out: 'pr.md'});
		// A value of config's own, even one that looks like a flag.
		expect(parseCommandLine(['config', 'set', 'seed', '-1'])).toEqual({command: 'config', args: ['set', 'seed', '-1']});
		expect(() => parseCommandLine(['--workers', '-2'])).toThrow(UsageError);
	});
});

describe('how a session ends', () => {
	it('says what was done and how to resume; at the limit already it says so and runs nothing', async () => {
		arena = makeFakeArena();
		const first = await runCli(['--proposer', 'search', '--max-experiments', '2'], {cwd: arena.dir});
		expect(first.code).toBe(0);
		const tail = first.stdout.trimEnd().split('\n').slice(-4);
		expect(tail[0]).toMatch(
			/^nightshift: 2 experiments this time; (best #2 val_bpb 1\.\d{6}, -0\.\d{6} vs the baseline 1\.\d{6} \(.+\)|the best is still the baseline, val_bpb 1\.\d{6}); branch autoresearch\/\w+\.$/,
		);
		expect(tail.slice(1)).toEqual([
			`  resume: npm start -- --workspace ${arena.dir}  (in ${repoRootDir})`,
			`      or: nightshift --workspace ${arena.dir}`,
			`  report: nightshift report --workspace ${arena.dir}`,
		]);

		const again = await runCli(['--proposer', 'search', '--max-experiments', '2'], {cwd: arena.dir});
		expect(again.code).toBe(0);
		expect(again.stdout).toMatch(
			/^warn: 2 experiments recorded already; the limit is 2: nothing more runs \(raise --max-experiments to go on\)$/m,
		);
		expect(again.stdout).not.toMatch(/^#\d+ run /m);
		expect(again.stdout).toMatch(/^nightshift: 0 experiments this time \(2 in the session\);/m);
		expect(rows(arena.dir)).toHaveLength(2);

		const more = await runCli(['--proposer', 'search', '--max-experiments', '3', '--json'], {cwd: arena.dir});
		expect(more.code).toBe(0);
		// JSON lines on stdout only; the summary goes to stderr.
		for (const line of more.stdout.trim().split('\n')) expect(() => JSON.parse(line) as unknown).not.toThrow();
		expect(more.stdout).toContain('2 experiments recorded already; the limit is 3: up to 1 more');
		expect(more.stderr).toMatch(/^nightshift: 1 experiment this time \(3 in the session\);/m);
	});

	it('SIGTERM interrupts: the run in progress is left to run again, exit 130', async () => {
		arena = makeFakeArena(fakeProgram, slowTrain);
		const run = startCli(['--proposer', 'search', '--max-experiments', '4'], {cwd: arena.dir});
		await run.waitFor(/^#2 run /m);
		run.child.kill('SIGTERM');
		const ended = await run.exited;
		expect(ended.code).toBe(130);
		expect(rows(arena.dir)).toHaveLength(1);
		expect(ended.stdout).toMatch(/^nightshift: 1 experiment this time;/m);
		const again = await runCli(['--proposer', 'search', '--max-experiments', '2'], {cwd: arena.dir});
		expect(again.code).toBe(0);
		expect(again.stdout).toMatch(/experiment 2 \([0-9a-f]{7}\) was interrupted; it will run again/);
		expect(rows(arena.dir)).toHaveLength(2);
		expectAgreement(arena.dir);
	});

	it('builds the resume command a shell can paste', () => {
		expect(shellWord('/tmp/my arena')).toBe(`'/tmp/my arena'`);
		expect(resumeCommands({workspace: '/srv/nightshift', packageRoot: '/srv/nightshift'})).toEqual({
			npm: 'npm start',
			bin: 'nightshift --workspace /srv/nightshift',
		});
		expect(resumeCommands({workspace: '/data/a b', runs: '/data/runs', packageRoot: '/srv/nightshift'}).npm).toBe(
			`npm start -- --workspace '/data/a b' --runs /data/runs`,
		);
	});
});

describe('calling the human', () => {
	const record = (n: number, status: ExperimentRecord['status']): ExperimentRecord => ({
		row: n,
		n,
		commit: 'abc1234',
		metric: 1,
		memoryGb: 0,
		status,
		description: `idea ${n}`,
	});

	it('shouldNotify: a new best, the end, failing proposals (once), errors, a full disk, a broken program.md', () => {
		const baseline = record(1, 'keep');
		const end = (r: ExperimentRecord): LoopEvent => ({type: 'run-end', n: r.n, record: r, best: r, baseline, seconds: 1});
		expect(shouldNotify(end(baseline)).reason).toBeUndefined();
		expect(shouldNotify(end(record(2, 'discard'))).reason).toBeUndefined();
		expect(shouldNotify(end(record(3, 'keep'))).reason).toMatchObject({kind: 'new-best', n: 3, urgent: false, text: 'new best #3: idea 3'});
		expect(shouldNotify({type: 'state', state: 'done', detail: 'stopped'}).reason).toMatchObject({kind: 'stopped'});
		expect(shouldNotify({type: 'state', state: 'paused'}).reason).toBeUndefined();
		expect(shouldNotify({type: 'message', level: 'error', text: 'the loop stopped: boom'}).reason).toMatchObject({
			kind: 'error',
			urgent: true,
		});
		expect(shouldNotify({type: 'message', level: 'error', text: 'ENOSPC: no space left on device'}).reason).toMatchObject({
			kind: 'disk-full',
		});
		expect(shouldNotify({type: 'message', level: 'warn', text: 'program.md line 3: `budget` must be ...'}).reason).toMatchObject({
			kind: 'program-md',
		});
		expect(shouldNotify({type: 'message', level: 'warn', text: 'something else'}).reason).toBeUndefined();
		expect(shouldNotify({type: 'message', level: 'info', text: 'program.md saved'}).reason).toBeUndefined();
		// Failing proposals: said once at the third in a row; a proposal that works starts the count again.
		const next = notifier();
		const fail = (n: number): LoopEvent => ({type: 'proposal-failed', n, reason: 'no edit'});
		expect([1, 2, 3, 4, 5].map(n => next(fail(n))?.kind)).toEqual([undefined, undefined, 'proposals-failing', undefined, undefined]);
		next({type: 'proposal', n: 6, description: 'x', diff: '', proposer: 'ollama'});
		expect([7, 8, 9].map(n => next(fail(n))?.kind)).toEqual([undefined, undefined, 'proposals-failing']);
		expect(shouldNotify(fail(1), initialNotifyMemory).memory).toEqual({failuresInARow: 1});
	});

	it('rings the bell in headless mode on a new best and at the end; never inside JSON lines; not with --no-bell', async () => {
		arena = makeFakeArena();
		const plain = await runCli(['--proposer', 'search', '--max-experiments', '3'], {cwd: arena.dir});
		expect(plain.code).toBe(0);
		const kept = rows(arena.dir).filter(r => r[3] === 'keep').length - 1;
		expect(kept).toBeGreaterThan(0);
		expect(plain.stdout.split('\x07')).toHaveLength(kept + 2);
		// The bell ends the line that says what it rings for.
		const bel = '\x07';
		expect(plain.stdout).toMatch(new RegExp(`^#(\\d+) keep [^\\n]*${bel}\\n {3}best #\\1 `, 'm'));
		expect(plain.stdout).toContain(`\ndone: reached the experiment limit${bel}\n`);

		const json = await runCli(['--proposer', 'search', '--max-experiments', '5', '--json'], {cwd: arena.dir});
		expect(json.stdout).not.toContain('\x07');
		for (const line of json.stdout.trim().split('\n')) expect(() => JSON.parse(line) as unknown).not.toThrow();

		const quiet = await runCli(['--proposer', 'search', '--max-experiments', '7', '--no-bell'], {cwd: arena.dir});
		expect(quiet.stdout).not.toContain('\x07');
		await runCli(['config', 'set', 'bell', 'false'], {cwd: arena.dir});
		const setting = await runCli(['--proposer', 'search', '--max-experiments', '8'], {cwd: arena.dir});
		expect(setting.stdout).not.toContain('\x07');
	});

	it('runs the notify command with the event as JSON on its stdin; a failing one is reported once', async () => {
		arena = makeFakeArena();
		const out = mkdtempSync(path.join(tmpdir(), 'nightshift-notify-'));
		extra.push(out);
		const file = path.join(out, 'events.jsonl');
		const kinds = path.join(out, 'kinds.txt');
		await runCli(['config', 'set', 'notify', `echo "$NIGHTSHIFT_NOTIFY" >> ${kinds}; cat >> ${file}`], {cwd: arena.dir});
		const result = await runCli(['--proposer', 'search', '--max-experiments', '3'], {cwd: arena.dir});
		expect(result.code).toBe(0);
		const messages = readFileSync(file, 'utf8')
			.trim()
			.split('\n')
			.map(line => JSON.parse(line));
		expect(messages.map(m => m.kind)).toContain('new-best');
		expect(messages.at(-1)).toMatchObject({
			kind: 'stopped',
			text: 'the loop stopped: reached the experiment limit',
			urgent: false,
			session: {branch: expect.stringMatching(/^autoresearch\//), workspace: arena.dir},
			event: {type: 'state', state: 'done'},
		});
		const best = messages.find(m => m.kind === 'new-best');
		expect(best.event).toMatchObject({type: 'run-end', record: {status: 'keep', n: best.n}});
		expect(readFileSync(kinds, 'utf8').trim().split('\n')).toEqual(messages.map(m => m.kind));

		await runCli(['config', 'set', 'notify', 'echo broken >&2; exit 3'], {cwd: arena.dir});
		const failing = await runCli(['--proposer', 'search', '--max-experiments', '6'], {cwd: arena.dir});
		expect(failing.code).toBe(0);
		expect(failing.stdout.match(/the notify command failed/g)).toHaveLength(1);
		expect(failing.stdout).toMatch(/^warn: the notify command failed \(exit 3: broken\); later failures are not reported/m);
	});
});

describe('npm and Node', () => {
	/** The environment without the npm_config_* that the npm running these tests exported (its loglevel among them). */
	const env = (): NodeJS.ProcessEnv => ({
		...Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key))),
		NIGHTSHIFT_PYTHON: torchPython,
		OLLAMA_HOST: '127.0.0.1:9',
	});
	const npm = (args: string[], cwd: string, extraEnv: NodeJS.ProcessEnv = {}) =>
		spawnSync('npm', args, {cwd, env: {...env(), ...extraEnv}, encoding: 'utf8', timeout: 120_000});
	/** The system Node, when it is older than nightshift needs (the machine this was written on has Node 20 there). */
	const oldNode = ['/usr/bin/node', '/usr/local/bin/node'].find(
		p => existsSync(p) && Number(spawnSync(p, ['-p', 'process.versions.node'], {encoding: 'utf8'}).stdout.split('.')[0]) < 22,
	);

	it('npm start -s -- run --json: stdout is JSON lines and nothing else; without -s it says how to get that', () => {
		arena = makeFakeArena();
		const config = {NIGHTSHIFT_CONFIG_DIR: path.join(arena.dir, '.nightshift-config')};
		const args = ['run', '--json', '--workspace', arena.dir, '--max-experiments', '1', '--proposer', 'search'];
		const silent = npm(['start', '-s', '--', ...args], repoRootDir, config);
		expect(silent.status, silent.stderr).toBe(0);
		const lines = silent.stdout.trim().split('\n');
		expect(lines.length).toBeGreaterThan(2);
		for (const line of lines) expect(() => JSON.parse(line) as unknown).not.toThrow();
		const loud = npm(['start', '--', ...args], repoRootDir, config);
		expect(loud.stderr).toContain(
			'nightshift: npm printed its banner on stdout before these JSON lines; `npm start -s -- --json` leaves it out',
		);
	});

	it('npm start builds only when a source changed, and says so on stderr', () => {
		const source = path.join(repoRootDir, 'source', 'cli', 'io.ts');
		const now = new Date();
		utimesSync(source, now, now);
		const changed = npm(['start', '-s', '--', '--version'], repoRootDir);
		expect(changed.status, changed.stderr).toBe(0);
		expect(changed.stderr).toMatch(/^nightshift: building \(sources changed\)…\nnightshift: built in [\d.]+ s\n$/);
		expect(changed.stdout).toBe('0.1.0\n');
		const started = Date.now();
		const same = npm(['start', '-s', '--', '--version'], repoRootDir);
		const ms = Date.now() - started;
		expect(same.stderr).toBe('');
		expect(same.stdout).toBe('0.1.0\n');
		console.info(`npm start with nothing to build: ${ms} ms`);
	});

	it.runIf(oldNode)('an old Node gets a sentence that says what to do, not a stack from inside a dependency', () => {
		const result = spawnSync(oldNode!, [path.join(repoRootDir, 'dist', 'cli.js'), '--version'], {encoding: 'utf8'});
		expect(result.status).toBe(1);
		expect(result.stdout).toBe('');
		expect(result.stderr).toMatch(/^nightshift: this is Node \d+\.\d+\.\d+ \(.+\); nightshift needs Node 22 or newer\.$/m);
		expect(result.stderr).toMatch(/npm start runs the Node 24 this project pins/);
		expect(result.stderr).toMatch(/install Node 22 or newer/);
		expect(result.stderr).not.toMatch(/TypeError|\n\s+at /);
	});

	it.runIf(oldNode)('npm ci under an old Node prints no EBADENGINE warnings (the project .npmrc), and still would without it', () => {
		const dir = mkdtempSync(path.join(tmpdir(), 'nightshift-npmci-'));
		extra.push(dir);
		for (const file of ['package.json', 'package-lock.json']) copyFileSync(path.join(repoRootDir, file), path.join(dir, file));
		const path20 = {PATH: `${path.dirname(oldNode!)}:/usr/bin:/bin`};
		const ci = ['ci', '--dry-run', '--ignore-scripts', '--no-audit', '--no-fund'];
		const without = npm(ci, dir, path20);
		expect(without.stdout + without.stderr).toContain('EBADENGINE');
		copyFileSync(path.join(repoRootDir, '.npmrc'), path.join(dir, '.npmrc'));
		const withRc = npm(ci, dir, path20);
		expect(withRc.status, withRc.stderr).toBe(0);
		expect(withRc.stdout + withRc.stderr).not.toContain('EBADENGINE');
	});
});
