import {describe, expect, it} from 'vitest';
import {describeEdits, parseAnswer, stripThinking, type ParsedAnswer} from '../../source/proposers/answer.js';
import {train} from './support.js';

const one = ['train/train.py'];
const block = (path: string | undefined, search: string, replace: string) =>
	[...(path === undefined ? [] : [path]), '<<<<<<< SEARCH', search, '=======', replace, '>>>>>>> REPLACE'].join('\n');
const lr = block('train/train.py', 'LEARNING_RATE = 3e-4', 'LEARNING_RATE = 6e-4');
const lrEdit = {path: 'train/train.py', search: 'LEARNING_RATE = 3e-4', replace: 'LEARNING_RATE = 6e-4'};
const edits = (p: ParsedAnswer) => p.candidates.flatMap(c => (c.kind === 'block' ? [c.edit] : []));

describe('parseAnswer: the description line', () => {
	const cases: Array<[string, string | undefined]> = [
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
		['Sure! Here is my proposal for the next experiment:\n\nDESCRIPTION: double the learning rate', 'double the learning rate'],
		['### Proposed Change\nDESCRIPTION: double the learning rate', 'double the learning rate'],
		// No DESCRIPTION line: none is made up from the prose (describeEdits names the edit instead).
		['Double the learning rate', undefined],
		['Sure! Here is my change:\nDouble the learning rate', undefined],
		['### Proposed Change', undefined],
	];
	for (const [head, description] of cases) {
		it(JSON.stringify(head), () => {
			const parsed = parseAnswer(`${head}\nRATIONALE: faster.\n\n${lr}\n`, one);
			expect(parsed.description).toBe(description);
			expect(edits(parsed)).toEqual([lrEdit]);
			expect(parsed.errors).toEqual([]);
		});
	}

	it('is found after the blocks too, and a chatty lead-in never becomes it', () => {
		const parsed = parseAnswer(
			`Certainly! Here's what I'd try.\n\n${lr}\n\nDESCRIPTION: LEARNING_RATE 3e-4 -> 6e-4\nRATIONALE: it trains faster.`,
			one,
		);
		expect(parsed.description).toBe('LEARNING_RATE 3e-4 -> 6e-4');
		expect(parsed.rationale).toBe('it trains faster.');
	});

	it('cuts a runaway description to one line of at most 120 characters', () => {
		const parsed = parseAnswer(`DESCRIPTION: ${'word '.repeat(60)}\n${lr}`, one);
		expect(parsed.description!.length).toBeLessThanOrEqual(120);
		expect(parsed.description).not.toContain('\n');
	});
});

describe('parseAnswer: rationale and blocks', () => {
	it('reads the rationale, labelled or not, leaving out the path line', () => {
		const labelled = parseAnswer(
			`DESCRIPTION: x\nRATIONALE: Higher LR trains faster.\nIt was stable before.\n\ntrain/train.py\n${lr.split('\n').slice(1).join('\n')}`,
			one,
		);
		expect(labelled.rationale).toBe('Higher LR trains faster.\nIt was stable before.');
		expect(parseAnswer(`**Description:** x\n**Rationale:** because.\n${lr}`, one).rationale).toBe('because.');
		expect(parseAnswer(`DESCRIPTION: x\nBecause it helps.\n${lr}`, one).rationale).toBe('Because it helps.');
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
		expect(edits(parsed)).toEqual([lrEdit, {path: 'train/model.py', search: 'WIDTH = 64', replace: 'WIDTH = 128'}]);
		expect(parsed.description).toBe('wider and faster');
		expect(parsed.rationale).toBeUndefined();
	});

	it('takes the one editable file when the path line is missing, and not a description that ends like a file name', () => {
		expect(edits(parseAnswer(`DESCRIPTION: faster\n\n${block(undefined, 'LEARNING_RATE = 3e-4', 'LEARNING_RATE = 6e-4')}`, one))).toEqual([
			lrEdit,
		]);
		const parsed = parseAnswer(
			`DESCRIPTION: set the learning rate to 0.006\n${block(undefined, 'LEARNING_RATE = 3e-4', 'LEARNING_RATE = 6e-3')}`,
			one,
		);
		expect(edits(parsed)[0]!.path).toBe('train/train.py');
		expect(parsed.description).toBe('set the learning rate to 0.006');
	});

	it('maps a bare file name or ./path onto the editable file, and leaves other paths for the check to refuse', () => {
		const pathOf = (p: string, editable = one) => edits(parseAnswer(block(p, 'a', 'b'), editable))[0]!.path;
		expect(pathOf('train.py')).toBe('train/train.py');
		expect(pathOf('./train/train.py')).toBe('train/train.py');
		expect(pathOf('prepare.py')).toBe('prepare.py');
		expect(pathOf('other/train.py')).toBe('other/train.py');
		expect(pathOf('train.py', ['a/train.py', 'b/train.py'])).toBe('train.py');
		expect(pathOf('../train/train.py')).toBe('../train/train.py');
		expect(pathOf('/etc/train.py')).toBe('/etc/train.py');
	});

	it('reports unfinished blocks and answers without edits', () => {
		const cut = parseAnswer('DESCRIPTION: x\ntrain/train.py\n<<<<<<< SEARCH\nLEARNING_RATE = 3e-4\n=======\nLEARNING', one);
		expect(cut.candidates).toEqual([]);
		expect(cut.errors).toHaveLength(1);
		const none = parseAnswer('DESCRIPTION: raise the learning rate\nI would raise it.', one);
		expect(none.candidates).toEqual([]);
		expect(none.findings).toEqual([]);
		expect(none.description).toBe('raise the learning rate');
	});

	it('ignores <think> sections written into the content, closed, unclosed, or with only the closing tag left', () => {
		const draft = `DESCRIPTION: not this\n${block('train/train.py', 'x', 'y')}`;
		const parsed = parseAnswer(`<think>\n${draft}\n</think>\nDESCRIPTION: this\n${lr}`, one);
		expect(parsed.description).toBe('this');
		expect(edits(parsed)).toEqual([lrEdit]);
		expect(stripThinking('a<think>b')).toBe('a');
		expect(edits(parseAnswer(`${draft}\n</think>\nDESCRIPTION: this\n${lr}`, one))).toEqual([lrEdit]);
	});

	it('keeps CRLF answers apart from their line ends', () => {
		expect(edits(parseAnswer(`DESCRIPTION: x\r\n${lr.replace(/\n/g, '\r\n')}`, one))).toEqual([lrEdit]);
	});
});

