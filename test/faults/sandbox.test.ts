import {existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs';
import {createServer, type Server} from 'node:net';
import {homedir, tmpdir} from 'node:os';
import path from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import {bwrapArgs, chooseExecutor, expandWritable, gpuDevices, protectedPaths, SandboxError} from '../../source/core/sandbox.js';
import {parseArena} from '../../source/core/arena.js';
import {checkInvariants, resultRows} from '../support/invariants.js';
import {fixedPrepare, inject, makeFaultArena, messages, noSandbox, runLoop, widen} from '../support/faults.js';
import {ScriptedProposer} from '../support/scripted-proposer.js';
import {git, type TempArena} from '../support/workspace.js';

// Issue 10's second fault: an experiment's code was not confined. An edit
// wrote outside the workspace, appended to the fixed prepare.py in the
// worktree at run time (later kept runs measured against the altered one),
// and had the network. In the sandbox: no network at all (a listener on
// this machine's loopback is out of reach, a public address unreachable),
// EROFS everywhere but the run folder, a fresh /tmp and the declared
// writable paths.

const skip = noSandbox();
let arena: TempArena | undefined;
let server: Server | undefined;
const scratch: string[] = [];
afterEach(async () => {
	arena?.cleanup();
	arena = undefined;
	await new Promise<void>(resolve => (server ? server.close(() => resolve()) : resolve()));
	server = undefined;
	for (const p of scratch.splice(0)) rmSync(p, {recursive: true, force: true});
});

/** Tries each operation, catching its OSError, and writes what happened to the run folder as JSON. */
const attempts = (body: string): string => `
import json, socket
def connect(host, port):
    s = socket.socket()
    s.settimeout(3)
    try:
        s.connect((host, port))
        return "connected"
    except OSError as e:
        return f"{e.errno} {e.strerror}"
    finally:
        s.close()
def write(p):
    try:
        with open(p, "a") as f:
            f.write("written by the run\\n")
        return "written"
    except OSError as e:
        return f"{e.errno} {e.strerror}"
outcome = {${body}}
with open(os.path.join(os.environ["NIGHTSHIFT_RUN_DIR"], "outcome.json"), "w") as f:
    json.dump(outcome, f)
`;

function outcome(runs: string, folder: string): Record<string, string> {
	return JSON.parse(readFileSync(path.join(runs, folder, 'outcome.json'), 'utf8')) as Record<string, string>;
}

describe('the sandbox', () => {
	it.skipIf(skip !== undefined)(
		`has no network: loopback outside it and a public address are out of reach${skip ? ` (${skip})` : ''}`,
		async () => {
			let connections = 0;
			server = createServer(socket => {
				connections++;
				socket.destroy();
			});
			await new Promise<void>(resolve => server!.listen(0, '127.0.0.1', resolve));
			const port = (server.address() as {port: number}).port;
			arena = makeFaultArena();
			// 203.0.113.1 is TEST-NET-3: never routed, so nothing is reached even where a network exists.
			const proposer = new ScriptedProposer([
				r => inject(r, attempts(`"loopback": connect("127.0.0.1", ${port}), "public": connect("203.0.113.1", 80)`), 'phones home'),
			]);
			await runLoop(arena.dir, {proposer, maxExperiments: 2, sandbox: 'bwrap'});
			const runs = path.join(arena.dir, 'runs');
			const rows = resultRows(runs);
			expect(rows[1]![4]).toBe('phones home');
			const seen = outcome(runs, `0002-${rows[1]![0]}`);
			expect(seen['loopback']).toMatch(/^111 /);
			expect(seen['public']).toMatch(/^101 Network is unreachable/);
			expect(connections).toBe(0);
			checkInvariants(arena.dir);
		},
	);

	it.skipIf(skip !== undefined)(
		`lets a run write only its run folder, /tmp (its own) and the declared paths; prepare.py stays as committed${skip ? ` (${skip})` : ''}`,
		async () => {
			const cache = mkdtempSync(path.join(tmpdir(), 'nightshift-cache-'));
			const homeFile = path.join(homedir(), `.nightshift-fault-${process.pid}`);
			scratch.push(cache, homeFile);
			arena = makeFaultArena({writable: `[${cache}]`});
			const outside = path.join(arena.dir, 'outside.txt');
			const proposer = new ScriptedProposer([
				r =>
					inject(
						r,
						attempts(
							[
								`"workspace": write(${JSON.stringify(outside)})`,
								`"home": write(${JSON.stringify(homeFile)})`,
								'"prepare": write("prepare.py")',
								'"tmp": write("/tmp/scratch.txt")',
								`"cache": write(${JSON.stringify(path.join(cache, 'data.bin'))})`,
								'"run": write(os.path.join(os.environ["NIGHTSHIFT_RUN_DIR"], "mine.txt"))',
							].join(', '),
						),
						'writes everywhere',
					),
				// Unguarded: the run crashes on EROFS, and the log says how to declare a writable path.
				r => inject(r, 'open("prepare.py", "a").write("OFFSET = -0.5\\n")', 'lowers the bar'),
				r => widen(r),
			]);
			await runLoop(arena.dir, {proposer, maxExperiments: 4, sandbox: 'bwrap'});
			const runs = path.join(arena.dir, 'runs');
			const rows = resultRows(runs);
			expect(rows.map(r => [r[3], r[4]])).toEqual([
				['keep', 'baseline'],
				[expect.stringMatching(/keep|discard/), 'writes everywhere'],
				['crash', 'lowers the bar'],
				['keep', 'WIDTH 128'],
			]);
			const seen = outcome(runs, `0002-${rows[1]![0]}`);
			expect(seen).toMatchObject({
				workspace: expect.stringMatching(/^30 Read-only file system/),
				home: expect.stringMatching(/^30 /),
				prepare: expect.stringMatching(/^30 /),
				tmp: 'written',
				cache: 'written',
				run: 'written',
			});
			expect(existsSync(outside)).toBe(false);
			expect(existsSync(homeFile)).toBe(false);
			expect(existsSync('/tmp/scratch.txt')).toBe(false);
			expect(readFileSync(path.join(cache, 'data.bin'), 'utf8')).toBe('written by the run\n');
			expect(readFileSync(path.join(runs, 'worktrees', 'w0', 'train', 'prepare.py'), 'utf8')).toBe(fixedPrepare);
			const crashLog = readFileSync(path.join(runs, `0003-${rows[2]![0]}`, 'run.log'), 'utf8');
			expect(crashLog).toMatch(/Read-only file system/);
			expect(crashLog).toMatch(/`writable:` in program.md/);
			// The kept result was measured against the fixed prepare.py: no OFFSET crept in.
			expect(Number(rows[3]![1])).toBeGreaterThan(1);
			checkInvariants(arena.dir);
		},
	);

	it('is chosen as asked: bwrap required fails clearly where it cannot run; auto warns, naming the package', async () => {
		const saved = process.env.PATH;
		const {resetProbe} = await import('../../source/core/sandbox.js');
		try {
			process.env.PATH = '/nonexistent';
			resetProbe();
			expect(() => chooseExecutor('bwrap')).toThrow(SandboxError);
			expect(() => chooseExecutor('bwrap')).toThrow(/apt-get install bubblewrap/);
			const auto = chooseExecutor('auto');
			expect(auto.executor.name).toBe('local');
			expect(auto.note).toMatchObject({level: 'warn', text: expect.stringMatching(/^NO SANDBOX: .*apt-get install bubblewrap/)});
			expect(chooseExecutor('off').executor.name).toBe('local');
		} finally {
			process.env.PATH = saved;
			resetProbe();
		}
		if (skip === undefined) expect(chooseExecutor('auto')).toEqual({executor: expect.objectContaining({name: 'bwrap'})});
	});

	it.skipIf(skip !== undefined)(
		`is the default, and says so in the session event and summary.json${skip ? ` (${skip})` : ''}`,
		async () => {
			arena = makeFaultArena();
			const proposer = new ScriptedProposer([]);
			const {events} = await runLoop(arena.dir, {proposer, maxExperiments: 1});
			expect(events.find(e => e.type === 'session')).toMatchObject({executor: 'bwrap'});
			expect(messages(events, 'warn')).toEqual([]);
			checkInvariants(arena.dir);
		},
	);

	it('builds its command line: parents before children, protected paths read-only inside writable ones, GPUs passed through', () => {
		arena = makeFaultArena();
		git(arena.dir, 'worktree', 'add', '-q', '--detach', path.join(arena.dir, 'runs', 'worktrees', 'w0'));
		const worktree = path.join(arena.dir, 'runs', 'worktrees', 'w0');
		const runDir = path.join(arena.dir, 'runs', '0001-abcdef0');
		const protect = protectedPaths({runDir, worktree});
		expect(protect).toEqual(expect.arrayContaining([path.join(arena.dir, 'runs'), worktree, path.join(arena.dir, '.git'), arena.dir]));
		const args = bwrapArgs({
			runDir,
			cwd: path.join(worktree, 'train'),
			writable: ['/data/cache', homedir()],
			protect,
			devices: ['/dev/nvidia0', '/dev/nvidiactl', '/dev/nvidia-uvm'],
		});
		const line = args.join(' ');
		expect(line).toMatch(/^--ro-bind \/ \/ --dev \/dev --dev-bind \/dev\/nvidia0 \/dev\/nvidia0 .*--proc \/proc --tmpfs \/tmp /);
		expect(line).toMatch(/--unshare-net --unshare-pid --die-with-parent --new-session --cap-drop ALL --$/);
		const order = (p: string, flag: string) => args.findIndex((a, i) => a === flag && args[i + 1] === p);
		expect(order(arena.dir, '--ro-bind')).toBeGreaterThan(order('/tmp', '--tmpfs'));
		expect(order(runDir, '--bind')).toBeGreaterThan(order(path.join(arena.dir, 'runs'), '--ro-bind'));
		expect(order(worktree, '--ro-bind')).toBeGreaterThan(order(arena.dir, '--ro-bind'));
		expect(gpuDevices('/nonexistent')).toEqual([]);
	});

	it('reads `sandbox:` and `writable:` from program.md, expanding ~ and $VAR', () => {
		const {rules} = parseArena('---\nsandbox: bwrap\nwritable: [~/.cache/x, $DATA/y, /scratch]\n---\ngoal\n');
		expect(rules).toMatchObject({sandbox: 'bwrap', writable: ['~/.cache/x', '$DATA/y', '/scratch']});
		expect(() => parseArena('---\nsandbox: maybe\n---\n')).toThrow(/line 2: `sandbox` must be `auto`/);
		expect(() => parseArena('---\nwritable: [data]\n---\n')).toThrow(/line 2: `writable` must be a list of paths/);
		expect(expandWritable('~/.cache/x', {})).toBe(path.join(homedir(), '.cache', 'x'));
		expect(expandWritable('$DATA/y', {DATA: '/srv/data'})).toBe('/srv/data/y');
		expect(expandWritable('${DATA}', {DATA: '/srv/data'})).toBe('/srv/data');
		expect(expandWritable('$NIGHTSHIFT_CACHE', {})).toBeUndefined();
	});
});
