import {execFileSync, spawnSync} from 'node:child_process';
import {skipOutsideCi} from './ci.js';
import {chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {createServer} from 'node:net';
import {hostname, tmpdir} from 'node:os';
import path from 'node:path';
import {randomBytes} from 'node:crypto';

// A real single-node Slurm cluster for the tests and the scaling bench, as
// design/SLURM.md found it works on this kind of machine: its own munged
// (key, socket and pid file in a temp dir, so the system's munge is left
// alone), slurm.conf and gres.conf in that dir, GPUs that are character
// devices made with mknod (gres refuses regular files), slurmd and slurmctld
// started with -f on free ports (slurmd in a mount namespace of its own,
// to have one folder the node does not share). Everything it starts carries a marker in
// its environment, so stop() ends exactly what it started (by pid), and
// removes the dir. It needs root (mknod, SlurmUser=root) and slurm-wlm and
// munge installed; slurmUnavailable() says why not before a test tries.

export type SlurmCluster = {
	dir: string;
	conf: string;
	/** The environment a client (srun, squeue, the executor) needs to reach this cluster. */
	env: {SLURM_CONF: string};
	partition: string;
	node: string;
	gpus: number;
	cpus: number;
	/**
	 * A folder the node does not share with the head: slurmd runs in a mount
	 * namespace of its own with an empty tmpfs over it, so a job sees nothing
	 * of what the head writes there (as on a cluster whose /tmp is node-local).
	 * The mount exists only inside that namespace and ends with slurmd.
	 * Undefined where mount namespaces are not allowed (a container without
	 * CAP_SYS_ADMIN): slurmd then runs in the machine's own.
	 */
	nodeLocal: string | undefined;
	/** Runs a Slurm client command against this cluster; its stdout. */
	client: (command: string, ...args: string[]) => string;
	/** Stops slurmctld only (the controller goes down; slurmd and running jobs stay). */
	stopController: () => Promise<void>;
	startController: () => Promise<void>;
	/** Cancels every job, stops the daemons and munged by pid, removes the dir. */
	stop: () => Promise<void>;
};

const binaries = ['munged', 'slurmd', 'slurmctld', 'srun', 'sinfo', 'squeue', 'scancel', 'scontrol', 'mknod'];

function which(name: string): boolean {
	return spawnSync('sh', ['-c', `command -v ${name}`], {stdio: 'ignore'}).status === 0;
}

/** Why a test cluster cannot start here, or undefined when it can. */
export function slurmUnavailable(): string | undefined {
	return skipOutsideCi(slurmProblem());
}

function slurmProblem(): string | undefined {
	if (process.getuid?.() !== 0) return 'the Slurm tests need root (mknod for the GPU devices, SlurmUser=root): skipped';
	const missing = binaries.filter(b => !which(b));
	if (missing.length > 0)
		return `the Slurm tests need slurm-wlm and munge (apt-get install slurm-wlm munge): ${missing.join(', ')} not found; skipped`;
	const probe = mkdtempSync(path.join(tmpdir(), 'nightshift-mknod-'));
	try {
		execFileSync('mknod', [path.join(probe, 'gpu'), 'c', '1', '3'], {stdio: 'pipe'});
	} catch (error) {
		return `the Slurm tests make their GPUs with mknod, which this machine refuses (${String((error as {stderr?: unknown}).stderr ?? error).trim()}); skipped`;
	} finally {
		rmSync(probe, {recursive: true, force: true});
	}
	return undefined;
}

function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const server = createServer();
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const address = server.address();
			const port = typeof address === 'object' && address ? address.port : 0;
			server.close(() => resolve(port));
		});
	});
}

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

function alive(pid: number): boolean {
	try {
		const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
		return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
	} catch {
		return false;
	}
}

function readPid(file: string): number | undefined {
	try {
		const pid = Number(readFileSync(file, 'utf8').trim());
		return Number.isInteger(pid) && pid > 0 ? pid : undefined;
	} catch {
		return undefined;
	}
}

