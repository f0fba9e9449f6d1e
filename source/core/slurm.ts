import {closeSync, openSync, writeSync} from 'node:fs';
import {constants} from 'node:os';
import {StringDecoder} from 'node:string_decoder';
import {exec} from './exec.js';
import type {Executor, RunHandle, RunResult, RunSpec} from './executor.js';
import {OutputParser} from './output.js';
import {killGroup} from './runner.js';
import {
	cancelJob,
	findJob,
	isFinal,
	isUnreachable,
	jobEnd,
	jobName,
	slurmEnvironment,
	type JobEnd,
	type SlurmEnv,
} from './slurm-commands.js';
import {gresOf, requeueFromText, requeueReason, signalName, srunArgv, startedLine, unusualEnd, type SlurmOptions} from './slurm-job.js';

// Experiments as Slurm jobs: the loop and the model stay on the head node,
// each run is one job launched with `srun`, which streams the job's output
// back line by line (and `\r` progress as it comes, with --unbuffered) and
// returns its exit status, so the run feeds the same parser and run.log as a
// local one. srun rather than sbatch + tail: no output file to poll on a
// network filesystem, no accounting needed for the exit status, and a job
// whose srun dies is ended by Slurm. What srun does not tell, squeue and
// scontrol do: a pending job's reason (reported as queued), and how the job
// ended (cancelled from outside, node failure, preemption: not the idea's
// fault, so the result asks the loop to run it again). A controller that
// cannot be reached before the job exists is waited for, not a crash.

const sleep = (ms: number, wake: (resolve: () => void) => void): Promise<void> =>
	new Promise(resolve => {
		const timer = setTimeout(resolve, ms);
		wake(() => {
			clearTimeout(timer);
			resolve();
		});
	});

const tailLines = 60;

type Attempt = {
	exitCode: number | undefined;
	spawnError?: string;
	/** No job came of it: the controller could not be reached. */
	unreachable?: string;
};

/** One run as a Slurm job, tried again while the controller cannot be reached. */
class SlurmRun implements RunHandle {
	readonly done: Promise<RunResult>;
	private readonly name: string;
	private readonly env: Record<string, string>;
	private readonly slurmEnv: SlurmEnv;
	private stopReason: RunResult['killed'];
	private jobId: string | undefined;
	private pid: number | undefined;
	private alive = false;
	private runningSince: number | undefined;
	private timers: NodeJS.Timeout[] = [];
	private timeoutTimer: NodeJS.Timeout | undefined;
	private wakeWait: (() => void) | undefined;
	private fd: number;
	private readonly tail: string[] = [];
	private readonly slurmLines: string[] = [];
	private sawOutput = false;
	private lastQueued: string | undefined;

	constructor(
		private readonly spec: RunSpec,
		private readonly options: SlurmOptions,
	) {
		this.name = jobName(spec.runDir);
		this.slurmEnv = options.env ?? {};
		const runEnv = {...spec.env};
		// Slurm sets CUDA_VISIBLE_DEVICES to the GPUs it gives the job; the head node's own numbering means nothing there.
		if (gresOf(options)?.includes('gpu')) delete runEnv['CUDA_VISIBLE_DEVICES'];
		this.env = slurmEnvironment({...this.slurmEnv, ...runEnv});
		this.fd = openSync(spec.logPath, 'a');
		this.done = this.run();
	}

	stop(): void {
		this.terminate('stop');
	}

	private terminate(reason: 'timeout' | 'stop'): void {
		if (this.stopReason) return;
		this.stopReason = reason;
		this.wakeWait?.();
		if (!this.alive) return;
		void this.cancel();
		const grace = (this.spec.killGraceSeconds ?? 5) * 1000;
		const pid = this.pid;
		// Slurm's KillWait may be long: after our grace, SIGKILL to the job's steps, then srun itself is told to end it.
		this.timers.push(
			setTimeout(() => {
				if (!this.alive) return;
				void (this.jobId ? cancelJob({id: this.jobId}, this.slurmEnv, 'KILL') : undefined);
				if (pid !== undefined) killGroup(pid, 'SIGTERM');
			}, grace),
			setTimeout(
				() => {
					if (this.alive && pid !== undefined) killGroup(pid, 'SIGKILL');
				},
				grace * 2 + 5000,
			),
		);
	}

