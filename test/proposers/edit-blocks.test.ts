import {describe, expect, it} from 'vitest';
import {formatEditBlock, parseEditBlocks} from '../../source/proposers/edit-blocks.js';

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
		expect(parseEditBlocks(text)).toEqual({
			edits: [
				{path: 'train/train.py', search: 'DEPTH = 4  # layers', replace: 'DEPTH = 6  # layers'},
				{path: 'train/train.py', search: '    x = 1', replace: '    x = 2'},
			],
			errors: [],
		});
	});

	it('uses the default path when there is none, and reports unfinished blocks', () => {
		expect(parseEditBlocks('<<<<<<< SEARCH\na\n=======\nb\n>>>>>>> REPLACE', 'train.py').edits).toEqual([
			{path: 'train.py', search: 'a', replace: 'b'},
		]);
		expect(parseEditBlocks('<<<<<<< SEARCH\na\n=======\nb\n').errors[0]).toMatch(/no >>>>>>> REPLACE/);
		expect(parseEditBlocks('<<<<<<< SEARCH\na\n').errors[0]).toMatch(/no =======/);
		expect(parseEditBlocks('<<<<<<< SEARCH\na\n=======\nb\n>>>>>>> REPLACE').errors[0]).toMatch(/no file path/);
	});

	it('round-trips formatEditBlock', () => {
		const edit = {path: 'train/train.py', search: 'a\nb', replace: 'c'};
		expect(parseEditBlocks(formatEditBlock(edit)).edits).toEqual([edit]);
	});
});
