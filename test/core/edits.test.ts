import {mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {applyEdits, checkEditPath, checkInsideRoot, closestLines} from '../../source/core/edits.js';

const train = [
	'import torch',
	'',
	'LEARNING_RATE = 3e-4  # step',
	'DEPTH = 4  # layers',
	'',
	'def step():',
	'    x = 1',
	'    return x',
	'',
].join('\n');
const files = {'train/train.py': train};
const allowed = ['train/train.py'];

describe('applyEdits', () => {
	it('applies an exact match', () => {
		const result = applyEdits(files, [{path: 'train/train.py', search: 'DEPTH = 4', replace: 'DEPTH = 8'}], allowed);
		expect(result.ok && result.files['train/train.py']).toContain('DEPTH = 8  # layers');
	});

	it('tolerates white space around lines and re-indents the replacement', () => {
		const result = applyEdits(files, [{path: 'train/train.py', search: 'x = 1\nreturn x', replace: 'x = 2\nreturn x + 1'}], allowed);
		expect(result.ok && result.files['train/train.py']).toContain('    x = 2\n    return x + 1\n');
	});

	it('refuses an ambiguous match and says how to fix it', () => {
		const result = applyEdits({'a.py': 'x = 1\nx = 1\n'}, [{path: 'a.py', search: 'x = 1', replace: 'x = 2'}], ['a.py']);
		expect(result).toMatchObject({ok: false, index: 0, reason: expect.stringMatching(/matches 2 places/)});
	});

	it('refuses a missing match and offers the closest real lines', () => {
		const result = applyEdits(files, [{path: 'train/train.py', search: 'DEPTH = 5  # layer count', replace: 'DEPTH = 6'}], allowed);
		expect(result).toMatchObject({ok: false, closest: 'DEPTH = 4  # layers'});
		expect(closestLines(train, 'def step(self):\n    y = 1')).toBe('def step():\n    x = 1');
		// Names count more than punctuation: the model's identifier finds its line.
		const file = 'smooth = 0.0\nWARMUP_RATIO = 0.05  # share of the budget spent warming up\nstep = 0\n';
		expect(closestLines(file, 'WARMUP = 0.1')).toBe('WARMUP_RATIO = 0.05  # share of the budget spent warming up');
	});

	it('refuses no edits, empty SEARCH and edits that change nothing', () => {
		expect(applyEdits(files, [], allowed)).toMatchObject({ok: false});
		expect(applyEdits(files, [{path: 'train/train.py', search: ' ', replace: 'x'}], allowed)).toMatchObject({ok: false});
		expect(applyEdits(files, [{path: 'train/train.py', search: 'DEPTH = 4', replace: 'DEPTH = 4'}], allowed)).toMatchObject({
			ok: false,
			reason: 'the edits change nothing',
		});
	});

	it.each([
		['train/prepare.py', /not an editable file/],
		['../x.py', /leaves the workspace/],
		['train/../../x.py', /leaves the workspace/],
		['/etc/passwd', /absolute path/],
		['C:\\x.py', /absolute path/],
		['train\\..\\..\\x.py', /leaves the workspace/],
	])('confines edits to the allowed files: %s', (p, reason) => {
		expect(checkEditPath(p, allowed)).toMatchObject({ok: false, reason: expect.stringMatching(reason)});
		expect(applyEdits(files, [{path: p, search: 'a', replace: 'b'}], allowed)).toMatchObject({ok: false});
	});

	it('normalises harmless spellings of an allowed path', () => {
		expect(checkEditPath('./train/train.py', allowed)).toEqual({ok: true, path: 'train/train.py'});
	});

	it('refuses an allowed path that is a symlink leading out of the workspace', () => {
		const root = mkdtempSync(path.join(tmpdir(), 'nightshift-edits-'));
		const outside = mkdtempSync(path.join(tmpdir(), 'nightshift-outside-'));
		try {
			writeFileSync(path.join(outside, 'train.py'), 'x');
			mkdirSync(path.join(root, 'train'));
			symlinkSync(path.join(outside, 'train.py'), path.join(root, 'train', 'train.py'));
			expect(checkInsideRoot(root, 'train/train.py')).toMatch(/symlink that leads outside/);
			symlinkSync(outside, path.join(root, 'linked'));
			expect(checkInsideRoot(root, 'linked/train.py')).toMatch(/symlink/);
			writeFileSync(path.join(root, 'real.py'), 'x');
			expect(checkInsideRoot(root, 'real.py')).toBeUndefined();
		} finally {
			rmSync(root, {recursive: true, force: true});
			rmSync(outside, {recursive: true, force: true});
		}
	});
});
