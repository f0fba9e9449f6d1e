import {randomBytes} from 'node:crypto';
import {existsSync, mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {slurmCommand, type SlurmEnv} from './slurm-commands.js';
import {defaultGres} from './slurm-job.js';

// What `--executor slurm` checks before anything runs, so that bad input is
// one clear sentence at start and not a crash per experiment all night:
// Slurm's commands are installed, the controller answers, the partition
// exists and has the generic resources asked for, and the runs folder (with
// the worktrees the jobs run in) is on a filesystem the nodes share.

export class SlurmCheckError extends Error {
	override readonly name = 'SlurmCheckError';
}

const commands = ['srun', 'squeue', 'scancel', 'scontrol', 'sinfo'];

export type SlurmPreflight = {
	/** The partition jobs go to (the default one when none was named). */
	partition: string;
	/** Nodes in it, and their generic resources as sinfo prints them. */
	nodes: number;
	gres: string[];
	/** Things worth saying that do not stop the start (a partition that is down queues jobs). */
	warnings: string[];
};

type PartitionRow = {name: string; isDefault: boolean; avail: string; nodes: number; gres: string};

/** Parses `sinfo -h -o '%P|%a|%D|%G'` (one row per partition and node configuration). */
export function parseSinfo(text: string): PartitionRow[] {
	return text
		.split('\n')
		.map(l => l.trim())
		.filter(Boolean)
		.flatMap(line => {
			const [partition, avail, nodes, gres] = line.split('|');
			if (!partition) return [];
			const isDefault = partition.endsWith('*');
			return [
				{name: isDefault ? partition.slice(0, -1) : partition, isDefault, avail: avail ?? '', nodes: Number(nodes) || 0, gres: gres ?? ''},
			];
		});
}

/** The names asked for in a gres request (`gpu:1`, `gpu:a100:2,shard:1`: gpu, shard). */
export function gresNames(request: string): string[] {
	return request
		.split(',')
		.map(part => part.trim().split(':')[0]!)
		.filter(name => name !== '' && name !== 'none');
}

/**
 * Checks that Slurm can take the jobs: throws a SlurmCheckError that says
 * what is wrong and what to do, with nothing run. `env` reaches another
 * cluster (SLURM_CONF).
 */
export async function preflightSlurm(options: {partition?: string; gres?: string; env?: SlurmEnv}): Promise<SlurmPreflight> {
	const env = options.env ?? {};
	for (const command of commands) {
		const answer = await slurmCommand(command, ['--version'], env, 15_000);
		if (answer.missing) {
			throw new SlurmCheckError(
				`--executor slurm: \`${command}\` is not installed here (or not on PATH); nightshift runs on a Slurm head node with ${commands.join(', ')}`,
			);
		}
	}
	const info = await slurmCommand('sinfo', ['-h', '-o', '%P|%a|%D|%G'], env, 60_000);
	if (!info.ok) {
		const said = (info.stderr.trim().split('\n').at(-1) ?? '').trim();
		if (info.unreachable)
			throw new SlurmCheckError(
				`--executor slurm: the Slurm controller cannot be reached (sinfo: ${said}); is slurmctld up, and does this machine's slurm.conf name it?`,
			);
		throw new SlurmCheckError(`--executor slurm: sinfo failed (${said || `exit status ${info.exitCode ?? '?'}`})`);
	}
	const rows = parseSinfo(info.stdout);
	const names = [...new Set(rows.map(r => r.name))];
	const partition = options.partition ?? rows.find(r => r.isDefault)?.name;
	if (!partition) {
		throw new SlurmCheckError(
			`--executor slurm: Slurm has no default partition; name one with --slurm-partition (${names.join(', ') || 'none listed'})`,
		);
	}
	const mine = rows.filter(r => r.name === partition);
	if (mine.length === 0) {
		throw new SlurmCheckError(
			`--slurm-partition ${partition}: Slurm has no such partition (sinfo lists ${names.length > 0 ? names.join(', ') : 'none'})`,
		);
	}
	const warnings: string[] = [];
	if (mine.every(r => r.avail !== 'up')) warnings.push(`partition ${partition} is ${mine[0]!.avail}: jobs will wait until it is up`);
	const gres = mine.map(r => r.gres).filter(g => g && g !== '(null)');
	const wanted = gresNames(options.gres ?? defaultGres);
	const have = new Set(gres.flatMap(g => gresNames(g.replace(/\([^)]*\)/g, ''))));
	const lacking = wanted.filter(name => !have.has(name));
	if (lacking.length > 0) {
		throw new SlurmCheckError(
			`--slurm-gres ${options.gres ?? defaultGres}: no node in partition ${partition} has ${lacking.join(', ')} (sinfo lists ${gres.length > 0 ? gres.join(', ') : 'no generic resources'}); name the right one, or --slurm-gres none for CPU jobs`,
		);
	}
	return {partition, nodes: mine.reduce((a, r) => a + r.nodes, 0), gres, warnings};
}

