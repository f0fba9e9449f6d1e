import {describe, expect, it} from 'vitest';
import {checkGpus, listGpuIndices} from '../../source/core/gpu.js';
import {gresNames, parseSinfo} from '../../source/core/slurm-check.js';
import {jobName, parseQueue, parseSacct, parseScontrolJob, slurmEnvironment} from '../../source/core/slurm-commands.js';
import {splitCommand} from '../../source/core/command.js';
import {requeueFromText, requeueReason, srunArgv, timeLimitMinutes} from '../../source/core/slurm-job.js';

// What needs no cluster: the srun command line, reading Slurm's answers, the
// `--slurm-args` text, and `--gpus` checked against nvidia-smi.

const smi = (text: string | undefined) => async () => text;
const twoGpus = '0, NVIDIA H200, 0, 1, 143771, 30\n1, NVIDIA H200, 0, 1, 143771, 31\n';

describe('the srun command line', () => {
	it('is one job: name, partition, gres, time limit over the timeout, the folder, live output, extra args last', () => {
		const argv = srunArgv(
			{
				argv: ['python', 'train.py'],
				cwd: '/shared/ws/runs/worktrees/w0/train',
				timeoutSeconds: 330,
				runDir: '/shared/ws/runs/0007-abc1234',
			},
			{partition: 'gpu', args: ['--mem=32G', '--account=lab']},
		);
		expect(argv.slice(0, 12)).toEqual([
			'srun',
			`--job-name=${jobName('/shared/ws/runs/0007-abc1234')}`,
			'--partition=gpu',
			'--gres=gpu:1',
			'--nodes=1',
			'--ntasks=1',
			'--time=7',
			'--chdir=/shared/ws/runs/worktrees/w0/train',
			'--input=none',
			'--unbuffered',
			'--export=ALL',
			'--mem=32G',
		]);
		expect(argv.slice(12, 16)).toEqual(['--account=lab', '--', '/bin/sh', '-c']);
		expect(argv.slice(17)).toEqual(['nightshift-run', '/shared/ws/runs/worktrees/w0/train', 'python', 'train.py']);
		expect(jobName('/shared/ws/runs/0007-abc1234')).toMatch(/^nightshift-0007-abc1234-[0-9a-f]{8}$/);
		expect(jobName('/other/ws/runs/0007-abc1234')).not.toBe(jobName('/shared/ws/runs/0007-abc1234'));
	});

	it('asks for no gres with `none`, and a minute at least', () => {
		const argv = srunArgv({argv: ['sh', 'run.sh'], cwd: '/w', timeoutSeconds: 5, runDir: '/r/0001-a'}, {gres: 'none'});
		expect(argv.some(a => a.startsWith('--gres'))).toBe(false);
		expect(argv.some(a => a.startsWith('--partition'))).toBe(false);
		expect(timeLimitMinutes(5)).toBe(2);
		expect(timeLimitMinutes(60)).toBe(2);
		expect(timeLimitMinutes(61)).toBe(3);
	});

	it('leaves out an enclosing allocation, so each run is a job of its own', () => {
		process.env['SLURM_JOB_ID'] = '41';
		process.env['SLURM_JOBID'] = '41';
		try {
			const env = slurmEnvironment({SLURM_CONF: '/etc/x.conf'});
			expect(env['SLURM_JOB_ID']).toBeUndefined();
			expect(env['SLURM_JOBID']).toBeUndefined();
			expect(env['SLURM_CONF']).toBe('/etc/x.conf');
		} finally {
			delete process.env['SLURM_JOB_ID'];
			delete process.env['SLURM_JOBID'];
		}
	});
});

