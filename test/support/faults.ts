import {spawn, spawnSync, type ChildProcess} from 'node:child_process';
import {skipOutsideCi} from './ci.js';
import {mkdtempSync, readFileSync, rmdirSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import type {LoopEvent} from '../../source/core/events.js';
import {Loop, type LoopOptions} from '../../source/core/loop.js';
import type {ProposalRequest} from '../../source/core/proposer.js';
import {probeBwrap} from '../../source/core/sandbox.js';
import {fakeProgram, fakeTrain} from './fake-arena.js';
import type {ChildOptions} from './loop-child.js';
import {replaceLine} from './scripted-proposer.js';
import {makeArena, repoRootDir, torchPython, type TempArena} from './workspace.js';

// What the fault tests share: an arena with a fixed prepare.py the training
// script reads (so a run that changes it would change what later runs
// measure), hostile edits as a model would write them, the loop in this
// process or in a child process of its own, and the conditions some faults
// need (bubblewrap, root).

/** The fixed file: train.py adds its OFFSET to val_bpb, so an altered prepare.py shows in every later result. */
export const fixedPrepare = `# Fixed: the agent never edits this file.
OFFSET = 0.0
`;

export const faultTrain = fakeTrain
	.replace('import math, os, sys, time', 'import math, os, sys, time\nimport prepare')
	.replace('val = 1.0 + ', 'val = prepare.OFFSET + 1.0 + ');

export function faultProgram(rules: Record<string, string | number> = {}): string {
	let program = fakeProgram;
	for (const [key, value] of Object.entries(rules)) {
		const line = new RegExp(`^${key}:.*$`, 'm');
		program = line.test(program) ? program.replace(line, `${key}: ${value}`) : program.replace(/^---\n/, `---\n${key}: ${value}\n`);
	}
	return program;
}

export function makeFaultArena(rules: Record<string, string | number> = {}, train = faultTrain): TempArena {
	return makeArena({
		'program.md': faultProgram(rules),
		'train/train.py': train,
		'train/prepare.py': fixedPrepare,
		'.gitignore': '__pycache__/\n',
	});
}

/** An edit that adds Python code to train.py (after the hyperparameters' SLEEP line), as a model's edit would. */
export function inject(request: ProposalRequest, code: string, description = 'an edit') {
	return {description, edits: [replaceLine(request, 'SLEEP = 0.0', `SLEEP = 0.0\n${code.trim()}`)]};
}

/** A plain edit that runs normally. */
export function widen(request: ProposalRequest, to = 128) {
	return {description: `WIDTH ${to}`, edits: [replaceLine(request, 'WIDTH = 64', `WIDTH = ${to}`)]};
}

export type InProcess = {loop: Loop; events: LoopEvent[]; done: Promise<void>};

/** The loop in this process, started (setup and run); `done` resolves when it ends. */
export async function startLoop(dir: string, options: Omit<LoopOptions, 'workspace'>): Promise<InProcess> {
	const loop = new Loop({workspace: dir, python: torchPython, killGraceSeconds: 1, ...options});
	const events: LoopEvent[] = [];
	loop.subscribe(e => events.push(e));
	await loop.setup();
	return {loop, events, done: loop.run()};
}

export async function runLoop(dir: string, options: Omit<LoopOptions, 'workspace'>): Promise<InProcess> {
	const started = await startLoop(dir, options);
	await started.done;
	return started;
}

/** Messages the loop said, of one level or all. */
export function messages(events: LoopEvent[], level?: 'info' | 'warn' | 'error'): string[] {
	return events.flatMap(e => (e.type === 'message' && (level === undefined || e.level === level) ? [e.text] : []));
}

/** Resolves once `test` holds, polling; rejects after `ms`. */
export async function until(test: () => boolean, ms = 20_000, what = 'a condition'): Promise<void> {
	const end = Date.now() + ms;
	while (!test()) {
		if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
		await new Promise(r => setTimeout(r, 50));
	}
}

export const isRoot = process.getuid?.() === 0;

/** Why a network namespace with only `lo` cannot be made here (unshare -n, ip), or undefined when it can. */
export function noNetworkNamespace(): string | undefined {
	return skipOutsideCi(networkNamespaceProblem());
}

function networkNamespaceProblem(): string | undefined {
	if (!isRoot) return 'skipped: a network namespace (unshare -n) needs root';
	const tried = spawnSync('unshare', ['-n', '--', 'ip', 'link', 'set', 'lo', 'up'], {encoding: 'utf8'});
	if (tried.error || tried.status !== 0)
		return `skipped: unshare -n and ip do not work here (${tried.error?.message ?? tried.stderr.trim()})`;
	return undefined;
}

/** Why a small tmpfs cannot be mounted here, or undefined when it can. */
export function noTmpfs(): string | undefined {
	return skipOutsideCi(tmpfsProblem());
}

function tmpfsProblem(): string | undefined {
	if (!isRoot) return 'skipped: mounting a small tmpfs needs root';
	const dir = mkdtempSync(path.join(tmpdir(), 'nightshift-mount-'));
	try {
		const tried = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'nightshift-probe', dir], {encoding: 'utf8'});
		if (tried.error || tried.status !== 0) return `skipped: cannot mount a tmpfs here (${tried.error?.message ?? tried.stderr.trim()})`;
		spawnSync('umount', [dir]);
		return undefined;
	} finally {
		rmdirSync(dir);
	}
}

