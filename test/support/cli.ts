import {spawn, type ChildProcess} from 'node:child_process';
import path from 'node:path';
import {repoRootDir, torchPython} from './workspace.js';

export const cliPath = path.join(repoRootDir, 'dist', 'cli.js');

export type CliRun = {
	child: ChildProcess;
	/** Everything printed so far. */
	output: () => string;
	/** Resolves once the output matches, or rejects after `ms`. */
	waitFor: (pattern: RegExp, ms?: number) => Promise<void>;
	exited: Promise<{code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string}>;
};

/**
 * Starts the built CLI (stdout a pipe, so headless) in `cwd`, a temporary
 * arena whose settings folder it also holds; stdin is closed, as in CI.
 */
export function startCli(args: string[], options: {cwd: string; env?: Record<string, string>}): CliRun {
	const child = spawn(process.execPath, [cliPath, ...args], {
		cwd: options.cwd,
		env: {
			...process.env,
			NIGHTSHIFT_PYTHON: torchPython,
			NIGHTSHIFT_CONFIG_DIR: path.join(options.cwd, '.nightshift-config'),
			OLLAMA_HOST: '127.0.0.1:9',
			...options.env,
		},
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	let stdout = '';
	let stderr = '';
	const waiters: Array<() => void> = [];
	child.stdout.on('data', (d: Buffer) => {
		stdout += String(d);
		for (const w of [...waiters]) w();
	});
	child.stderr.on('data', (d: Buffer) => {
		stderr += String(d);
		for (const w of [...waiters]) w();
	});
	const exited = new Promise<{code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string}>(resolve => {
		child.on('close', (code, signal) => resolve({code, signal, stdout, stderr}));
	});
	const output = () => stdout + stderr;
	const waitFor = (pattern: RegExp, ms = 60_000) =>
		new Promise<void>((resolve, reject) => {
			const check = () => {
				if (pattern.test(output())) {
					clearTimeout(timer);
					waiters.splice(waiters.indexOf(check), 1);
					resolve();
				}
			};
			const timer = setTimeout(() => {
				waiters.splice(waiters.indexOf(check), 1);
				reject(new Error(`timed out waiting for ${pattern} in:\n${output()}`));
			}, ms);
			waiters.push(check);
			check();
		});
	return {child, output, waitFor, exited};
}

export async function runCli(args: string[], options: {cwd: string; env?: Record<string, string>}) {
	return startCli(args, options).exited;
}