describe("Slurm's answers", () => {
	it('reads squeue, scontrol, sacct and sinfo', () => {
		expect(parseQueue('12|PENDING|Resources\n13|RUNNING|None\n')).toEqual([
			{id: '12', state: 'PENDING', reason: 'Resources'},
			{id: '13', state: 'RUNNING', reason: 'None'},
		]);
		expect(
			parseScontrolJob(
				'JobId=13 JobName=nightshift-0002-x JobState=NODE_FAIL Reason=NodeDown Dependency=(null) Requeue=1 ExitCode=0:0 RunTime=00:00:02',
			),
		).toEqual({state: 'NODE_FAIL', reason: 'NodeDown', exitCode: 0, signal: 0});
		expect(parseScontrolJob('JobId=2 JobState=CANCELLED Reason=None ExitCode=0:15')).toMatchObject({state: 'CANCELLED', signal: 15});
		expect(parseSacct('CANCELLED by 0|0:15\n')).toEqual({state: 'CANCELLED', reason: 'by 0', exitCode: 0, signal: 15});
		expect(parseSinfo('debug*|up|1|gpu:2\ngpu|up|4|gpu:a100:4(S:0-1)\ncpu|inact|8|(null)\n')).toEqual([
			{name: 'debug', isDefault: true, avail: 'up', nodes: 1, gres: 'gpu:2'},
			{name: 'gpu', isDefault: false, avail: 'up', nodes: 4, gres: 'gpu:a100:4(S:0-1)'},
			{name: 'cpu', isDefault: false, avail: 'inact', nodes: 8, gres: '(null)'},
		]);
		expect(gresNames('gpu:a100:2,shard:1')).toEqual(['gpu', 'shard']);
		expect(gresNames('none')).toEqual([]);
	});

	it('tells an end that is not the run’s doing, with the reason', () => {
		expect(requeueReason('5', {state: 'PREEMPTED', reason: 'None', exitCode: 0, signal: 0})).toBe('Slurm job 5 was preempted (PREEMPTED)');
		expect(requeueReason('5', {state: 'NODE_FAIL', reason: 'NodeDown', exitCode: 0, signal: 0})).toBe(
			'Slurm job 5 lost its node (NODE_FAIL, NodeDown)',
		);
		expect(requeueReason('5', {state: 'COMPLETED', reason: 'None', exitCode: 0, signal: 0})).toBeUndefined();
		expect(requeueReason('5', {state: 'FAILED', reason: 'NonZeroExitCode', exitCode: 1, signal: 0})).toBeUndefined();
		expect(requeueReason('5', {state: 'OUT_OF_MEMORY', reason: 'None', exitCode: 0, signal: 9})).toBeUndefined();
		expect(requeueFromText(['slurmstepd: error: *** JOB 5 ON n1 CANCELLED AT 2026-11-28T22:00:00 DUE TO PREEMPTION ***']).requeue).toMatch(
			/preempted/,
		);
		expect(requeueFromText(['slurmstepd: error: *** JOB 5 ON n1 CANCELLED AT 2026-11-28T22:00:00 DUE TO TIME LIMIT ***'])).toEqual({
			timeout: true,
		});
		expect(requeueFromText(['srun: error: Node failure on n1']).requeue).toMatch(/lost its node/);
		expect(requeueFromText(['slurmstepd: error: *** STEP 5.0 ON n1 CANCELLED AT 2026-11-28T22:00:00 ***']).requeue).toMatch(
			/cancelled from outside/,
		);
		expect(requeueFromText(['srun: error: n1: task 0: Exited with exit code 1'])).toEqual({});
	});

	it('splits --slurm-args as a shell would (the same splitter as the run command), without expanding anything', () => {
		expect(splitCommand(`--mem=32G  --constraint="a100|h100" --comment='night shift' a\\ b`)).toEqual([
			'--mem=32G',
			'--constraint=a100|h100',
			'--comment=night shift',
			'a b',
		]);
		expect(splitCommand('')).toEqual([]);
		expect(splitCommand(`--x=""`)).toEqual(['--x=']);
		expect(() => splitCommand(`--comment='open`)).toThrow(/unterminated ' quote/);
	});
});

describe('--gpus against nvidia-smi', () => {
	it('accepts GPUs the machine has, and names the ones it does not', async () => {
		expect(await listGpuIndices(smi(twoGpus))).toEqual([0, 1]);
		expect(await listGpuIndices(smi(undefined))).toBeUndefined();
		expect(await checkGpus([0, 1], smi(twoGpus))).toBeUndefined();
		expect(await checkGpus([1, 3], smi(twoGpus))).toBe('--gpus 1,3: GPU 3 is not on this machine (nvidia-smi lists GPUs 0, 1)');
		expect(await checkGpus([2, 3], smi('0, H200, 0, 1, 2, 3\n'))).toBe(
			'--gpus 2,3: GPUs 2, 3 are not on this machine (nvidia-smi lists GPU 0)',
		);
		expect(await checkGpus([0], smi(undefined))).toMatch(/nvidia-smi is not available here/);
		expect(await checkGpus([0, 0], smi(twoGpus))).toMatch(/names GPU 0 more than once/);
		expect(await checkGpus([-1], smi(twoGpus))).toMatch(/takes GPU indices/);
	});
});
