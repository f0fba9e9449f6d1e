import {describe, expect, it} from 'vitest';
import {exactEdit, locate, resolveBlock, resolveHunk, searchLines, wholeFileEdits} from '../../source/proposers/match.js';
import {applyEdits} from '../../source/core/edits.js';
import {train} from './support.js';

const lines = train.split('\n');
const file = 'train/train.py';

describe('locate', () => {
	it('matches exactly, then without trailing space, indentation, inner spacing, or a comment left out', () => {
		expect(locate(lines, ['DEPTH = 4  # layers'])).toEqual({ok: true, start: 4, end: 5});
		expect(locate(lines, ['DEPTH = 4  # layers   '])).toMatchObject({ok: true, start: 4});
		expect(locate(lines, ['  warm = int(total * WARMUP_RATIO)'])).toMatchObject({ok: true, start: 8});
		expect(locate(lines, ['warm=int(total*WARMUP_RATIO)'])).toMatchObject({ok: true, start: 8});
		expect(locate(lines, ['DEPTH = 4'])).toMatchObject({ok: true, start: 4});
		expect(locate(lines, ['DEPTH = 5'])).toMatchObject({ok: false, closest: {line: 5, text: 'DEPTH = 4  # layers'}});
	});

	it('reports every place a SEARCH matches, 1-based, and picks the nearest to a hint when it is clearly nearest', () => {
		const twice = [...lines, 'def other():', '    warm = int(total * WARMUP_RATIO)'];
		expect(locate(twice, ['warm = int(total * WARMUP_RATIO)'])).toEqual({ok: false, several: [9, 13]});
		expect(locate(twice, ['warm = int(total * WARMUP_RATIO)'], 11)).toMatchObject({ok: true, start: 12});
	});

	it('reads a SEARCH with the line-number gutter of our own feedback copied into it', () => {
		expect(searchLines('3 | LEARNING_RATE = 3e-4  # peak learning rate\n4 | WARMUP_RATIO = 0.1  # fraction of steps')).toEqual([
			'LEARNING_RATE = 3e-4  # peak learning rate',
			'WARMUP_RATIO = 0.1  # fraction of steps',
		]);
	});
});

describe('resolving edits', () => {
	it("writes the edit with the file's own lines, unique as a substring, REPLACE re-indented", () => {
		const done = resolveBlock(
			{
				path: file,
				search: 'def lr_at(step, total):\n  warm = int(total * WARMUP_RATIO)',
				replace: 'def lr_at(step, total):\n  warm = int(2 * total * WARMUP_RATIO)\n  warm += 1',
			},
			train,
		);
		expect(done).toMatchObject({
			ok: true,
			edit: {
				search: 'def lr_at(step, total):\n    warm = int(total * WARMUP_RATIO)',
				replace: 'def lr_at(step, total):\n    warm = int(2 * total * WARMUP_RATIO)\n    warm += 1',
			},
		});
		// `x = 1` also hides inside `max = 1`: the SEARCH grows by a neighbour until it occurs once.
		const content = 'max = 1\nx = 1\ny = 2';
		expect(exactEdit('f.py', content.split('\n'), 1, 2, ['x = 3'])).toEqual({
			path: 'f.py',
			search: 'max = 1\nx = 1\ny = 2',
			replace: 'max = 1\nx = 3\ny = 2',
		});
		expect(resolveBlock({path: file, search: 'DEPTH = 4  # layers', replace: 'DEPTH = 4  # layers'}, train)).toEqual({
			ok: false,
			unchanged: true,
		});
	});

	it('applies a hunk with its header off, or with a context line that is not in the file', () => {
		const hunk = (ctx: string) => ({
			oldStart: 40,
			lines: [
				{op: ' ' as const, text: ctx},
				{op: '-' as const, text: 'DEPTH = 4  # layers'},
				{op: '+' as const, text: 'DEPTH = 6  # layers'},
				{op: ' ' as const, text: '# --- end hyperparameters ---'},
			],
		});
		const exact = resolveHunk(file, hunk('WARMUP_RATIO = 0.1  # fraction of steps'), train);
		expect(exact).toMatchObject({
			ok: true,
			edit: {search: 'WARMUP_RATIO = 0.1  # fraction of steps\nDEPTH = 4  # layers\n# --- end hyperparameters ---'},
		});
		const fuzzy = resolveHunk(file, hunk('WARMUP = 0.1  # made up'), train);
		expect(fuzzy).toMatchObject({
			ok: true,
			edit: {search: 'DEPTH = 4  # layers\n# --- end hyperparameters ---', replace: 'DEPTH = 6  # layers\n# --- end hyperparameters ---'},
		});
	});

	it('turns a whole file into one small edit per changed region, which applyEdits takes', () => {
		const next = train
			.replace('LEARNING_RATE = 3e-4', 'LEARNING_RATE = 6e-4')
			.replace('    warm = int(total * WARMUP_RATIO)', '    warm = int(2 * total * WARMUP_RATIO)');
		const whole = wholeFileEdits(file, train, next.trimEnd());
		expect(whole.edits.length).toBeGreaterThanOrEqual(1);
		expect(whole.edits.every(e => e.search.split('\n').length < 8)).toBe(true);
		expect(whole.content).toBe(next);
		const applied = applyEdits({[file]: train}, whole.edits, [file]);
		expect(applied.ok && applied.files[file]).toBe(next);
		expect(wholeFileEdits(file, train, train).edits).toEqual([]);
	});
});