	/** scancel the job (by name while its id is not known yet); srun's own SIGTERM when the controller does not answer. */
	private async cancel(): Promise<void> {
		const answer = await cancelJob(this.jobId ? {id: this.jobId} : {name: this.name}, this.slurmEnv);
		if (!answer.ok && this.alive && this.pid !== undefined) killGroup(this.pid, 'SIGTERM');
	}

	private log(text: string): void {
		writeSync(this.fd, `${text}\n`);
		this.pushTail(text);
		this.spec.onLine({text, partial: false});
	}

	private pushTail(text: string): void {
		this.tail.push(text);
		if (this.tail.length > tailLines) this.tail.shift();
	}

	private queued(reason: string): void {
		if (reason === this.lastQueued) return;
		this.lastQueued = reason;
		this.spec.onQueued?.(reason);
	}

	private running(): void {
		if (this.runningSince !== undefined) return;
		this.runningSince = performance.now();
		this.timeoutTimer = setTimeout(() => this.terminate('timeout'), this.spec.timeoutSeconds * 1000);
	}

	private async run(): Promise<RunResult> {
		const started = performance.now();
		const parser = new OutputParser({
			progress: this.spec.onProgress,
			line: line => {
				if (!line.partial) this.pushTail(line.text);
				this.spec.onLine(line);
			},
		});
		try {
			const retry = this.options.retrySeconds ?? {first: 5, max: 60};
			let attempt: Attempt;
			for (let tries = 0; ; tries++) {
				attempt = await this.attempt(parser);
				if (!attempt.unreachable || this.stopReason) break;
				const wait = Math.min(retry.max, retry.first * 2 ** tries);
				const why = `the Slurm controller cannot be reached (${attempt.unreachable}); trying again in ${wait} s`;
				this.log(`nightshift: ${why}`);
				this.queued(why);
				await sleep(wait * 1000, wake => (this.wakeWait = wake));
				this.wakeWait = undefined;
				if (this.stopReason) break;
			}
			parser.end();
			return await this.result(parser, attempt, started);
		} finally {
			clearTimeout(this.timeoutTimer);
			for (const t of this.timers) clearTimeout(t);
			closeSync(this.fd);
		}
	}

