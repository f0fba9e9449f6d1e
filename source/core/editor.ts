import {exec} from './exec.js';
import {splitCommand} from './command.js';

/** The editor command the user asked for: $VISUAL, then $EDITOR, else vi. */
export function editorCommand(env: NodeJS.ProcessEnv = process.env): string {
	return env.VISUAL?.trim() || env.EDITOR?.trim() || 'vi';
}

/** The editor's program name, for hints (`vim`, `code`). */
export function editorName(env: NodeJS.ProcessEnv = process.env): string {
	const [command = 'vi'] = splitCommand(editorCommand(env));
	return command.split('/').at(-1) || command;
}

/**
 * Opens a file in the user's editor on this terminal (stdio inherited) and
 * waits for it to close. The screen suspends itself around it (runTui's
 * `openEditor` option). An editor that cannot start is an error; one that
 * exits non-zero (vim's :cq) is not: the file is read back either way.
 */
export async function openEditor(file: string, env: NodeJS.ProcessEnv = process.env): Promise<void> {
	const editor = editorCommand(env);
	const [command, ...args] = splitCommand(editor);
	if (!command) throw new Error('no editor: set $EDITOR');
	const result = await exec(command, [...args, file], {stdio: 'inherit', reject: false, env});
	if (result.failed && result.exitCode === undefined) {
		throw new Error(`could not start the editor \`${editor}\`: set $EDITOR`);
	}
}
