import {acquireLock, LockError, watchParent} from '../../source/core/lock.js';
import {Loop} from '../../source/core/loop.js';
import type {SandboxMode} from '../../source/core/sandbox.js';
import {SearchProposer} from '../../source/proposers/search.js';

// A loop in a process of its own, wired the way the CLI is asked to wire it
// (docs/FAULTS.md): the session's lock before setup (a second loop is
// refused, exit 3), the watch on the command that started it, SIGTERM and
// SIGHUP as quit('interrupt'), SIGINT as finish then now; exit 0 when it
// finished, 130 when interrupted, 1 on an error. The fault tests and the
// soak start it as a real child, kill it, and start it again.
//
//   node --import tsx test/support/loop-child.ts '{"workspace": "...", "maxExperiments": 5}'
//
// Every event but the high-rate ones is printed as a JSON line; the first
// line is {"type":"child","pid":...}.

export type ChildOptions = {
	workspace: string;
	runsDir?: string;
	maxExperiments?: number;
	sandbox?: SandboxMode;
	killGraceSeconds?: number;
	python?: string;
};

const quiet = new Set(['log', 'progress', 'proposal-token']);

function say(value: unknown): void {
	try {
		process.stdout.write(JSON.stringify(value) + '\n');
	} catch {
		// The reader is gone (its wrapper was killed): the loop goes on to its end regardless.
	}
}
process.stdout.on('error', () => undefined);

async function main(): Promise<number> {
	const options = JSON.parse(process.argv[2] ?? '{}') as ChildOptions;
	say({type: 'child', pid: process.pid});
	const loop = new Loop({
		workspace: options.workspace,
		...(options.runsDir ? {runsDir: options.runsDir} : {}),
		proposer: new SearchProposer(),
		python: options.python ?? process.env.NIGHTSHIFT_PYTHON ?? '/usr/bin/python3',
		killGraceSeconds: options.killGraceSeconds ?? 1,
		...(options.maxExperiments === undefined ? {} : {maxExperiments: options.maxExperiments}),
		...(options.sandbox ? {sandbox: options.sandbox} : {}),
	});
	let release: () => void;
	try {
		release = acquireLock(loop.runsDir);
	} catch (error) {
		if (!(error instanceof LockError)) throw error;
		process.stderr.write(`nightshift: ${error.message}\n`);
		return 3;
	}
	let interrupted = false;
	const interrupt = (): void => {
		interrupted = true;
		void loop.quit('interrupt');
	};
	let interrupts = 0;
	process.on('SIGTERM', interrupt);
	process.on('SIGHUP', interrupt);
	process.on('SIGINT', () => void loop.quit(++interrupts === 1 ? 'finish' : 'now'));
	const stopWatching = watchParent(interrupt);
	loop.subscribe(event => {
		if (!quiet.has(event.type)) say(event);
	});
	try {
		await loop.setup();
		await loop.run();
	} finally {
		stopWatching();
		release();
	}
	return interrupted ? 130 : 0;
}

main().then(
	code => process.exit(code),
	(error: unknown) => {
		process.stderr.write(`nightshift: ${(error as Error).message}\n`);
		process.exit(1);
	},
);
