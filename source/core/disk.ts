import {existsSync, statfsSync} from 'node:fs';
import path from 'node:path';
import type {LoopEvent} from './events.js';

// A night of runs fills disks: logs, checkpoints, caches. A full disk must
// not cost a finished result, nor stop the loop with a raw ENOSPC and a
// stack trace: new work waits (with a message naming the path and what is
// needed) until there is room again, a result already measured is held and
// written once it fits, and the loop goes on by itself. This file only
// knows how to recognise the error, measure the room, and wait.

/** Free space below which no new work starts: room for a run's log, its summary, the rows and the commits, with margin. */
export const minFreeBytes = 16 * 1024 * 1024;

export type DiskFull = {
	code: 'ENOSPC' | 'EDQUOT';
	/** The path that could not be written, where the error says (or the caller knows). */
	path: string | undefined;
	/** Bytes free there now, where it can be measured. */
	free: number | undefined;
	/** One line for a person: what is full, and what is needed. */
	message: string;
};

/** Bytes available to this user on the filesystem holding `target` (or its nearest existing parent). */
export function freeBytes(target: string): number | undefined {
	let dir = path.resolve(target);
	while (!existsSync(dir) && path.dirname(dir) !== dir) dir = path.dirname(dir);
	try {
		const s = statfsSync(dir);
		return Number(s.bavail) * Number(s.bsize);
	} catch {
		return undefined;
	}
}

export function formatBytes(n: number): string {
	if (n < 1024) return `${n} B`;
	if (n < 1024 ** 2) return `${(n / 1024).toFixed(0)} KB`;
	if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(0)} MB`;
	return `${(n / 1024 ** 3).toFixed(1)} GB`;
}

/** A path named in an error's text (git says `unable to write '/x/y'` or `... /x/y: No space left on device`). */
function pathIn(text: string): string | undefined {
	return /'(\/[^']+)'/.exec(text)?.[1] ?? /(\/[^\s:'"]+)(?=: (?:No space|Disk quota))/.exec(text)?.[1];
}

/**
 * ENOSPC or EDQUOT, from Node (`error.code`, `error.path`) or from a child's
 * words (git's "No space left on device"): what is full, where, and what is
 * needed. Undefined for any other error. `where` names the path when the
 * error does not.
 */
export function classifyDiskError(error: unknown, where?: string): DiskFull | undefined {
	const e = error as (NodeJS.ErrnoException & {message?: string}) | null | undefined;
	const text = typeof e?.message === 'string' ? e.message : String(error);
	let code: DiskFull['code'] | undefined;
	if (e?.code === 'ENOSPC' || e?.code === 'EDQUOT') code = e.code;
	else if (/No space left on device|\bENOSPC\b/.test(text)) code = 'ENOSPC';
	else if (/Disk quota exceeded|\bEDQUOT\b/.test(text)) code = 'EDQUOT';
	if (!code) return undefined;
	const named = (typeof e?.path === 'string' ? e.path : undefined) ?? pathIn(text) ?? where;
	// fsutil's temp file (`.name.pid.time.tmp`) stands for the file it was to become.
	const temp = named === undefined ? undefined : /^\.(.+)\.\d+\.\d+\.tmp$/.exec(path.basename(named));
	const at = temp && named ? path.join(path.dirname(named), temp[1]!) : named;
	const free = at === undefined ? undefined : freeBytes(at);
	return {code, path: at, free, message: describeDiskFull(code, at, free, minFreeBytes)};
}

export function describeDiskFull(code: DiskFull['code'], at: string | undefined, free: number | undefined, needed: number): string {
	const what = code === 'EDQUOT' ? 'disk quota exceeded' : 'disk full';
	const where = at === undefined ? '' : ` writing ${at}`;
	const room = free === undefined ? '' : ` (${formatBytes(free)} free)`;
	return `${what}${where}${room}: nightshift needs at least ${formatBytes(needed)} free there to go on; free some space (old run logs, checkpoints, caches) and it goes on by itself`;
}

export type WaitOptions = {
	emit: (event: LoopEvent) => void;
	/** True when the loop no longer wants to wait (it is being interrupted): give up. */
	stopped: () => boolean;
	/** Bytes needed free on each path; default minFreeBytes. */
	needed?: number;
	pollMs?: number;
	/** What waits, for the message (e.g. "experiment 3's result is held and recorded once it fits"). */
	holding?: string;
};

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

/** The paths with less than `needed` bytes free. */
function short(paths: readonly string[], needed: number): Array<{path: string; free: number}> {
	return paths.flatMap(p => {
		const free = freeBytes(p);
		return free !== undefined && free < needed ? [{path: p, free}] : [];
	});
}

/**
 * Waits while any of `paths` has less than the room needed; true once all
 * have it (at once when they do), false when stopped first. Says so once
 * when it starts waiting, and once when it goes on.
 */
export async function waitForSpace(paths: readonly string[], options: WaitOptions): Promise<boolean> {
	const needed = options.needed ?? minFreeBytes;
	let low = short(paths, needed);
	if (low.length === 0) return true;
	const first = low[0]!;
	announce(options, describeDiskFull('ENOSPC', first.path, first.free, needed));
	while (low.length > 0) {
		if (options.stopped()) return false;
		await sleep(options.pollMs ?? 2000);
		low = short(paths, needed);
	}
	options.emit({type: 'message', level: 'info', text: 'disk space is back: going on'});
	return true;
}

function announce(options: WaitOptions, text: string): void {
	options.emit({type: 'message', level: 'warn', text: options.holding ? `${text}. ${options.holding}` : text});
	options.emit({type: 'state', state: 'waiting', detail: 'disk full'});
}

/**
 * Runs a write; when it fails for want of space, says so, waits until there
 * is room and tries again, for as long as it takes. True once written; false
 * when stopped while waiting (the write never happened). Any other error is
 * thrown. The write must leave nothing half-done when it fails (fsutil's
 * writes do not), so trying again is safe.
 */
export async function writeWhenSpace(write: () => void, where: string, options: WaitOptions): Promise<boolean> {
	const needed = options.needed ?? minFreeBytes;
	let said = false;
	for (;;) {
		try {
			write();
			if (said) options.emit({type: 'message', level: 'info', text: 'disk space is back: going on'});
			return true;
		} catch (error) {
			const full = classifyDiskError(error, where);
			if (!full) throw error;
			if (!said) announce(options, describeDiskFull(full.code, full.path, full.free, needed));
			said = true;
		}
		// Room by the measure, and a pause either way: a quota or exhausted inodes look free to statfs.
		do {
			if (options.stopped()) return false;
			await sleep(options.pollMs ?? 2000);
		} while (short([where], needed).length > 0);
	}
}
