// Git changes one at a time: the loop's own (commit, reset) and the human's
// overrules arrive from different async paths and must never interleave in
// one worktree. A promise chain is the whole lock: no process shares it.

export class GitLock {
	private tail: Promise<void> = Promise.resolve();

	/** Runs `fn` once every earlier holder is done; a failure frees the lock for the next. */
	exclusive<T>(fn: () => Promise<T>): Promise<T> {
		const result = this.tail.then(fn);
		this.tail = result.then(
			() => undefined,
			() => undefined,
		);
		return result;
	}

	/** Resolves when nothing holds the lock (used before the loop says it is done). */
	idle(): Promise<void> {
		return this.tail;
	}
}