	/** One srun: its output streamed, the job looked up in the queue until it runs. */
	private async attempt(parser: OutputParser): Promise<Attempt> {
		const argv = srunArgv(this.spec, this.options);
		const [file, ...args] = argv;
		const subprocess = exec(file!, args, {
			env: this.env,
			extendEnv: false,
			detached: true,
			stdin: 'ignore',
			buffer: false,
			reject: false,
			stripFinalNewline: false,
		});
		this.pid = subprocess.pid;
		this.alive = this.pid !== undefined;
		if (this.pid !== undefined) this.spec.onSpawn?.(this.pid);
		// A stop asked for while no srun ran (during a wait) reaches this one at once.
		if (this.stopReason) void this.cancel();
		const decoder = new StringDecoder('utf8');
		subprocess.stdout?.on('data', (chunk: Buffer) => {
			this.sawOutput = true;
			this.running();
			writeSync(this.fd, chunk);
			parser.feed(decoder.write(chunk));
		});
		const errors = new StringDecoder('utf8');
		let partial = '';
		const attemptLines: string[] = [];
		let exited = false;
		let polling: Promise<void> | undefined;
		const startPolling = (): void => {
			if (!polling && !exited && this.runningSince === undefined) polling = poll();
		};
		const slurmLine = (line: string): void => {
			attemptLines.push(line);
			this.slurmLines.push(line);
			const started = startedLine.exec(line);
			if (started) {
				const first = this.jobId === undefined;
				this.jobId = started[1];
				// A stop that came before srun had a job found none to cancel by name.
				if (first && this.stopReason) void this.cancel();
				this.running();
			}
			if (/has been allocated resources/.test(line)) this.running();
			const queued = /job (\d+) queued and waiting/.exec(line);
			if (queued) {
				this.jobId = queued[1];
				if (this.stopReason) void this.cancel();
				startPolling();
			}
			this.log(line);
		};
		subprocess.stderr?.on('data', (chunk: Buffer) => {
			const lines = (partial + errors.write(chunk)).split('\n');
			partial = lines.pop() ?? '';
			for (const line of lines) slurmLine(line.replace(/\r$/, ''));
		});
		// squeue only when needed: srun says when a job queues, and the job when it starts; a job silent for 2 s is looked up.
		const poll = async (): Promise<void> => {
			while (!exited) {
				const found = await findJob(this.name, this.slurmEnv);
				if (exited) return;
				if (found && found !== 'unreachable') {
					const first = this.jobId === undefined;
					this.jobId = found.id;
					if (first && this.stopReason) void this.cancel();
					if (found.state === 'PENDING') this.queued(`Slurm job ${found.id} is pending (${found.reason})`);
					else if (found.state !== 'CONFIGURING') this.running();
				}
				if (this.jobId !== undefined && this.runningSince !== undefined) return;
				await new Promise(r => setTimeout(r, this.jobId === undefined ? 300 : (this.options.pollMs ?? 1000)));
			}
		};
		const lookup = setTimeout(startPolling, 2000);
		const result = await subprocess;
		exited = true;
		clearTimeout(lookup);
		this.alive = false;
		const rest = partial + errors.end();
		if (rest) slurmLine(rest);
		parser.feed(decoder.end());
		await polling;
		const cause = result.cause as NodeJS.ErrnoException | undefined;
		if (result.exitCode === undefined && result.signal === undefined && result.failed) {
			const spawnError =
				cause?.code === 'ENOENT'
					? `cannot run \`srun\`: not found on PATH (--executor slurm needs Slurm's client commands on the head node)`
					: `cannot run \`srun\`: ${cause?.message ?? result.shortMessage}`;
			this.log(`nightshift: ${spawnError}`);
			return {exitCode: undefined, spawnError};
		}
		const exitCode = result.exitCode ?? (result.signal ? 128 + (constants.signals[result.signal] ?? 0) : undefined);
		let noJob = this.jobId === undefined && !this.sawOutput && !attemptLines.some(l => /queued and waiting|allocated resources/.test(l));
		if (noJob && exitCode !== 0) {
			// A job ended before it could say so (cancelled at once, from outside): the controller still knows it by name.
			const known = await findJob(this.name, this.slurmEnv, true);
			if (known && known !== 'unreachable') {
				this.jobId = known.id;
				noJob = false;
			}
		}
		if (noJob && exitCode !== 0) {
			const said = attemptLines.find(isUnreachable);
			if (said) return {exitCode, unreachable: said.replace(/^srun: (error: )?/, '')};
			// srun refused the request before any job existed (a bad partition, gres or argument): it never ran.
			const error = attemptLines.filter(l => /error|fatal|invalid|unrecognized/i.test(l)).at(-1);
			if (error && !this.stopReason) return {exitCode, spawnError: error.replace(/^srun: (error: |fatal: )?/, 'srun: ')};
		}
		return {exitCode};
	}

	/** How the job ended, from the controller (waiting out COMPLETING a little), else from what srun printed. */
	private async ending(): Promise<JobEnd | undefined> {
		if (this.jobId === undefined) {
			const found = await findJob(this.name, this.slurmEnv, true);
			if (found && found !== 'unreachable') this.jobId = found.id;
		}
		if (this.jobId === undefined) return undefined;
		const id = this.jobId;
		// Until the job has let go of its GPU (COMPLETING no more): the worker's next job, asked for at once, would
		// otherwise find no GPU free and wait for the scheduler's next pass, seconds later.
		const deadline = performance.now() + 5000;
		for (;;) {
			const answer = await jobEnd(id, this.slurmEnv);
			if (answer === 'unreachable') return undefined;
			if (!answer || isFinal(answer.state)) return answer;
			// Still waiting with its srun gone (srun was killed): nothing will come of it.
			if (answer.state === 'PENDING') break;
			if (performance.now() > deadline) {
				// Alive after an ordinary end (srun and slurmstepd said nothing unusual): its end went unheard; looked at again later.
				if (!unusualEnd.test(this.slurmLines.join('\n'))) {
					this.watch(id);
					return undefined;
				}
				break;
			}
			await new Promise(r => setTimeout(r, 50));
		}
		// srun is gone but the controller still counts the job as alive (its end went unheard, or it never started): release what it holds.
		this.cleanup(this.jobId);
		return undefined;
	}

