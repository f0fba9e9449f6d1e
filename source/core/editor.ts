import {exec} from './exec.js';
import {splitCommand} from './runner.js';

/**
 * Opens a file in the user's editor ($VISUAL, $EDITOR, else vi) on the
 * terminal and waits for it to close. The screen suspends itself around it.
 */
export async function openEditor(file: string): Promise<void> {
	const editor = process.env.VISUAL || process.env.EDITOR || 'vi';
	const [command, ...args] = splitCommand(editor);
	const result = await exec(command!, [...args, file], {stdio: 'inherit', reject: false});
	if (result.failed && result.exitCode === undefined) {
		throw new Error(`could not start the editor \`${editor}\`: set $EDITOR`);
	}
}
