import {closeSync, fsyncSync, openSync, renameSync, writeSync, rmSync} from 'node:fs';
import path from 'node:path';

/**
 * Writes a file so that a reader (or a restart after kill -9) sees either the
 * old content or the new, never half of it: temp file, fsync, rename.
 */
export function writeFileAtomic(file: string, data: string): void {
	const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
	const fd = openSync(temporary, 'w');
	try {
		writeSync(fd, data);
		fsyncSync(fd);
	} finally {
		closeSync(fd);
	}
	try {
		renameSync(temporary, file);
	} catch (error) {
		rmSync(temporary, {force: true});
		throw error;
	}
}

/** Appends one line with a single write on an O_APPEND descriptor: whole, even with several writers. */
export function appendLine(file: string, line: string): void {
	const fd = openSync(file, 'a');
	try {
		writeSync(fd, line.endsWith('\n') ? line : line + '\n');
		fsyncSync(fd);
	} finally {
		closeSync(fd);
	}
}
