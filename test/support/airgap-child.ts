import {spawn} from 'node:child_process';
import {networkInterfaces} from 'node:os';
import path from 'node:path';
import {pathToFileURL} from 'node:url';
import {cliPath} from './cli.js';
import {startStandin, type ChatBody, type OllamaStandin} from './ollama-standin.js';
import {repoRootDir, torchPython} from './workspace.js';

// Runs inside a network namespace that has only `lo` (the air-gap test
// starts it with `unshare -n`): the stand-in Ollama on loopback when asked,
// then the built CLI, headless, with every socket it opens logged
// (net-log.ts). Prints one JSON line: the CLI's exit and output, the
// interfaces it saw, the stand-in's requests.
//
//   node --import tsx test/support/airgap-child.ts '{"workspace": "...", "proposer": "ollama", ...}'

type Options = {workspace: string; proposer: 'search' | 'ollama'; maxExperiments: number; netLog: string};

/** An answer that sets LEARNING_RATE to a new value each time, from the file as the prompt shows it. */
function answer(body: ChatBody, index: number): string {
	const user = body.messages.filter(m => m.role === 'user' && m.content.includes('LEARNING_RATE =')).at(-1)?.content ?? '';
	const line = user.split('\n').find(l => l.startsWith('LEARNING_RATE =')) ?? 'LEARNING_RATE = 0.01  # step size';
	const value = (0.01 * (index + 2)).toFixed(3);
	return [
		`DESCRIPTION: learning rate ${value}`,
		'RATIONALE: a larger step.',
		'',
		'train/train.py',
		'<<<<<<< SEARCH',
		line,
		'=======',
		line.replace(/=\s*[^#]+/, `= ${value}  `),
		'>>>>>>> REPLACE',
		'',
	].join('\n');
}

async function main(): Promise<void> {
	const options = JSON.parse(process.argv[2] ?? '{}') as Options;
	let standin: OllamaStandin | undefined;
	if (options.proposer === 'ollama') standin = await startStandin({models: ['qwen2.5-coder:14b'], fallback: answer});
	const tsx = import.meta.resolve('tsx');
	const netLog = pathToFileURL(path.join(repoRootDir, 'test', 'support', 'net-log.ts')).href;
	const args = ['--proposer', options.proposer, '--max-experiments', String(options.maxExperiments), '--headless'];
	if (standin) args.push('--host', standin.url, '--model', 'qwen2.5-coder:14b');
	const child = spawn(process.execPath, ['--import', tsx, '--import', netLog, cliPath, ...args], {
		cwd: options.workspace,
		env: {
			...process.env,
			NIGHTSHIFT_PYTHON: torchPython,
			NIGHTSHIFT_CONFIG_DIR: path.join(options.workspace, '.nightshift-config'),
			NIGHTSHIFT_NET_LOG: options.netLog,
			OLLAMA_HOST: standin?.url ?? '127.0.0.1:9',
		},
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	let stdout = '';
	let stderr = '';
	child.stdout.on('data', (d: Buffer) => (stdout += String(d)));
	child.stderr.on('data', (d: Buffer) => (stderr += String(d)));
	const code = await new Promise<number | null>(resolve => child.on('close', c => resolve(c)));
	await standin?.close();
	process.stdout.write(
		JSON.stringify({
			code,
			stdout,
			stderr,
			interfaces: Object.keys(networkInterfaces()),
			requests: standin?.paths() ?? [],
		}) + '\n',
	);
}

void main();