	/** Later, a job still alive with its srun gone (its end went unheard by a controller that was down) is cancelled. */
	private watch(id: string): void {
		setTimeout(() => {
			void jobEnd(id, this.slurmEnv).then(end => {
				if (end && end !== 'unreachable' && ['PENDING', 'RUNNING', 'CONFIGURING', 'SUSPENDED'].includes(end.state)) this.cleanup(id);
			});
		}, 15_000).unref();
	}

	/** Cancels a job left alive, trying again (in the background) while the controller does not answer. */
	private cleanup(id: string, tries = 0): void {
		void cancelJob({id}, this.slurmEnv).then(answer => {
			if (answer.ok || !answer.unreachable || tries >= 180) return;
			setTimeout(() => this.cleanup(id, tries + 1), 10_000).unref();
		});
	}

	private async result(parser: OutputParser, attempt: Attempt, started: number): Promise<RunResult> {
		const seconds = (performance.now() - (this.runningSince ?? started)) / 1000;
		const base = {
			summary: parser.summary.summary,
			conflicts: parser.summary.allConflicts(),
			...(parser.nonFiniteLoss ? {nonFiniteLoss: parser.nonFiniteLoss} : {}),
			failed: parser.summary.failed,
			seconds,
			pid: this.pid,
		};
		if (attempt.spawnError && !this.stopReason) {
			return {...base, exitCode: undefined, signal: undefined, killed: undefined, spawnError: attempt.spawnError, tail: this.tail};
		}
		const end = this.stopReason && this.jobId === undefined && attempt.unreachable ? undefined : await this.ending();
		let killed = this.stopReason;
		let requeue: string | undefined;
		if (!killed) {
			const fromText = requeueFromText(this.slurmLines);
			if (end?.state === 'TIMEOUT' || (!end && fromText.timeout)) killed = 'timeout';
			else requeue = end ? requeueReason(this.jobId ?? '?', end) : fromText.requeue;
		}
		const signal = signalName(end?.signal ?? 0);
		let exitCode = signal ? undefined : attempt.exitCode;
		// srun exits 0 when the node failed under it: that is no result.
		if (requeue && exitCode === 0) exitCode = undefined;
		if (requeue) this.log(`nightshift: ${requeue}; the experiment runs again`);
		if (killed) {
			writeSync(
				this.fd,
				`\nnightshift: ${killed === 'timeout' ? `killed after the ${this.spec.timeoutSeconds} s timeout` : 'stopped by the user'}${this.jobId ? ` (Slurm job ${this.jobId} cancelled)` : ''}\n`,
			);
		}
		return {...base, exitCode, signal, killed, spawnError: undefined, tail: this.tail, ...(requeue ? {requeue} : {})};
	}
}

/** Runs each experiment as a Slurm job (see the file's comment); one instance serves every worker. */
export class SlurmExecutor implements Executor {
	readonly name = 'slurm';

	constructor(private readonly options: SlurmOptions = {}) {}

	start(spec: RunSpec): RunHandle {
		return new SlurmRun(spec, this.options);
	}

	/** Cancels the job of a run a killed loop left behind (its srun gone, the job still queued or running). */
	async cancelLeftover(runDir: string): Promise<boolean> {
		const found = await findJob(jobName(runDir), this.options.env ?? {});
		if (!found || found === 'unreachable') return false;
		const answer = await cancelJob({id: found.id}, this.options.env ?? {});
		return answer.ok;
	}
}
