import {describe, expect, it} from 'vitest';
import {exampleEdit, findFences, formatEditBlock, parseEditBlocks, pathInInfo, pathOnLine} from '../../source/proposers/edit-blocks.js';

const edits = (text: string, defaultPath?: string) => parseEditBlocks(text, defaultPath).blocks.map(b => b.edit);

describe('parseEditBlocks', () => {
	it('reads blocks with their path lines, fences and decorations', () => {
		const text = [
			'DESCRIPTION: deeper',
			'Here is the change:',
			'```python',
			'**train/train.py**',
			'<<<<<<< SEARCH',
			'DEPTH = 4  # layers',
			'=======',
			'DEPTH = 6  # layers',
			'>>>>>>> REPLACE',
			'```',
			'`train/train.py`:',
			'<<<<<<< SEARCH',
			'    x = 1',
			'=======',
			'    x = 2',
			'>>>>>>> REPLACE',
		].join('\n');
		const reading = parseEditBlocks(text);
		expect(reading.blocks.map(b => b.edit)).toEqual([
			{path: 'train/train.py', search: 'DEPTH = 4  # layers', replace: 'DEPTH = 6  # layers'},
			{path: 'train/train.py', search: '    x = 1', replace: '    x = 2'},
		]);
		expect(reading.errors).toEqual([]);
		expect(reading.spans).toEqual([
			{start: 4, end: 9},
			{start: 11, end: 16},
		]);
	});

	it('accepts markers of 3 to 9 characters, ORIGINAL/UPDATED, and a fence wrapped inside each section', () => {
		expect(edits('<<< SEARCH\na\n===\nb\n>>> REPLACE', 'f.py')).toEqual([{path: 'f.py', search: 'a', replace: 'b'}]);
		expect(edits('<<<<<<<<< ORIGINAL\na\n=========\nb\n>>>>>>>>> UPDATED', 'f.py')).toEqual([{path: 'f.py', search: 'a', replace: 'b'}]);
		expect(edits('<<<<<<< SEARCH\n```python\na\n```\n=======\n```python\nb\n```\n>>>>>>> REPLACE', 'f.py')).toEqual([
			{path: 'f.py', search: 'a', replace: 'b'},
		]);
		// Two characters is not a marker.
		expect(edits('<< SEARCH\na\n==\nb\n>> REPLACE', 'f.py')).toEqual([]);
	});

	it('reads SEARCH:/REPLACE: labels, fenced, bare, or on the label line', () => {
		const fenced = 'train.py\n**SEARCH:**\n```python\nx = 1\ny = 2\n```\n**REPLACE:**\n```python\nx = 3\ny = 2\n```';
		expect(edits(fenced)).toEqual([{path: 'train.py', search: 'x = 1\ny = 2', replace: 'x = 3\ny = 2'}]);
		expect(edits('SEARCH:\nx = 1\nREPLACE:\nx = 3\n\nThat is all.', 'f.py')).toEqual([{path: 'f.py', search: 'x = 1', replace: 'x = 3'}]);
		expect(edits('SEARCH: x = 1\nREPLACE: x = 3', 'f.py')).toEqual([{path: 'f.py', search: 'x = 1', replace: 'x = 3'}]);
		expect(parseEditBlocks('SEARCH:\nx = 1\n\nno replace here', 'f.py').errors[0]).toMatch(/SEARCH: without a REPLACE:/);
	});

	it('takes the path from the fence info string', () => {
		expect(edits('```python train/train.py\n<<<<<<< SEARCH\na\n=======\nb\n>>>>>>> REPLACE\n```')[0]!.path).toBe('train/train.py');
		expect(pathInInfo('py title="train/train.py"')).toBe('train/train.py');
		expect(pathInInfo('python')).toBeUndefined();
		expect(pathOnLine('In `train/train.py`:')).toBe('train/train.py');
		expect(pathOnLine('I changed the learning rate to 0.006')).toBeUndefined();
	});

	it('uses the default path when there is none, and reports unfinished blocks', () => {
		expect(edits('<<<<<<< SEARCH\na\n=======\nb\n>>>>>>> REPLACE', 'train.py')).toEqual([{path: 'train.py', search: 'a', replace: 'b'}]);
		expect(parseEditBlocks('<<<<<<< SEARCH\na\n=======\nb\n').errors[0]).toMatch(/no >>>>>>> REPLACE/);
		expect(parseEditBlocks('<<<<<<< SEARCH\na\n').errors[0]).toMatch(/no =======/);
		expect(parseEditBlocks('<<<<<<< SEARCH\na\n=======\nb\n>>>>>>> REPLACE').errors[0]).toMatch(/no file path/);
	});

	it('round-trips formatEditBlock', () => {
		const edit = {path: 'train/train.py', search: 'a\nb', replace: 'c'};
		expect(edits(formatEditBlock(edit))).toEqual([edit]);
	});

	it('finds fences, closed or not', () => {
		expect(findFences(['a', '```python', 'x', '```', '~~~', 'y'])).toEqual([
			{start: 1, end: 4, info: 'python', body: ['x'], closed: true},
			{start: 4, end: 6, info: '', body: ['y'], closed: false},
		]);
	});
});

describe('exampleEdit', () => {
	it('doubles the last numeric constant of the hyperparameter block, written as it was', () => {
		const file = [
			'import torch',
			'# --- hyperparameters ---',
			'LR = 3e-3  # peak',
			'WIDTH = 64',
			'CLIP = 1.0  # max norm',
			'# --- end hyperparameters ---',
			'SEED = 42',
		].join('\n');
		expect(exampleEdit({'t.py': file}, ['t.py'], '# new')).toEqual({
			path: 't.py',
			search: 'CLIP = 1.0  # max norm',
			replace: 'CLIP = 2.0  # max norm',
		});
		expect(exampleEdit({'t.py': 'LR = 3e-4\nX = foo()'}, ['t.py'], '# new').replace).toBe('LR = 6e-4');
		expect(exampleEdit({'t.py': 'import os\nprint(1)'}, ['t.py'], '# new')).toEqual({
			path: 't.py',
			search: 'import os',
			replace: 'import os\n# new',
		});
	});
});
