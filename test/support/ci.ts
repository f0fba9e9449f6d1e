// A test that needs something of the machine (root, bubblewrap, a tmpfs, a
// Slurm cluster, tmux) is skipped, saying why, where that is missing on a
// developer's machine. In CI it is a failure: .ci/run sets the machine up,
// so a missing piece there means a test that silently stopped testing.

/** `reason` (why the test cannot run here) on a developer's machine; in CI (CI set) it throws instead. */
export function skipOutsideCi(reason: string | undefined): string | undefined {
	if (reason !== undefined && process.env['CI'] && process.env['CI'] !== 'false')
		throw new Error(`CI runs every test, and this one cannot run: ${reason}`);
	return reason;
}
