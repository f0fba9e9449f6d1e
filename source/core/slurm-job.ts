import {constants} from 'node:os';
import type {RunSpec} from './executor.js';
import {jobName, type JobEnd, type SlurmEnv} from './slurm-commands.js';

// What a run is as a Slurm job, without running one: the options, the srun
// command line and the script the job runs, and how to read an end that was
// not the run's own (cancelled, preempted, its node lost) from the
// controller's state or from srun's and slurmstepd's words.

export type SlurmOptions = {
	/** The partition jobs go to; Slurm's default partition when absent. */
	partition?: string;
	/** The generic resources each job asks for; default `gpu:1`. '' or `none`: none (CPU jobs). */
	gres?: string;
	/** More srun arguments, after nightshift's own (so they win): `--mem=32G`, `--account=lab`. */
	args?: string[];
	/** Added to the environment of every Slurm command (SLURM_CONF, to reach another cluster). */
	env?: SlurmEnv;
	/** Milliseconds between squeue polls while a job is not yet running; default 1000. */
	pollMs?: number;
	/** Waits while the controller cannot be reached: the first, doubling up to the last; seconds. Default 5 and 60. */
	retrySeconds?: {first: number; max: number};
};

export const defaultGres = 'gpu:1';

/** The job's time limit for a run's timeout: whole minutes, a minute of margin over ours (ours ends it gently first). */
export function timeLimitMinutes(timeoutSeconds: number): number {
	return Math.max(1, Math.ceil(timeoutSeconds / 60) + 1);
}

export function gresOf(options: SlurmOptions): string | undefined {
	const gres = (options.gres ?? defaultGres).trim();
	return gres === '' || gres === 'none' ? undefined : gres;
}

/**
 * In the job: enter the run's folder in the worktree (a node that does not
 * have it says so, instead of Slurm's silent fall back to /tmp), say which
 * job, node and GPUs this is (on srun's stderr: the job's id without asking
 * squeue, and the log keeps where the run ran), then the command with its
 * stderr on stdout, so that srun's own stderr carries only Slurm's messages.
 */
const jobScript = [
	'node=${SLURMD_NODENAME:-$(hostname)}',
	'cd -- "$1" 2>/dev/null || { echo "nightshift: $1 does not exist on $node: the worktrees must be on a filesystem the nodes share, at the same path" >&2; exit 97; }',
	'shift',
	'echo "nightshift: Slurm job ${SLURM_JOB_ID:-?} on $node${CUDA_VISIBLE_DEVICES:+, CUDA_VISIBLE_DEVICES=$CUDA_VISIBLE_DEVICES}" >&2',
	'exec "$@" 2>&1',
].join('; ');

/** What the job says as it starts (see jobScript). */
export const startedLine = /^nightshift: Slurm job (\d+) on /;

/** srun's and slurmstepd's words for an end that may not be the run's own: then the controller's verdict is waited for. */
export const unusualEnd = /CANCELLED|DUE TO|Node failure|revoked|Force Terminated|PREEMPT/i;

/** The exact srun command line for a run. */
export function srunArgv(spec: Pick<RunSpec, 'argv' | 'cwd' | 'timeoutSeconds' | 'runDir'>, options: SlurmOptions): string[] {
	const gres = gresOf(options);
	return [
		'srun',
		`--job-name=${jobName(spec.runDir)}`,
		...(options.partition ? [`--partition=${options.partition}`] : []),
		...(gres ? [`--gres=${gres}`] : []),
		'--nodes=1',
		'--ntasks=1',
		`--time=${timeLimitMinutes(spec.timeoutSeconds)}`,
		`--chdir=${spec.cwd}`,
		'--input=none',
		'--unbuffered',
		'--export=ALL',
		...(options.args ?? []),
		'--',
		'/bin/sh',
		'-c',
		jobScript,
		'nightshift-run',
		spec.cwd,
		...spec.argv,
	];
}

/** Slurm job ends that are not the run's doing: the experiment deserves another run. */
export function requeueReason(id: string, end: JobEnd): string | undefined {
	const why = end.reason && end.reason !== 'None' ? `, ${end.reason.replace(/_/g, ' ')}` : '';
	switch (end.state) {
		case 'CANCELLED':
			return `Slurm job ${id} was cancelled from outside nightshift (CANCELLED${why})`;
		case 'NODE_FAIL':
			return `Slurm job ${id} lost its node (NODE_FAIL${why})`;
		case 'PREEMPTED':
			return `Slurm job ${id} was preempted (PREEMPTED${why})`;
		case 'BOOT_FAIL':
			return `Slurm job ${id}'s node failed to boot (BOOT_FAIL${why})`;
		case 'REVOKED':
			return `Slurm job ${id} was revoked (REVOKED${why})`;
		default:
			return undefined;
	}
}

/** When the controller cannot say how the job ended: slurmstepd's and srun's own words, as they print them. */
export function requeueFromText(lines: string[]): {requeue?: string; timeout?: boolean} {
	const text = lines.join('\n');
	if (/DUE TO TIME LIMIT/.test(text)) return {timeout: true};
	if (/DUE TO PREEMPTION/.test(text)) return {requeue: 'the Slurm job was preempted (slurmstepd said so)'};
	if (/DUE TO NODE FAILURE|Node failure on/.test(text)) return {requeue: 'the Slurm job lost its node (srun said so)'};
	if (/\*\*\* (JOB|STEP) \S+ ON \S+ CANCELLED|Job allocation \d+ has been revoked/.test(text))
		return {requeue: 'the Slurm job was cancelled from outside nightshift (srun said so)'};
	return {};
}

export function signalName(signal: number): string | undefined {
	if (!signal) return undefined;
	return Object.entries(constants.signals).find(([, n]) => n === signal)?.[0] ?? `signal ${signal}`;
}