/** Processes whose environment carries `marker` (what this cluster started, slurmstepd included). */
function marked(marker: string): number[] {
	const pids: number[] = [];
	for (const entry of readdirSync('/proc')) {
		if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
		try {
			if (readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0').includes(marker) && alive(Number(entry))) pids.push(Number(entry));
		} catch {
			// Gone, or not ours to read.
		}
	}
	return pids;
}

async function end(pids: number[], ms = 10_000): Promise<void> {
	for (const pid of pids) {
		try {
			process.kill(pid, 'SIGTERM');
		} catch {
			// Already gone.
		}
	}
	const until = Date.now() + ms;
	while (pids.some(alive) && Date.now() < until) await sleep(50);
	for (const pid of pids.filter(alive)) {
		try {
			process.kill(pid, 'SIGKILL');
		} catch {
			// Already gone.
		}
	}
	const killed = Date.now() + 3000;
	while (pids.some(alive) && Date.now() < killed) await sleep(50);
}

export type ClusterOptions = {
	/** Gres GPUs on the node (character devices, not real GPUs); default 2. */
	gpus?: number;
	/** CPUs the node declares (more than the machine has is allowed: config_overrides); default 2. */
	cpus?: number;
	/** Seconds between a job's SIGTERM and SIGKILL when it is cancelled; default 5. */
	killWait?: number;
};

/** Starts the cluster and waits until its node is idle. Throws (having cleaned up) when it does not come up. */
export async function startSlurmCluster(options: ClusterOptions = {}): Promise<SlurmCluster> {
	const gpus = options.gpus ?? 2;
	const cpus = options.cpus ?? 2;
	const dir = mkdtempSync(path.join(tmpdir(), 'nightshift-slurm-'));
	chmodSync(dir, 0o755);
	const marker = `NIGHTSHIFT_TEST_CLUSTER=${dir}`;
	const node = hostname().split('.')[0]!;
	const conf = path.join(dir, 'slurm.conf');
	const nodeLocal = path.join(dir, 'node-local');
	let sharedOnly = false;
	const env = {...process.env, SLURM_CONF: conf, NIGHTSHIFT_TEST_CLUSTER: dir};
	const run = (command: string, args: string[]) => execFileSync(command, args, {env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']});
	const client = (command: string, ...args: string[]) => run(command, args);
	const pids = {munged: path.join(dir, 'munged.pid'), slurmd: path.join(dir, 'd.pid'), slurmctld: path.join(dir, 'ctld.pid')};
	const stopController = async () => {
		const pid = readPid(pids.slurmctld);
		// slurmscriptd is the controller's child and ends with it; the marker finds it if it does not.
		if (pid !== undefined) await end([pid]);
	};
	const waitUp = async (what: string, ready: () => boolean, ms = 30_000) => {
		const until = Date.now() + ms;
		while (Date.now() < until) {
			if (ready()) return;
			await sleep(200);
		}
		const logs = ['ctld.log', 'd.log']
			.map(f => path.join(dir, f))
			.filter(existsSync)
			.map(f => `${path.basename(f)}:\n${readFileSync(f, 'utf8').split('\n').slice(-15).join('\n')}`);
		throw new Error(`the test Slurm cluster did not come up (${what})\n${logs.join('\n')}`);
	};
	const answers = (command: string, args: string[], match: RegExp) => {
		try {
			return match.test(run(command, args));
		} catch {
			return false;
		}
	};
	const startController = async () => {
		run('slurmctld', ['-f', conf]);
		await waitUp('scontrol ping', () => answers('scontrol', ['ping'], /is UP/));
	};
	const stop = async () => {
		try {
			run('scancel', ['--partition', 'debug']);
			const until = Date.now() + 15_000;
			while (Date.now() < until && answers('squeue', ['-h', '-o', '%i'], /\d/)) await sleep(200);
		} catch {
			// The controller is down already: the marker below ends what is left.
		}
		const daemons = [pids.slurmctld, pids.slurmd].flatMap(f => readPid(f) ?? []);
		await end(daemons);
		await end(marked(marker).filter(p => p !== readPid(pids.munged)));
		const munged = readPid(pids.munged);
		if (munged !== undefined) await end([munged]);
		await end(marked(marker));
		rmSync(dir, {recursive: true, force: true});
		const left = marked(marker);
		if (left.length > 0 || existsSync(dir))
			throw new Error(`the test Slurm cluster left ${left.length > 0 ? `processes ${left.join(', ')}` : dir} behind`);
	};
	try {
		const [ctldPort, slurmdPort] = [await freePort(), await freePort()];
		writeFileSync(path.join(dir, 'munge.key'), randomBytes(1024), {mode: 0o400});
		run('munged', [
			'--force',
			`--key-file=${path.join(dir, 'munge.key')}`,
			`--socket=${path.join(dir, 'munge.socket')}`,
			`--pid-file=${pids.munged}`,
			`--log-file=${path.join(dir, 'munged.log')}`,
			`--seed-file=${path.join(dir, 'munged.seed')}`,
		]);
		for (let i = 0; i < gpus; i++) run('mknod', [path.join(dir, `nvidia${i}`), 'c', '1', '3']);
		for (const sub of ['state', 'spool']) mkdirSync(path.join(dir, sub));
		writeFileSync(
			conf,
			[
				'ClusterName=nightshift-test',
				`SlurmctldHost=${node}(127.0.0.1)`,
				`SlurmctldPort=${ctldPort}`,
				`SlurmdPort=${slurmdPort}`,
				'SlurmUser=root',
				'SlurmdUser=root',
				'AuthType=auth/munge',
				'CredType=cred/munge',
				`AuthInfo=socket=${path.join(dir, 'munge.socket')}`,
				`StateSaveLocation=${path.join(dir, 'state')}`,
				`SlurmdSpoolDir=${path.join(dir, 'spool')}`,
				`SlurmctldPidFile=${pids.slurmctld}`,
				`SlurmdPidFile=${pids.slurmd}`,
				`SlurmctldLogFile=${path.join(dir, 'ctld.log')}`,
				`SlurmdLogFile=${path.join(dir, 'd.log')}`,
				'ProctrackType=proctrack/linuxproc',
				'TaskPlugin=task/none',
				'MpiDefault=none',
				'SchedulerType=sched/backfill',
				'SelectType=select/cons_tres',
				// Without it each job takes the node's whole memory, and jobs run one at a time.
				'SelectTypeParameters=CR_Core',
				// The node may declare more CPUs than the machine has (the bench fits 4 jobs on 2 cores).
				'SlurmdParameters=config_overrides',
				'ReturnToService=2',
				`KillWait=${options.killWait ?? 5}`,
				'GresTypes=gpu',
				`NodeName=${node} NodeAddr=127.0.0.1 CPUs=${cpus} RealMemory=2000 Gres=gpu:${gpus} State=UNKNOWN`,
				`PartitionName=debug Nodes=${node} Default=YES MaxTime=INFINITE State=UP`,
				'',
			].join('\n'),
		);
		const files = gpus === 1 ? path.join(dir, 'nvidia0') : path.join(dir, `nvidia[0-${gpus - 1}]`);
		writeFileSync(path.join(dir, 'gres.conf'), `NodeName=${node} Name=gpu File=${files}\n`);
		mkdirSync(nodeLocal);
		if (spawnSync('unshare', ['--mount', '--propagation', 'private', 'true'], {stdio: 'ignore'}).status === 0) {
			run('unshare', [
				'--mount',
				'--propagation',
				'private',
				'sh',
				'-c',
				'mount -t tmpfs nightshift-node-local "$0" && exec slurmd -f "$1"',
				nodeLocal,
				conf,
			]);
		} else {
			sharedOnly = true;
			run('slurmd', ['-f', conf]);
		}
		await startController();
		await waitUp('sinfo shows the node idle', () => answers('sinfo', ['-h', '-o', '%t'], /^idle/m));
	} catch (error) {
		await stop();
		throw error;
	}
	return {
		dir,
		conf,
		env: {SLURM_CONF: conf},
		partition: 'debug',
		node,
		gpus,
		cpus,
		nodeLocal: sharedOnly ? undefined : nodeLocal,
		client,
		stopController,
		startController,
		stop,
	};
}
