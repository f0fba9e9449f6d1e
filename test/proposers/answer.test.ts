import {describe, expect, it} from 'vitest';
import {describeEdits, parseAnswer, stripThinking} from '../../source/proposers/answer.js';

const one = ['train/train.py'];
const block = (path: string | undefined, search: string, replace: string) =>
	[...(path === undefined ? [] : [path]), '<<<<<<< SEARCH', search, '=======', replace, '>>>>>>> REPLACE'].join('\n');
const lr = block('train/train.py', 'LEARNING_RATE = 3e-4', 'LEARNING_RATE = 6e-4');
const lrEdit = {path: 'train/train.py', search: 'LEARNING_RATE = 3e-4', replace: 'LEARNING_RATE = 6e-4'};

describe('parseAnswer: the description line', () => {
	const cases: Array<[string, string]> = [
		['DESCRIPTION: double the learning rate', 'double the learning rate'],
		['Description: double the learning rate', 'double the learning rate'],
		['**DESCRIPTION:** double the learning rate', 'double the learning rate'],
		['**Description**: double the learning rate', 'double the learning rate'],
		['## Description: double the learning rate', 'double the learning rate'],
		['### DESCRIPTION - double the learning rate', 'double the learning rate'],
		['- Description: `double` the learning rate', '`double` the learning rate'],
		['Title: double the learning rate', 'double the learning rate'],
		['DESCRIPTION:   double   the\tlearning rate  ', 'double the learning rate'],
		['## Description\n\ndouble the learning rate', 'double the learning rate'],
		['Double the learning rate', 'Double the learning rate'],
		['Here is my change:\nDouble the learning rate', 'Double the learning rate'],
	];
	for (const [head, description] of cases) {
		it(JSON.stringify(head), () => {
			const parsed = parseAnswer(`${head}\nRATIONALE: faster.\n\n${lr}\n`, one);
			expect(parsed.description).toBe(description);
			expect(parsed.edits).toEqual([lrEdit]);
			expect(parsed.errors).toEqual([]);
		});
	}

	it('cuts a runaway description to one line of at most 120 characters', () => {
		const parsed = parseAnswer(`DESCRIPTION: ${'word '.repeat(60)}\n${lr}`, one);
		expect(parsed.description!.length).toBeLessThanOrEqual(120);
		expect(parsed.description).not.toContain('\n');
	});

	it('has none when there is no prose', () => {
		expect(parseAnswer(lr, one).description).toBeUndefined();
	});
});

describe('parseAnswer: rationale and blocks', () => {
	it('reads the rationale, labelled or not, up to the blocks', () => {
		const labelled = parseAnswer(
			`DESCRIPTION: x\nRATIONALE: Higher LR trains faster.\nIt was stable before.\n\ntrain/train.py\n${lr.split('\n').slice(1).join('\n')}`,
			one,
		);
		expect(labelled.rationale).toBe('Higher LR trains faster.\nIt was stable before.');
		const bold = parseAnswer(`**Description:** x\n**Rationale:** because.\n${lr}`, one);
		expect(bold.rationale).toBe('because.');
		const plain = parseAnswer(`DESCRIPTION: x\nBecause it helps.\n${lr}`, one);
		expect(plain.rationale).toBe('Because it helps.');
	});

	it('reads blocks in fences, several of them, in several files', () => {
		const text = [
			'DESCRIPTION: wider and faster',
			'```python',
			lr,
			'```',
			'',
			'```',
			block('train/model.py', 'WIDTH = 64', 'WIDTH = 128'),
			'```',
		].join('\n');
		const parsed = parseAnswer(text, ['train/train.py', 'train/model.py']);
		expect(parsed.edits).toEqual([lrEdit, {path: 'train/model.py', search: 'WIDTH = 64', replace: 'WIDTH = 128'}]);
		expect(parsed.description).toBe('wider and faster');
		expect(parsed.rationale).toBeUndefined();
	});

	it('takes the one editable file when the path line is missing', () => {
		const parsed = parseAnswer(`DESCRIPTION: faster\n\n${block(undefined, 'LEARNING_RATE = 3e-4', 'LEARNING_RATE = 6e-4')}`, one);
		expect(parsed.edits).toEqual([lrEdit]);
	});

	it('does not take a description that ends like a file name for the path', () => {
		const parsed = parseAnswer(
			`DESCRIPTION: set the learning rate to 0.006\n${block(undefined, 'LEARNING_RATE = 3e-4', 'LEARNING_RATE = 6e-3')}`,
			one,
		);
		expect(parsed.edits[0]!.path).toBe('train/train.py');
		expect(parsed.description).toBe('set the learning rate to 0.006');
	});

	it('maps a bare file name or ./path onto the editable file, and leaves other paths for the check to refuse', () => {
		expect(parseAnswer(block('train.py', 'a', 'b'), one).edits[0]!.path).toBe('train/train.py');
		expect(parseAnswer(block('./train/train.py', 'a', 'b'), one).edits[0]!.path).toBe('train/train.py');
		expect(parseAnswer(block('prepare.py', 'a', 'b'), one).edits[0]!.path).toBe('prepare.py');
		expect(parseAnswer(block('other/train.py', 'a', 'b'), one).edits[0]!.path).toBe('other/train.py');
		expect(parseAnswer(block('train.py', 'a', 'b'), ['a/train.py', 'b/train.py']).edits[0]!.path).toBe('train.py');
		expect(parseAnswer(block('../train/train.py', 'a', 'b'), one).edits[0]!.path).toBe('../train/train.py');
		expect(parseAnswer(block('/etc/train.py', 'a', 'b'), one).edits[0]!.path).toBe('/etc/train.py');
	});

	it('reports unfinished blocks and answers without blocks', () => {
		const cut = parseAnswer('DESCRIPTION: x\ntrain/train.py\n<<<<<<< SEARCH\nLEARNING_RATE = 3e-4\n=======\nLEARNING', one);
		expect(cut.edits).toEqual([]);
		expect(cut.errors).toHaveLength(1);
		const none = parseAnswer('DESCRIPTION: raise the learning rate\nI would raise it.', one);
		expect(none.edits).toEqual([]);
		expect(none.errors).toEqual([]);
		expect(none.description).toBe('raise the learning rate');
	});

	it('ignores <think> sections written into the content', () => {
		const parsed = parseAnswer(
			`<think>\nDESCRIPTION: not this\n${block('train/train.py', 'x', 'y')}\n</think>\nDESCRIPTION: this\n${lr}`,
			one,
		);
		expect(parsed.description).toBe('this');
		expect(parsed.edits).toEqual([lrEdit]);
		expect(stripThinking('a<think>b')).toBe('a');
	});

	it('keeps CRLF answers apart from their line ends', () => {
		const parsed = parseAnswer(`DESCRIPTION: x\r\n${lr.replace(/\n/g, '\r\n')}`, one);
		expect(parsed.edits).toEqual([lrEdit]);
	});
});

describe('describeEdits', () => {
	it('names the first changed line when the answer had no description', () => {
		expect(describeEdits([lrEdit])).toBe('train.py: LEARNING_RATE = 6e-4');
		expect(describeEdits([{path: 'a/b.py', search: 'x = 1\ny = 2', replace: 'x = 1'}])).toBe('edit b.py');
	});
});