describe('parseAnswer: diffs and whole files', () => {
	it('reads unified diffs, with headers or without, fenced or not', () => {
		const diff = [
			'```diff',
			'--- a/train/train.py',
			'+++ b/train/train.py',
			'@@ -3,2 +3,2 @@',
			'-LEARNING_RATE = 3e-4  # peak learning rate',
			'+LEARNING_RATE = 6e-4  # peak learning rate',
			' WARMUP_RATIO = 0.1  # fraction of steps',
			'```',
		].join('\n');
		const parsed = parseAnswer(`DESCRIPTION: lr\n${diff}`, one, {'train/train.py': train});
		expect(parsed.candidates).toEqual([
			{
				kind: 'hunk',
				path: 'train/train.py',
				oldStart: 3,
				line: 2,
				lines: [
					{op: '-', text: 'LEARNING_RATE = 3e-4  # peak learning rate'},
					{op: '+', text: 'LEARNING_RATE = 6e-4  # peak learning rate'},
					{op: ' ', text: 'WARMUP_RATIO = 0.1  # fraction of steps'},
				],
			},
		]);
		expect(parsed.description).toBe('lr');
		const bare = parseAnswer('@@ ... @@\n-DEPTH = 4  # layers\n+DEPTH = 6  # layers\n\nDESCRIPTION: deeper', one);
		expect(bare.candidates[0]).toMatchObject({kind: 'hunk', path: 'train/train.py'});
		expect(bare.description).toBe('deeper');
	});

	it('takes a fenced whole file for an editable file, and says what else a fence held', () => {
		const files = {'train/train.py': train};
		const whole = train.replace('DEPTH = 4', 'DEPTH = 6');
		expect(parseAnswer(`DESCRIPTION: deeper\n\`\`\`python\n${whole}\`\`\``, one, files).candidates).toEqual([
			{kind: 'whole', path: 'train/train.py', content: whole.trimEnd(), line: 1},
		]);
		expect(parseAnswer('Try this:\n```python\nDEPTH = 6\n```', one, files).findings).toEqual([{kind: 'snippet', path: 'train/train.py'}]);
		expect(parseAnswer('train/prepare.py\n```python\nimport os\nprint(1)\n```', one, files).findings).toEqual([
			{kind: 'not-editable', path: 'train/prepare.py'},
		]);
		const elided = train.replace('def lr_at', '# ... rest of the file unchanged ...\ndef lr_at');
		expect(parseAnswer(`\`\`\`python\n${elided}\`\`\``, one, files).findings).toEqual([{kind: 'elided', path: 'train/train.py'}]);
		expect(parseAnswer('[SEARCH]\nDEPTH = 4\n[REPLACE]\nDEPTH = 6', one, files).findings).toEqual([
			{kind: 'wrong-markers', sample: '[SEARCH]'},
		]);
	});
});

describe('describeEdits', () => {
	it('names a changed constant as NAME old -> new, else the first changed line', () => {
		expect(describeEdits([lrEdit])).toBe('LEARNING_RATE 3e-4 -> 6e-4');
		expect(describeEdits([{path: 't.py', search: 'DEPTH = 4  # layers', replace: 'DEPTH = 6  # layers'}, lrEdit])).toBe(
			'DEPTH 4 -> 6 (+1 more edit)',
		);
		expect(describeEdits([{path: 'a/b.py', search: 'x = f(1)', replace: 'x = f(1)\ny = g(x)'}])).toBe('b.py: y = g(x)');
		expect(describeEdits([{path: 'a/b.py', search: 'x = 1\ny = 2', replace: 'x = 1'}])).toBe('b.py: remove y = 2');
	});
});
