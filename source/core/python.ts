import {existsSync} from 'node:fs';
import path from 'node:path';
import {exec} from './exec.js';

// Users live with pyenv, conda, venvs and uv at once: find an interpreter
// that imports torch, say which one, and let them choose.

export type PythonChoice = {path: string; torch: string; cuda: boolean; source: string};

export class PythonError extends Error {
	override name = 'PythonError';
}

type Candidate = {command: string; source: string};

function candidates(workspace: string, explicit: string | undefined): Candidate[] {
	if (explicit) return [{command: explicit, source: 'as set'}];
	const list: Candidate[] = [];
	for (const venv of ['.venv', 'venv']) {
		const p = path.join(workspace, venv, 'bin', 'python');
		if (existsSync(p)) list.push({command: p, source: `the workspace's ${venv}`});
	}
	if (process.env.VIRTUAL_ENV) list.push({command: path.join(process.env.VIRTUAL_ENV, 'bin', 'python'), source: 'the active virtualenv'});
	list.push({command: 'python3', source: 'PATH'}, {command: 'python', source: 'PATH'}, {command: '/usr/bin/python3', source: 'the system'});
	return list;
}

const probe =
	'import sys\nprint(sys.executable)\ntry:\n import torch\n print(torch.__version__)\n print(torch.cuda.is_available())\nexcept Exception as e:\n print("NO-TORCH " + type(e).__name__ + ": " + str(e))';

/** Tries each candidate in order; the first that imports torch wins. */
export async function findPython(workspace: string, explicit?: string): Promise<PythonChoice> {
	const tried: string[] = [];
	const seen = new Set<string>();
	for (const candidate of candidates(workspace, explicit)) {
		const result = await exec(candidate.command, ['-c', probe], {reject: false, timeout: 120_000, stdin: 'ignore'});
		if (result.exitCode !== 0 || typeof result.stdout !== 'string') {
			tried.push(`${candidate.command} (${candidate.source}): not found`);
			continue;
		}
		const [executable = candidate.command, torch = '', cuda = ''] = result.stdout.trim().split('\n');
		if (seen.has(executable)) continue;
		seen.add(executable);
		if (torch.startsWith('NO-TORCH')) {
			tried.push(`${executable} (${candidate.source}): no torch`);
			continue;
		}
		return {path: executable, torch: torch.trim(), cuda: cuda.trim() === 'True', source: candidate.source};
	}
	throw new PythonError(
		[
			'No Python interpreter with PyTorch was found. Tried:',
			...tried.map(t => `  ${t}`),
			'Install PyTorch: on Debian/Ubuntu `apt-get install python3-torch libopenblas0-pthread`;',
			"elsewhere `pip install torch` in a virtualenv at the workspace's .venv.",
			'Or name the interpreter: --python PATH (or NIGHTSHIFT_PYTHON).',
		].join('\n'),
	);
}

/** True when the run command wants an interpreter found for it (`python train.py`). */
export function commandWantsPython(argv: readonly string[]): boolean {
	return argv[0] === 'python' || argv[0] === 'python3';
}
