import {closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeSync} from 'node:fs';
import {hostname} from 'node:os';
import path from 'node:path';
import {removeStaleTemps} from './fsutil.js';

// One loop per session. Two loops on one runs/ folder kill each other's
// runs (each one's recovery ends the other's "left-over" process) and
// record the same commit twice; a loop whose terminal wrapper was killed
// (kill -9 of `npm start`) runs on unseen, and a restart makes two. So: a
// lock file created with O_EXCL holding who holds it (pid, the process's
// start time, host), judged stale only when that exact process is gone; and
// a watch on the command that started the loop, so the loop ends with it.
// Whoever takes the lock also clears the temp files a killed holder left.

export const lockFileName = 'nightshift.lock';

export type LockHolder = {
	pid: number;
	/** The process's start time, in clock ticks since boot (/proc/<pid>/stat field 22): a reused pid has another. */
	start: string;
	/** /proc/sys/kernel/random/boot_id: after a reboot every pid is someone else's. */
	boot: string;
	host: string;
	started_at: string;
	command: string;
};

export class LockError extends Error {
	override name = 'LockError';

	constructor(
		message: string,
		readonly holder: LockHolder | undefined,
	) {
		super(message);
	}
}

function read(file: string): string | undefined {
	try {
		return readFileSync(file, 'utf8');
	} catch {
		return undefined;
	}
}

/** The start time of a live process, or undefined when it is gone (a zombie is gone). */
export function processStart(pid: number): string | undefined {
	const stat = read(`/proc/${pid}/stat`);
	if (stat === undefined) return undefined;
	const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
	if (fields[0] === 'Z' || fields[0] === 'X') return undefined;
	// Field 22 of stat is the 20th after the command's closing parenthesis.
	return fields[19];
}

function bootId(): string {
	return (read('/proc/sys/kernel/random/boot_id') ?? '').trim();
}

function me(): LockHolder {
	return {
		pid: process.pid,
		start: processStart(process.pid) ?? '',
		boot: bootId(),
		host: hostname(),
		started_at: new Date().toISOString(),
		command: process.argv.map(a => path.basename(a)).join(' '),
	};
}

/** Whether the holder is a live process: same host (else it cannot be told, and counts as live), same boot, same pid and start time. */
function live(holder: LockHolder): boolean {
	if (holder.host !== hostname()) return true;
	if (holder.boot !== bootId()) return false;
	return processStart(holder.pid) === holder.start;
}

function parse(text: string | undefined): LockHolder | undefined {
	try {
		const value = JSON.parse(text ?? '') as Partial<LockHolder>;
		return typeof value.pid === 'number' && typeof value.start === 'string' ? (value as LockHolder) : undefined;
	} catch {
		return undefined;
	}
}

function refusal(holder: LockHolder, file: string): string {
	if (holder.host !== hostname()) {
		return (
			`another nightshift holds this session: pid ${holder.pid} on ${holder.host} (since ${holder.started_at}). ` +
			`Stop it there (kill ${holder.pid}); if that machine no longer runs it, remove ${file} and start again`
		);
	}
	return (
		`another nightshift is running this session: pid ${holder.pid} (${holder.command}, since ${holder.started_at}). ` +
		`Watch it where it runs (in tmux: tmux attach), or stop it (kill ${holder.pid}) and start again`
	);
}

const pause = (ms: number): void => {
	Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
};

/**
 * Takes runs/'s lock for this process, or throws a LockError naming the
 * process that holds it and how to attach to it or stop it. A lock left by
 * a process that is gone (kill -9, a reboot) is taken over. Returns the
 * release function (idempotent; it removes the lock only while it is ours).
 */
export function acquireLock(runsDir: string): () => void {
	mkdirSync(runsDir, {recursive: true});
	const file = path.join(runsDir, lockFileName);
	const mine = me();
	for (let attempt = 0; attempt < 20; attempt++) {
		try {
			const fd = openSync(file, 'wx');
			try {
				writeSync(fd, JSON.stringify(mine, null, 2) + '\n');
				fsyncSync(fd);
			} finally {
				closeSync(fd);
			}
			sweep(runsDir);
			let held = true;
			return () => {
				if (!held) return;
				held = false;
				const now = parse(read(file));
				if (now?.pid === mine.pid && now.start === mine.start) rmSync(file, {force: true});
			};
		} catch (error) {
			if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
		}
		const text = read(file);
		if (text === undefined) continue;
		const holder = parse(text);
		if (holder === undefined) {
			// Empty or torn: its writer was killed between creating and writing it, or is writing it now.
			let age: number;
			try {
				age = Date.now() - statSync(file).mtimeMs;
			} catch {
				continue;
			}
			if (age < 2000) {
				pause(100);
				continue;
			}
		} else if (live(holder)) {
			throw new LockError(refusal(holder, file), holder);
		}
		// Stale: move it aside and make sure what was moved is what was judged (not a newer lock taken meanwhile).
		const aside = `${file}.stale-${process.pid}`;
		try {
			renameSync(file, aside);
		} catch {
			continue;
		}
		if (read(aside) !== text) {
			try {
				renameSync(aside, file);
			} catch {
				// Someone holds it now: the next attempt sees them.
			}
			continue;
		}
		rmSync(aside, {force: true});
	}
	throw new LockError(`could not take ${file}: other nightshifts keep taking it`, undefined);
}

