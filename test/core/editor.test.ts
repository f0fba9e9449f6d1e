import {chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {afterAll, describe, expect, it} from 'vitest';
import {editorCommand, editorName, openEditor} from '../../source/core/editor.js';

const dir = mkdtempSync(path.join(tmpdir(), 'nightshift-editor-test-'));
afterAll(() => rmSync(dir, {recursive: true, force: true}));

describe('the external editor', () => {
	it('picks $VISUAL, then $EDITOR, then vi', () => {
		expect(editorCommand({VISUAL: 'code -w', EDITOR: 'vim'})).toBe('code -w');
		expect(editorCommand({VISUAL: ' ', EDITOR: 'vim'})).toBe('vim');
		expect(editorCommand({})).toBe('vi');
		expect(editorName({EDITOR: '/usr/bin/nvim -u NONE'})).toBe('nvim');
	});

	it('runs the editor on the file with its arguments and waits for it', async () => {
		const script = path.join(dir, 'fake editor.sh');
		writeFileSync(script, '#!/bin/sh\nprintf "%s|" "$1" >> "$2"\necho edited >> "$2"\n');
		chmodSync(script, 0o755);
		const file = path.join(dir, 'program.md');
		writeFileSync(file, 'goal\n');
		await openEditor(file, {...process.env, VISUAL: `'${script}' --wait`});
		expect(readFileSync(file, 'utf8')).toBe('goal\n--wait|edited\n');
	});

	it('says so when the editor cannot start; a non-zero exit is not an error', async () => {
		await expect(openEditor(path.join(dir, 'x'), {...process.env, VISUAL: path.join(dir, 'no-such-editor')})).rejects.toThrow(
			/could not start the editor/,
		);
		await expect(openEditor(path.join(dir, 'x'), {...process.env, VISUAL: 'false'})).resolves.toBeUndefined();
	});
});
