import {createHash} from 'node:crypto';
import path from 'node:path';
import {exec} from './exec.js';

// Slurm's client commands (squeue, scontrol, scancel, sacct, sinfo) as the
// executor and the start-up checks use them, and what their answers mean.
// Every call is bounded in time and never throws: a controller that cannot
// be reached is an answer (`unreachable`), not an exception, so the caller
// decides whether to wait and try again or to say so and stop.

export type SlurmEnv = Record<string, string>;

export type CommandAnswer = {
	ok: boolean;
	exitCode: number | undefined;
	stdout: string;
	stderr: string;
	unreachable: boolean;
	missing: boolean;
};

/** What the client commands print when slurmctld does not answer (down, wrong host or port, a network cut). */
const unreachablePattern =
	/Unable to contact slurm controller|Socket timed out on send\/recv|Zero Bytes were transmitted or received|Connection refused|Communication connection failure|Could not establish a configuration source/i;

export function isUnreachable(text: string): boolean {
	return unreachablePattern.test(text);
}

/**
 * The environment Slurm's commands run with: ours, less what would make srun
 * launch a step inside an enclosing allocation (nightshift started inside
 * salloc or a batch job) instead of submitting a job of its own, plus the
 * caller's (SLURM_CONF for a test cluster).
 */
export function slurmEnvironment(extra: SlurmEnv = {}): Record<string, string> {
	const env: Record<string, string> = {};
	for (const [key, value] of Object.entries(process.env)) {
		if (value === undefined || /^SLURM_(JOB_?ID|STEP_?ID)$/.test(key)) continue;
		env[key] = value;
	}
	return {...env, ...extra};
}

/** Runs one client command; never throws. */
export async function slurmCommand(command: string, args: string[], env: SlurmEnv = {}, timeoutMs = 30_000): Promise<CommandAnswer> {
	const result = await exec(command, args, {
		env: slurmEnvironment(env),
		extendEnv: false,
		reject: false,
		stdin: 'ignore',
		timeout: timeoutMs,
	});
	const stdout = typeof result.stdout === 'string' ? result.stdout : '';
	const stderr = typeof result.stderr === 'string' ? result.stderr : '';
	const cause = result.cause as NodeJS.ErrnoException | undefined;
	const missing = result.exitCode === undefined && cause?.code === 'ENOENT';
	return {ok: result.exitCode === 0, exitCode: result.exitCode, stdout, stderr, unreachable: isUnreachable(stderr), missing};
}

/**
 * The job name a run's job carries: its run folder's name (readable in
 * squeue) and a hash of the folder's full path, so that two sessions never
 * share one, and a restart finds the job a killed loop left behind.
 */
export function jobName(runDir: string): string {
	const hash = createHash('sha1').update(path.resolve(runDir)).digest('hex').slice(0, 8);
	return `nightshift-${path.basename(runDir)}-${hash}`;
}

/** Job states after which the job holds nothing any more. */
const finalStates = new Set([
	'BOOT_FAIL',
	'CANCELLED',
	'COMPLETED',
	'DEADLINE',
	'FAILED',
	'NODE_FAIL',
	'OUT_OF_MEMORY',
	'PREEMPTED',
	'SPECIAL_EXIT',
	'TIMEOUT',
	'REVOKED',
]);

export function isFinal(state: string): boolean {
	return finalStates.has(state);
}

export type QueueEntry = {id: string; state: string; reason: string};

/** Parses `squeue -h -o '%i|%T|%r'`. */
export function parseQueue(text: string): QueueEntry[] {
	return text
		.split('\n')
		.map(l => l.trim())
		.filter(Boolean)
		.flatMap(line => {
			const [id, state, ...reason] = line.split('|');
			return id && state ? [{id, state, reason: reason.join('|')}] : [];
		});
}

/**
 * The job of that name (the newest one, a live one first), from squeue; with
 * `all`, also one that ended within the controller's MinJobAge. Undefined:
 * none (yet); `unreachable`: the controller did not answer.
 */
export async function findJob(name: string, env: SlurmEnv, all = false): Promise<QueueEntry | 'unreachable' | undefined> {
	const answer = await slurmCommand('squeue', ['-h', ...(all ? ['-t', 'all'] : []), `--name=${name}`, '-o', '%i|%T|%r'], env, 15_000);
	if (!answer.ok) return answer.unreachable ? 'unreachable' : undefined;
	const entries = parseQueue(answer.stdout).sort((a, b) => Number(b.id) - Number(a.id));
	return entries.find(e => !isFinal(e.state)) ?? entries[0];
}

export type JobEnd = {
	state: string;
	reason: string;
	/** From `ExitCode=E:S`: the exit status, and the signal that ended the job (0: none). */
	exitCode: number | undefined;
	signal: number;
};

/** Parses `scontrol show job -o ID`: one line of Key=Value pairs. */
export function parseScontrolJob(text: string): JobEnd | undefined {
	const field = (key: string): string | undefined => new RegExp(`(?:^|\\s)${key}=(\\S*)`).exec(text)?.[1];
	const state = field('JobState');
	if (!state) return undefined;
	const [code, signal] = (field('ExitCode') ?? '').split(':');
	return {
		state,
		reason: field('Reason') ?? 'None',
		exitCode: code === undefined || code === '' ? undefined : Number(code),
		signal: Number(signal ?? 0) || 0,
	};
}

/** Parses `sacct -n -X -P -o State,ExitCode -j ID`: e.g. `CANCELLED by 0|0:15`. */
export function parseSacct(text: string): JobEnd | undefined {
	const line = text.split('\n').find(l => l.includes('|'));
	if (!line) return undefined;
	const [stateText, exit] = line.split('|');
	const [state, ...rest] = (stateText ?? '').trim().split(/\s+/);
	if (!state) return undefined;
	const [code, signal] = (exit ?? '').split(':');
	return {
		state,
		reason: rest.join(' ') || 'None',
		exitCode: code === undefined || code === '' ? undefined : Number(code),
		signal: Number(signal ?? 0) || 0,
	};
}

/** How a job stands by the controller (scontrol), else by accounting (sacct); undefined when neither knows or answers. */
export async function jobEnd(id: string, env: SlurmEnv): Promise<JobEnd | 'unreachable' | undefined> {
	const shown = await slurmCommand('scontrol', ['show', 'job', '-o', id], env, 15_000);
	if (shown.ok) {
		const parsed = parseScontrolJob(shown.stdout);
		if (parsed) return parsed;
	}
	// A job older than MinJobAge is gone from the controller's memory: accounting, where there is one, still has it.
	const accounted = await slurmCommand('sacct', ['-n', '-X', '-P', '-o', 'State,ExitCode', '-j', id], env, 15_000);
	if (accounted.ok) {
		const parsed = parseSacct(accounted.stdout);
		if (parsed) return parsed;
	}
	return shown.unreachable ? 'unreachable' : undefined;
}

/** scancel: a job by id, or every job with that name (names are unique to a run folder, see jobName); `signal` signals its steps instead of cancelling it. */
export async function cancelJob(target: {id: string} | {name: string}, env: SlurmEnv, signal?: 'TERM' | 'KILL'): Promise<CommandAnswer> {
	const args = [...(signal ? [`--signal=${signal}`] : [])];
	if ('id' in target) args.push(target.id);
	else args.push(`--name=${target.name}`);
	return slurmCommand('scancel', args, env, 15_000);
}
