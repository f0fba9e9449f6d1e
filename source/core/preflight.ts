import {existsSync} from 'node:fs';
import path from 'node:path';
import {ArenaError} from './arena.js';
import {splitCommand} from './command.js';
import {commandWantsPython} from './python.js';
import type {ArenaRules} from './types.js';

/**
 * A command that cannot start is a setup error, not a night of crashes:
 * its cwd must exist and its program must be found (`python` is found for it
 * when an interpreter was chosen).
 */
export function checkRunCommand(rules: ArenaRules, workspace: string, python: string | undefined): void {
	const argv = splitCommand(rules.command);
	if (argv.length === 0) throw new ArenaError('program.md: `command` is empty');
	const cwd = path.join(workspace, rules.cwd);
	if (!existsSync(cwd)) throw new ArenaError(`program.md: cwd ${rules.cwd} does not exist in ${workspace}`);
	if (commandWantsPython(argv) && python) return;
	const file = argv[0]!;
	const found = file.includes('/')
		? existsSync(path.resolve(cwd, file))
		: (process.env.PATH ?? '').split(path.delimiter).some(dir => dir && existsSync(path.join(dir, file)));
	if (!found) {
		const hint = file === 'uv' ? " (install uv, or set `command:` in program.md's front matter)" : '';
		throw new ArenaError(`the run command \`${file}\` was not found${hint}`);
	}
}

/** The argv to run: `python` becomes the interpreter that was found. */
export function runArgv(rules: ArenaRules, python: string | undefined): string[] {
	const argv = splitCommand(rules.command);
	if (commandWantsPython(argv) && python) argv[0] = python;
	return argv;
}