/** The temp files a loop killed mid-write left in runs/ and its run folders (the worktrees are git's). */
function sweep(runsDir: string): void {
	removeStaleTemps(runsDir);
	for (const entry of readdirSync(runsDir, {withFileTypes: true})) {
		if (entry.isDirectory() && entry.name !== 'worktrees') removeStaleTemps(path.join(runsDir, entry.name));
	}
}

/** The lock file's holder, if any (for a message, or `nightshift status`). */
export function lockHolder(runsDir: string): LockHolder | undefined {
	return parse(read(path.join(runsDir, lockFileName)));
}

// ---- the command that started the loop ----

function argvOf(pid: number): string[] {
	return (read(`/proc/${pid}/cmdline`) ?? '').split('\0').filter(Boolean);
}

function parentOf(pid: number): number {
	const stat = read(`/proc/${pid}/stat`);
	return stat === undefined ? 0 : Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

const wrappers = new Set(['npm', 'npx', 'pnpm', 'yarn', 'env', 'timeout', 'nice', 'ionice', 'taskset', 'stdbuf', 'time', 'tsx']);
const shells = new Set(['sh', 'bash', 'dash', 'zsh', 'ash', 'ksh']);

/**
 * A process that only runs another command for its caller: npm (which
 * renames itself `npm run x`), `node .../npm`, a `sh -c` one-liner, `env`,
 * `timeout`. Its end is the end of the command that started the loop.
 */
export function isWrapper(argv: readonly string[]): boolean {
	const first = path.basename((argv[0] ?? '').split(' ')[0] ?? '');
	if (wrappers.has(first)) return true;
	if (first === 'node' || first === 'nodejs') return /(^|\/)(npm|npx|npm-cli\.js|npx-cli\.js|tsx)$/.test(argv[1] ?? '');
	return shells.has(first) && argv[1] === '-c';
}

/** SIGHUP ignored from the start (nohup): the user asked the loop to outlive its terminal. */
function hangupIgnored(): boolean {
	const mask = /^SigIgn:\s*([0-9a-f]+)$/m.exec(read('/proc/self/status') ?? '')?.[1];
	return mask !== undefined && (BigInt(`0x${mask}`) & 1n) === 1n;
}

/**
 * The processes whose end orphans this loop: the parent, and up through the
 * wrappers that started it (npm start: sh -c, then npm). Under nohup the
 * first plain parent (the shell) is not watched: outliving it was asked for.
 */
export function watchedAncestors(): Array<{pid: number; start: string}> {
	const watched: Array<{pid: number; start: string}> = [];
	const nohup = hangupIgnored();
	for (let pid = process.ppid, hops = 0; pid > 1 && hops < 16; pid = parentOf(pid), hops++) {
		const wrapper = isWrapper(argvOf(pid));
		const start = processStart(pid);
		if (start === undefined) break;
		if (wrapper || !nohup) watched.push({pid, start});
		if (!wrapper) break;
	}
	return watched;
}

/**
 * Calls `onOrphaned` once when the command that started this process is
 * gone (its parent, or a wrapper above it such as npm, died or was killed
 * -9): polled every second. The loop then quits 'interrupt', so a restart
 * does not make two loops. Returns the stop function.
 */
export function watchParent(onOrphaned: () => void, options: {intervalMs?: number} = {}): () => void {
	const watched = watchedAncestors();
	if (watched.length === 0) return () => undefined;
	const timer = setInterval(() => {
		if (watched.every(a => processStart(a.pid) === a.start)) return;
		clearInterval(timer);
		onOrphaned();
	}, options.intervalMs ?? 1000);
	timer.unref();
	return () => clearInterval(timer);
}
