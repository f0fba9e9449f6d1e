import {execFile} from 'node:child_process';
import {existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {promisify} from 'node:util';
import {afterEach, describe, expect, it} from 'vitest';
import {cliPath} from '../support/cli.js';
import {makeFaultArena, noNetworkNamespace, noSandbox} from '../support/faults.js';
import {checkInvariants, resultRows} from '../support/invariants.js';
import {repoRootDir, type TempArena} from '../support/workspace.js';

// Air-gapped labs have no network at all. The whole app (the built CLI,
// headless) runs inside a network namespace with only `lo` (unshare -n, as
// root): with the built-in search, and with the stand-in Ollama on loopback;
// it works, and every socket it opened (net-log.ts) went to loopback.

const run = promisify(execFile);
const skip = noNetworkNamespace() ?? (existsSync(cliPath) ? undefined : 'skipped: build first (npm run build)');

let arena: TempArena | undefined;
let scratch: string | undefined;
afterEach(() => {
	arena?.cleanup();
	arena = undefined;
	if (scratch) rmSync(scratch, {recursive: true, force: true});
	scratch = undefined;
});

type Outcome = {code: number | null; stdout: string; stderr: string; interfaces: string[]; requests: string[]};

async function airgapped(proposer: 'search' | 'ollama'): Promise<{outcome: Outcome; sockets: string[]}> {
	scratch = mkdtempSync(path.join(tmpdir(), 'nightshift-airgap-'));
	const netLog = path.join(scratch, 'net.log');
	const options = {workspace: arena!.dir, proposer, maxExperiments: 3, netLog};
	const {stdout} = await run(
		'unshare',
		[
			'-n',
			'--',
			'sh',
			'-c',
			'ip link set lo up && exec "$0" "$@"',
			process.execPath,
			'--import',
			'tsx',
			'test/support/airgap-child.ts',
			JSON.stringify(options),
		],
		{cwd: repoRootDir, timeout: 100_000},
	);
	const sockets = existsSync(netLog) ? readFileSync(netLog, 'utf8').trim().split('\n').filter(Boolean) : [];
	return {outcome: JSON.parse(stdout.trim().split('\n').at(-1)!) as Outcome, sockets};
}

const loopback = /^(tcp (127\.\d+\.\d+\.\d+|::1|localhost) \d+|unix .*)$/;

describe('air-gapped: a network namespace with only lo', () => {
	it.skipIf(skip !== undefined)(
		`the built CLI with the built-in search works, and opens no socket off loopback${skip ? ` (${skip})` : ''}`,
		async () => {
			arena = makeFaultArena();
			const {outcome, sockets} = await airgapped('search');
			expect(outcome.interfaces).toEqual(['lo']);
			expect(outcome.code, outcome.stderr).toBe(0);
			expect(outcome.stdout).toMatch(/^done: reached the experiment limit\x07?$/m);
			// Sandboxed runs inside the namespace too, where bubblewrap runs.
			if (noSandbox() === undefined) expect(outcome.stdout).not.toMatch(/NO SANDBOX/);
			expect(sockets.filter(s => !loopback.test(s))).toEqual([]);
			expect(resultRows(path.join(arena.dir, 'runs'))).toHaveLength(3);
			checkInvariants(arena.dir);
		},
	);

	it.skipIf(skip !== undefined)(
		`the built CLI with the stand-in Ollama on loopback works, and talks to nothing else${skip ? ` (${skip})` : ''}`,
		async () => {
			arena = makeFaultArena();
			const {outcome, sockets} = await airgapped('ollama');
			expect(outcome.interfaces).toEqual(['lo']);
			expect(outcome.code, outcome.stderr).toBe(0);
			expect(outcome.stdout).toMatch(/^#2 proposal \(ollama [^)]*\): learning rate/m);
			expect(outcome.requests.filter(r => r === 'POST /api/chat').length).toBeGreaterThanOrEqual(2);
			expect(sockets.length).toBeGreaterThan(0);
			expect(sockets.filter(s => !loopback.test(s))).toEqual([]);
			expect(resultRows(path.join(arena.dir, 'runs'))).toHaveLength(3);
			checkInvariants(arena.dir);
		},
	);
});
