import {closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, openSync, readdirSync, renameSync, rmSync, writeSync} from 'node:fs';
import path from 'node:path';

// Writes that a kill -9 or a full disk cannot leave half-done: a reader (or
// a restart) sees the old content or the new, never part of it, and a failed
// write leaves nothing behind (no temp file, no torn line), so the caller
// may simply try again once there is room (disk.ts). Only kill -9 between
// the temp file and its rename leaves one: removeStaleTemps() clears those.

/** writeSync until all of it is written (a short write is not an error, and not the end). */
function writeAll(fd: number, data: Buffer): void {
	for (let offset = 0; offset < data.length;) offset += writeSync(fd, data, offset);
}

/**
 * Writes a file so that a reader (or a restart after kill -9) sees either the
 * old content or the new, never half of it: temp file, fsync, rename. On any
 * failure (ENOSPC) the temp file is removed and the old file stays.
 */
export function writeFileAtomic(file: string, data: string): void {
	const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
	try {
		const fd = openSync(temporary, 'w');
		try {
			writeAll(fd, Buffer.from(data));
			fsyncSync(fd);
		} finally {
			closeSync(fd);
		}
		renameSync(temporary, file);
	} catch (error) {
		rmSync(temporary, {force: true});
		throw error;
	}
}

/**
 * Appends one line with a single write on an O_APPEND descriptor: whole, even
 * with several writers. A write that fails part-way (disk full) is cut back,
 * so the file never ends in a torn line.
 */
export function appendLine(file: string, line: string): void {
	const fd = openSync(file, 'a');
	let before: number | undefined;
	try {
		before = fstatSync(fd).size;
		writeAll(fd, Buffer.from(line.endsWith('\n') ? line : line + '\n'));
		fsyncSync(fd);
	} catch (error) {
		if (before !== undefined) {
			try {
				ftruncateSync(fd, before);
			} catch {
				// Nothing more to do: a restart sets a torn tail aside (results.ts).
			}
		}
		throw error;
	} finally {
		closeSync(fd);
	}
}

const tempPattern = /^\..+\.(\d+)\.\d+\.tmp$/;

/**
 * Removes writeFileAtomic's temp files in `dir` (not below) whose writer is
 * gone: what a kill -9 between the write and the rename leaves. Returns how
 * many. Call it where no other live process writes (holding the lock).
 */
export function removeStaleTemps(dir: string): number {
	if (!existsSync(dir)) return 0;
	let removed = 0;
	for (const name of readdirSync(dir)) {
		const pid = tempPattern.exec(name)?.[1];
		if (pid === undefined || Number(pid) === process.pid || existsSync(`/proc/${pid}`)) continue;
		rmSync(path.join(dir, name), {force: true});
		removed++;
	}
	return removed;
}