/** Why the sandbox tests cannot run here, or undefined when they can. */
export function noSandbox(): string | undefined {
	const probe = probeBwrap();
	return skipOutsideCi(probe.ok ? undefined : `skipped: ${probe.reason} (apt-get install bubblewrap)`);
}

export function summaryOf(runs: string, folder: string): Record<string, unknown> {
	return JSON.parse(readFileSync(path.join(runs, folder, 'summary.json'), 'utf8')) as Record<string, unknown>;
}

export const loopChildPath = path.join(repoRootDir, 'test', 'support', 'loop-child.ts');

export type ChildRun = {
	child: ChildProcess;
	/** The events printed so far (JSON lines). */
	events: () => Array<LoopEvent | {type: 'child'; pid: number}>;
	stderr: () => string;
	waitFor: (test: (event: LoopEvent | {type: 'child'; pid: number}) => boolean, ms?: number) => Promise<void>;
	exited: Promise<{code: number | null; signal: NodeJS.Signals | null}>;
};

/** The command line that runs a loop in a process of its own (test/support/loop-child.ts). */
export function loopChildArgv(options: ChildOptions): string[] {
	return ['--import', 'tsx', loopChildPath, JSON.stringify(options)];
}

/** Reads a child's JSON-line events from a stream. */
export function readEvents(child: ChildProcess): Omit<ChildRun, 'exited' | 'child'> {
	let out = '';
	let err = '';
	const lines: Array<LoopEvent | {type: 'child'; pid: number}> = [];
	child.stdout?.on('data', (d: Buffer) => {
		out += String(d);
		let i: number;
		while ((i = out.indexOf('\n')) >= 0) {
			const line = out.slice(0, i);
			out = out.slice(i + 1);
			try {
				lines.push(JSON.parse(line) as LoopEvent);
			} catch {
				// npm's own words around the child's lines.
			}
		}
	});
	child.stderr?.on('data', (d: Buffer) => (err += String(d)));
	return {
		events: () => lines,
		stderr: () => err,
		waitFor: (test, ms = 30_000) =>
			until(() => lines.some(test), ms, `an event in:\n${lines.map(l => JSON.stringify(l).slice(0, 200)).join('\n')}\n${err}`),
	};
}

/** A loop in a child process of its own, as the CLI runs it. */
export function startLoopChild(options: ChildOptions): ChildRun {
	const child = spawn(process.execPath, loopChildArgv({python: torchPython, killGraceSeconds: 1, ...options}), {
		cwd: repoRootDir,
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	const exited = new Promise<{code: number | null; signal: NodeJS.Signals | null}>(resolve =>
		child.on('close', (code, signal) => resolve({code, signal})),
	);
	return {child, exited, ...readEvents(child)};
}