/**
 * Runs a tiny job that reads a file written here under `dir` and writes one
 * back: the runs folder (and the worktrees under it, where the jobs run) must
 * be on a filesystem the nodes share, at the same path. Throws a
 * SlurmCheckError naming the path when it is not. `onQueued` hears why the
 * job waits, if it does.
 */
export async function checkSharedFilesystem(
	dir: string,
	partition: string | undefined,
	options: {args?: string[]; env?: SlurmEnv; timeoutSeconds?: number; onQueued?: (reason: string) => void} = {},
): Promise<void> {
	const absolute = path.resolve(dir);
	mkdirSync(absolute, {recursive: true});
	const token = randomBytes(8).toString('hex');
	const answerToken = randomBytes(8).toString('hex');
	const probe = path.join(absolute, `.nightshift-shared-${token}`);
	const back = `${probe}.back`;
	writeFileSync(probe, token);
	const name = `nightshift-fs-check-${token.slice(0, 8)}`;
	const timeout = options.timeoutSeconds ?? 600;
	const poll = setInterval(() => {
		void slurmCommand('squeue', ['-h', `--name=${name}`, '-o', '%T|%r'], options.env ?? {}, 10_000).then(answer => {
			const [state, reason] = answer.stdout.trim().split('|');
			if (state === 'PENDING') options.onQueued?.(`the shared-filesystem check (a Slurm job) is pending (${reason ?? '?'})`);
		});
	}, 2000);
	try {
		const job = await slurmCommand(
			'srun',
			[
				`--job-name=${name}`,
				...(partition ? [`--partition=${partition}`] : []),
				'--nodes=1',
				'--ntasks=1',
				'--time=1',
				'--input=none',
				'--chdir=/',
				...(options.args ?? []),
				'--',
				'/bin/sh',
				'-c',
				'hostname; cat -- "$1" && printf %s "$2" > "$1.back"',
				'nightshift-check',
				probe,
				answerToken,
			],
			options.env ?? {},
			timeout * 1000,
		);
		const [node, seen] = job.stdout.trim().split('\n');
		const where = `partition ${partition ?? '(the default)'}${node ? `, node ${node}` : ''}`;
		const fix = `put the workspace's runs folder (--runs; the worktrees go under it) on a filesystem every node mounts at the same path (NFS, Lustre, BeeGFS...)`;
		if (job.unreachable)
			throw new SlurmCheckError(`--executor slurm: the Slurm controller cannot be reached (${job.stderr.trim().split('\n').at(-1)})`);
		if (seen !== token) {
			if (!job.ok && !node)
				throw new SlurmCheckError(
					`--executor slurm: the job that checks ${absolute} is shared with the nodes did not run: ${job.stderr.trim().split('\n').at(-1) ?? `exit status ${job.exitCode ?? '?'}`}`,
				);
			throw new SlurmCheckError(
				`--executor slurm: ${absolute} is not visible from the Slurm nodes (${where} could not read a file written there): ${fix}`,
			);
		}
		const returned = existsSync(back) ? readFileSync(back, 'utf8') : undefined;
		if (returned !== answerToken) {
			throw new SlurmCheckError(
				`--executor slurm: ${absolute} is not shared with the Slurm nodes (${where} read a file there, but what it wrote did not come back): ${fix}`,
			);
		}
	} finally {
		clearInterval(poll);
		rmSync(probe, {force: true});
		rmSync(back, {force: true});
	}
}
