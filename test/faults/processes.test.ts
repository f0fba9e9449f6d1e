import {spawn, spawnSync} from 'node:child_process';
import {existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import {acquireLock, isWrapper, LockError, lockFileName, processStart} from '../../source/core/lock.js';
import {checkInvariants, resultRows, sessionProcesses} from '../support/invariants.js';
import {faultTrain, loopChildArgv, makeFaultArena, noSandbox, readEvents, startLoopChild, summaryOf, until} from '../support/faults.js';
import {alive, gone, repoRootDir, torchPython, type TempArena} from '../support/workspace.js';

// Issue 10's third fault: two loops on one workspace were never refused
// (the second killed the first one's live run, both appended a row for one
// commit, the second died on a git error), and a loop whose `npm start` was
// killed -9 ran on unseen, so a restart made two. Each test here runs the
// loop as a real process (test/support/loop-child.ts, wired as the CLI is
// asked to be): a second one is refused naming the first; one orphaned by
// kill -9 of its wrapper ends itself; SIGTERM and SIGHUP interrupt it, and
// the run it interrupted runs again after a restart.

const slowTrain = faultTrain.replace('SLEEP = 0.0', 'SLEEP = 3.0');

let arena: TempArena | undefined;
const scratch: string[] = [];
const started: number[] = [];
afterEach(async () => {
	for (const pid of started.splice(0)) {
		try {
			process.kill(pid, 'SIGKILL');
		} catch {
			// Already gone, as it should be.
		}
	}
	arena?.cleanup();
	arena = undefined;
	for (const p of scratch.splice(0)) rmSync(p, {recursive: true, force: true});
});

describe('one loop per session', () => {
	it('a second loop (a real process) is refused, naming the first and how to attach or stop it; the first goes on untouched', async () => {
		arena = makeFaultArena({}, slowTrain);
		const first = startLoopChild({workspace: arena.dir, maxExperiments: 2});
		started.push(first.child.pid!);
		await first.waitFor(e => e.type === 'run-start' && e.n === 1);
		const second = startLoopChild({workspace: arena.dir, maxExperiments: 2});
		started.push(second.child.pid!);
		const refused = await second.exited;
		expect(refused.code).toBe(3);
		const pid = first.child.pid!;
		expect(second.stderr()).toMatch(
			new RegExp(`another nightshift is running this session: pid ${pid} .*\\(in tmux: tmux attach\\), or stop it \\(kill ${pid}\\)`),
		);
		expect((await first.exited).code).toBe(0);
		const runs = path.join(arena.dir, 'runs');
		const rows = resultRows(runs);
		expect(rows).toHaveLength(2);
		expect(summaryOf(runs, `0001-${rows[0]![0]}`)['killed']).toBeNull();
		expect(existsSync(path.join(runs, lockFileName))).toBe(false);
		checkInvariants(arena.dir);
	});

	it('a lock whose holder is gone (kill -9, a reused pid) is taken over; a live one, even this process, is not', () => {
		const runs = mkdtempSync(path.join(tmpdir(), 'nightshift-lock-'));
		scratch.push(runs);
		const dead = spawnSync('true').pid;
		const holder = (pid: number, start: string) =>
			JSON.stringify({pid, start, boot: '', host: 'x', started_at: '', command: 'nightshift'}, null, 2);
		const boot = (spawnSync('cat', ['/proc/sys/kernel/random/boot_id'], {encoding: 'utf8'}).stdout ?? '').trim();
		const host = (spawnSync('hostname', {encoding: 'utf8'}).stdout ?? '').trim();
		const write = (pid: number, start: string) =>
			writeFileSync(
				path.join(runs, lockFileName),
				holder(pid, start).replace('"boot": ""', `"boot": "${boot}"`).replace('"host": "x"', `"host": "${host}"`),
			);
		write(dead, '1');
		// What a holder killed between a temp file and its rename leaves; the next holder clears it.
		mkdirSync(path.join(runs, '0001-abcdef0'));
		const temps = [path.join(runs, `.results.tsv.${dead}.1.tmp`), path.join(runs, '0001-abcdef0', `.summary.json.${dead}.1.tmp`)];
		for (const t of temps) writeFileSync(t, 'half');
		const release = acquireLock(runs);
		expect(temps.filter(t => existsSync(t))).toEqual([]);
		expect(() => acquireLock(runs)).toThrow(LockError);
		expect(() => acquireLock(runs)).toThrow(new RegExp(`pid ${process.pid} `));
		release();
		expect(existsSync(path.join(runs, lockFileName))).toBe(false);
		// This very process, but started at another time: a pid reused.
		write(process.pid, String(Number(processStart(process.pid)) - 1));
		acquireLock(runs)();
		// Another machine's: it cannot be told, so it holds.
		writeFileSync(path.join(runs, lockFileName), holder(dead, '1'));
		expect(() => acquireLock(runs)).toThrow(/on x .*remove .*nightshift\.lock/);
	});

	it('knows the wrappers that start a loop', () => {
		expect(isWrapper(['npm run loop'])).toBe(true);
		expect(isWrapper(['node', '/usr/lib/node_modules/npm/bin/npm-cli.js', 'start'])).toBe(true);
		expect(isWrapper(['sh', '-c', 'node dist/cli.js'])).toBe(true);
		expect(isWrapper(['-bash'])).toBe(false);
		expect(isWrapper(['tmux: server'])).toBe(false);
	});
});

describe('the loop ends with what started it', () => {
	it('kill -9 of the npm that started it: the loop quits (interrupted) within seconds; a restart runs the experiment again', async () => {
		arena = makeFaultArena({}, slowTrain);
		const pkg = mkdtempSync(path.join(tmpdir(), 'nightshift-npm-'));
		scratch.push(pkg);
		const argv = loopChildArgv({workspace: arena.dir, maxExperiments: 3, python: torchPython, killGraceSeconds: 1});
		const quoted = argv.map(a => `'${a}'`).join(' ');
		writeFileSync(
			path.join(pkg, 'package.json'),
			JSON.stringify({name: 'x', private: true, scripts: {loop: `cd ${repoRootDir} && node ${quoted}`}}),
		);
		const npm = spawn('npm', ['run', '--silent', 'loop'], {cwd: pkg, stdio: ['ignore', 'pipe', 'pipe']});
		started.push(npm.pid!);
		const watch = readEvents(npm);
		await watch.waitFor(e => e.type === 'run-start' && e.n === 1);
		const loopPid = (watch.events().find(e => e.type === 'child') as {pid: number}).pid;
		started.push(loopPid);
		const runs = path.join(arena.dir, 'runs');
		await until(() => sessionProcesses(runs).length > 0, 5000, 'the run');
		npm.kill('SIGKILL');
		// The poll (1 s), the run's grace (1 s): well within five.
		await watch.waitFor(e => e.type === 'state' && e.state === 'stopping' && /interrupted/.test(e.detail ?? ''), 8000);
		expect(await gone([loopPid], 8000)).toBe(true);
		await until(() => sessionProcesses(runs).length === 0, 5000, 'the run to end');
		expect(existsSync(path.join(runs, lockFileName))).toBe(false);
		const again = startLoopChild({workspace: arena.dir, maxExperiments: 2});
		started.push(again.child.pid!);
		expect((await again.exited).code).toBe(0);
		expect(readdirSync(path.join(runs, 'interrupted'))).toHaveLength(1);
		expect(resultRows(runs).map(r => r[4])).toEqual(['baseline', expect.any(String)]);
		checkInvariants(arena.dir);
	});

	it.skipIf(noSandbox() !== undefined)(
		`kill -9 of the loop itself mid-run: the sandboxed run dies with it, at once; a restart runs it again${noSandbox() ? ` (${noSandbox()})` : ''}`,
		async () => {
			arena = makeFaultArena({}, slowTrain);
			const first = startLoopChild({workspace: arena.dir, maxExperiments: 2, sandbox: 'bwrap'});
			started.push(first.child.pid!);
			await first.waitFor(e => e.type === 'run-start' && e.n === 2, 60_000);
			const runs = path.join(arena.dir, 'runs');
			await until(() => sessionProcesses(runs).length > 0, 5000, 'the run');
			first.child.kill('SIGKILL');
			await first.exited;
			// bwrap --die-with-parent: nothing to end on restart.
			await until(() => sessionProcesses(runs).length === 0, 2000, 'the sandbox to go with the loop');
			const again = startLoopChild({workspace: arena.dir, maxExperiments: 2});
			started.push(again.child.pid!);
			expect((await again.exited).code).toBe(0);
			expect(again.events().some(e => e.type === 'message' && /ended experiment 2's process/.test(e.text))).toBe(false);
			expect(readdirSync(path.join(runs, 'interrupted'))).toHaveLength(1);
			checkInvariants(arena.dir);
		},
	);

	it.each(['SIGTERM', 'SIGHUP'] as const)('%s mid-run: interrupted (exit 130), and the run runs again on restart', async signal => {
		arena = makeFaultArena({}, slowTrain);
		const first = startLoopChild({workspace: arena.dir, maxExperiments: 2});
		started.push(first.child.pid!);
		await first.waitFor(e => e.type === 'run-start' && e.n === 2, 60_000);
		first.child.kill(signal);
		const asked = Date.now();
		expect((await first.exited).code).toBe(130);
		expect(Date.now() - asked).toBeLessThan(5000);
		const runs = path.join(arena.dir, 'runs');
		const running = readdirSync(runs).filter(f => /^0002-/.test(f));
		expect(running).toHaveLength(1);
		expect(summaryOf(runs, running[0]!)['status']).toBe('running');
		expect(sessionProcesses(runs)).toEqual([]);
		const again = startLoopChild({workspace: arena.dir, maxExperiments: 2});
		started.push(again.child.pid!);
		await again.waitFor(e => e.type === 'message' && /experiment 2 .* was interrupted; it will run again/.test(e.text));
		expect((await again.exited).code).toBe(0);
		const rows = resultRows(runs);
		expect(rows).toHaveLength(2);
		expect(summaryOf(runs, `0002-${rows[1]![0]}`)['interrupted']).toBe(1);
		checkInvariants(arena.dir);
		expect(alive(first.child.pid!)).toBe(false);
	});
});
