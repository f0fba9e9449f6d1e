// The process's edges, shared by every command: how a message reaches the
// user, how the process ends, and writing to a stdout that may be a pipe
// that closed (`| head`): the loop goes on regardless.

/** Exit statuses, one meaning each (the usage text and README say them). */
export const exitCodes = {
	/** Finished: the limit reached, or a quit that let the runs in progress finish. */
	finished: 0,
	/** An error: bad state on disk, a loop that failed, an old Node. */
	error: 1,
	/** A command line that cannot run: nothing was started. */
	usage: 2,
	/** Interrupted: Ctrl+C twice, SIGTERM, SIGHUP, or a quit that stopped the runs in progress. */
	interrupted: 130,
} as const;

/** Says what is wrong on stderr and ends the process (exit 2 unless told otherwise). */
export function fail(message: string, code: number = exitCodes.usage): never {
	process.stderr.write(`nightshift: ${message}\n`);
	process.exit(code);
}

/** A line on stdout; a closed pipe is not an error. */
export function writeLine(line: string): void {
	writeRaw(line + '\n');
}

export function writeRaw(text: string): void {
	try {
		process.stdout.write(text);
	} catch {
		// Nowhere to write: keep running.
	}
}

process.stdout.on('error', () => undefined);
