import {spawn} from 'node:child_process';
import {mkdirSync, mkdtempSync, readFileSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest';
import type {RunHandle, RunSpec} from '../../source/core/executor.js';
import {checkSharedFilesystem, preflightSlurm} from '../../source/core/slurm-check.js';
import {jobName} from '../../source/core/slurm-commands.js';
import {SlurmExecutor} from '../../source/core/slurm.js';
import {srunArgv, type SlurmOptions} from '../../source/core/slurm-job.js';
import {slurmUnavailable, startSlurmCluster, type SlurmCluster} from '../support/slurm-cluster.js';
import {queue, sleep, until} from './standin.js';

// The Slurm executor on a real single-node cluster with two gres GPUs: a run
// is a job, a job that waits says why, stop and the timeout cancel it, an
// end that is not the run's doing says so, a controller that is down is
// waited for, and bad input is refused at start with nothing run.

const unavailable = slurmUnavailable();
if (unavailable) console.warn(`test/slurm: ${unavailable}`);

type Started = {handle: RunHandle; lines: string[]; queued: string[]; dir: string; pids: number[]};

describe.skipIf(unavailable !== undefined)(`the Slurm executor${unavailable ? ` (${unavailable})` : ''}`, () => {
	let cluster: SlurmCluster;
	let scratch: string;
	let count = 0;
	beforeAll(async () => {
		cluster = await startSlurmCluster({gpus: 2});
		scratch = mkdtempSync(path.join(tmpdir(), 'nightshift-slurm-runs-'));
	});
	afterAll(async () => {
		await cluster?.stop();
		if (scratch) rmSync(scratch, {recursive: true, force: true});
	});
	afterEach(async () => {
		// Every test leaves the cluster as it found it: no job of ours queued or running.
		await until('the queue to empty', () => queue(cluster).length === 0, 20_000);
	});

	const options = (extra: Partial<SlurmOptions> = {}): SlurmOptions => ({partition: cluster.partition, env: cluster.env, ...extra});

	function start(script: string, extra: Partial<SlurmOptions> = {}, spec: Partial<RunSpec> = {}): Started {
		const dir = path.join(scratch, `${String(++count).padStart(4, '0')}-run`);
		mkdirSync(dir);
		const lines: string[] = [];
		const queued: string[] = [];
		const pids: number[] = [];
		const handle = new SlurmExecutor(options(extra)).start({
			argv: ['/bin/sh', '-c', script],
			cwd: dir,
			env: {NIGHTSHIFT_RUN_DIR: dir},
			timeoutSeconds: 60,
			runDir: dir,
			worktree: scratch,
			logPath: path.join(dir, 'run.log'),
			onLine: line => {
				if (!line.partial) lines.push(line.text);
			},
			onProgress: () => {},
			onQueued: reason => queued.push(reason),
			onSpawn: pid => pids.push(pid),
			killGraceSeconds: 1,
			...spec,
		});
		return {handle, lines, queued, dir, pids};
	}

	const jobOf = (run: Started) => queue(cluster).find(j => j.name === jobName(run.dir));

	it('runs a command as a job: output streamed into run.log, its exit status, a GPU of its own; a third waits, queued with the reason', async () => {
		const a = start('echo "gpu=$CUDA_VISIBLE_DEVICES"; sleep 5; echo ---; echo "val_bpb: 1.25"; exit 0');
		const b = start('echo "gpu=$CUDA_VISIBLE_DEVICES"; sleep 5; exit 3');
		await until('two jobs running', () => queue(cluster).filter(j => j.state === 'RUNNING').length === 2);
		const c = start('echo "gpu=$CUDA_VISIBLE_DEVICES"');
		await until('the third queued', () => c.queued.length > 0);
		expect(c.queued[0]).toMatch(/^Slurm job \d+ is pending \(Resources\)$/);
		const [ra, rb, rc] = await Promise.all([a.handle.done, b.handle.done, c.handle.done]);
		expect(ra).toMatchObject({exitCode: 0, killed: undefined, summary: {val_bpb: 1.25}});
		expect(rb).toMatchObject({exitCode: 3, killed: undefined});
		expect(rc.exitCode).toBe(0);
		const gpus = [a, b].map(r => r.lines.find(l => l.startsWith('gpu='))).sort();
		expect(gpus).toEqual(['gpu=0', 'gpu=1']);
		expect(c.lines.find(l => l.startsWith('gpu='))).toMatch(/^gpu=[01]$/);
		expect(readFileSync(path.join(a.dir, 'run.log'), 'utf8')).toContain('gpu=');
		expect(readFileSync(path.join(a.dir, 'run.log'), 'utf8')).toContain('val_bpb: 1.25');
		expect(readFileSync(path.join(c.dir, 'run.log'), 'utf8')).toMatch(/queued and waiting for resources/);
	});

	it('stop cancels a running job, and a pending one; the timeout cancels it too', async () => {
		const running = start('echo started; sleep 60');
		await until('the job running', () => running.lines.includes('started'));
		const id = jobOf(running)!.id;
		running.handle.stop();
		const stopped = await running.handle.done;
		expect(stopped.killed).toBe('stop');
		await until('squeue to drop it', () => !queue(cluster).some(j => j.id === id), 15_000);
		expect(readFileSync(path.join(running.dir, 'run.log'), 'utf8')).toMatch(/stopped by the user \(Slurm job \d+ cancelled\)/);

		const hold = start('echo holding; sleep 60', {gres: 'gpu:2'});
		await until('the GPUs held', () => hold.lines.includes('holding'));
		const pending = start('echo never');
		await until('it pending', () => pending.queued.length > 0);
		pending.handle.stop();
		expect((await pending.handle.done).killed).toBe('stop');
		expect(pending.lines).not.toContain('never');
		hold.handle.stop();
		await hold.handle.done;

		const slow = start('echo started; sleep 60', {}, {timeoutSeconds: 2});
		const timedOut = await slow.handle.done;
		expect(timedOut.killed).toBe('timeout');
		expect(timedOut.seconds).toBeLessThan(10);
	});

	it('a job cancelled from outside, or whose node fails, ends with the reason to run it again', async () => {
		const cancelled = start('echo started; sleep 60');
		await until('the job running', () => cancelled.lines.includes('started'));
		cluster.client('scancel', jobOf(cancelled)!.id);
		const result = await cancelled.handle.done;
		expect(result.killed).toBeUndefined();
		expect(result.requeue).toMatch(/^Slurm job \d+ was cancelled from outside nightshift \(CANCELLED/);
		expect(result.tail.at(-1)).toMatch(/the experiment runs again$/);

		// Cancelled the moment the controller knows it, before the job can say which it is: still no refusal by srun, a job to run again.
		const early = start('echo started; sleep 60');
		await until('the job known to the controller', () => jobOf(early) !== undefined, 20_000);
		cluster.client('scancel', jobOf(early)!.id);
		const earlyResult = await early.handle.done;
		expect(earlyResult.spawnError).toBeUndefined();
		// In the controller's words, or (when it has not answered yet) in srun's.
		expect(earlyResult.requeue).toMatch(/^(Slurm job \d+|the Slurm job) was cancelled from outside nightshift \((CANCELLED|srun said so)/);

		const lost = start('echo started; sleep 60');
		await until('the job running', () => lost.lines.includes('started'));
		cluster.client('scontrol', 'update', `nodename=${cluster.node}`, 'state=down', 'reason=nightshift-test');
		try {
			const failed = await lost.handle.done;
			expect(failed.requeue).toMatch(/lost its node \(NODE_FAIL/);
			expect(failed.exitCode).not.toBe(0);
		} finally {
			try {
				cluster.client('scontrol', 'update', `nodename=${cluster.node}`, 'state=resume');
			} catch {
				// ReturnToService=2 may have brought it back already.
			}
			await until('the node idle again', () => /^idle/m.test(cluster.client('sinfo', '-h', '-o', '%t')), 30_000);
		}
	});

	it('with the controller down: preflight says so; a run waits, tries again, and runs once it is back', async () => {
		await cluster.stopController();
		try {
			await expect(preflightSlurm({env: cluster.env})).rejects.toThrow(/the Slurm controller cannot be reached/);
			const run = start('echo ---; echo "val_bpb: 1.5"', {retrySeconds: {first: 1, max: 2}});
			await until('the run to say it waits', () => run.queued.some(q => /controller cannot be reached/.test(q)), 40_000);
			await cluster.startController();
			const result = await run.handle.done;
			expect(result).toMatchObject({exitCode: 0, summary: {val_bpb: 1.5}, killed: undefined});
			expect(result.requeue).toBeUndefined();
			expect(run.pids.length).toBeGreaterThan(1);
			expect(readFileSync(path.join(run.dir, 'run.log'), 'utf8')).toMatch(/the Slurm controller cannot be reached .*trying again in \d+ s/);
		} finally {
			if (!/is UP/.test(safe(() => cluster.client('scontrol', 'ping')))) await cluster.startController();
		}
		await until('the node idle again', () => /^idle/m.test(cluster.client('sinfo', '-h', '-o', '%t')), 30_000);
	});

	it('cancels the job a killed loop left behind', async () => {
		const hold = start('echo holding; sleep 60', {gres: 'gpu:2'});
		await until('the GPUs held', () => hold.lines.includes('holding'));
		// The run's srun as the loop starts it, then kill -9 (the loop's end, with nothing left to clean up): the pending job stays queued.
		const dir = path.join(scratch, 'left-behind');
		mkdirSync(dir);
		const [srun, ...args] = srunArgv({argv: ['echo', 'never'], cwd: dir, timeoutSeconds: 60, runDir: dir}, options());
		const orphan = spawn(srun!, args, {env: {...process.env, ...cluster.env}, stdio: 'ignore'});
		const exited = new Promise(resolve => orphan.once('exit', resolve));
		await until('it pending', () => queue(cluster).find(j => j.name === jobName(dir))?.state === 'PENDING');
		orphan.kill('SIGKILL');
		await exited;
		await sleep(1000);
		expect(queue(cluster).find(j => j.name === jobName(dir))?.state).toBe('PENDING');
		expect(await new SlurmExecutor(options()).cancelLeftover(dir)).toBe(true);
		await until('squeue to drop it', () => !queue(cluster).some(j => j.name === jobName(dir)), 15_000);
		hold.handle.stop();
		await hold.handle.done;
	});

	it('refuses bad input at start: no srun, no such partition, no such gres; checks the runs folder is shared', async () => {
		await expect(preflightSlurm({env: {...cluster.env, PATH: '/nonexistent'}})).rejects.toThrow(/`srun` is not installed here/);
		await expect(preflightSlurm({partition: 'gpu-a100', env: cluster.env})).rejects.toThrow(
			/--slurm-partition gpu-a100: Slurm has no such partition \(sinfo lists debug\)/,
		);
		await expect(preflightSlurm({partition: 'debug', gres: 'shard:1', env: cluster.env})).rejects.toThrow(
			/no node in partition debug has shard/,
		);
		await expect(preflightSlurm({partition: 'debug', env: cluster.env})).resolves.toMatchObject({partition: 'debug', gres: ['gpu:2']});
		await expect(preflightSlurm({gres: 'none', env: cluster.env})).resolves.toMatchObject({partition: 'debug'});

		await checkSharedFilesystem(path.join(scratch, 'runs'), cluster.partition, {env: cluster.env});
		if (cluster.nodeLocal) {
			const local = path.join(cluster.nodeLocal, 'runs');
			await expect(checkSharedFilesystem(local, cluster.partition, {env: cluster.env})).rejects.toThrow(
				`${local} is not visible from the Slurm nodes`,
			);
		} else console.warn('test/slurm: no mount namespaces here, so no folder the node does not share: that half is skipped');
		await expect(checkSharedFilesystem(path.join(scratch, 'runs'), 'gpu-a100', {env: cluster.env})).rejects.toThrow(
			/Invalid partition name/,
		);
	});
});

function safe(read: () => string): string {
	try {
		return read();
	} catch {
		return '';
	}
}
