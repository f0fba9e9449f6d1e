import {describe, expect, it} from 'vitest';
import {ArenaError, autoresearchDefaults, parseArena, withBudget} from '../../source/core/arena.js';

describe('program.md', () => {
	it('reads the rules from the front matter and the prose after it', () => {
		const arena = parseArena(
			'---\neditable: [train/train.py, train/model.py]\ncommand: python train.py --fast\ncwd: train\nmetric: val_loss\ndirection: higher\nbudget: 30\nmin_improvement: 0.001\nmodel: qwen3-coder:30b\n---\n# Goal\nDo well.\n',
		);
		expect(arena.rules).toEqual({
			editable: ['train/train.py', 'train/model.py'],
			command: 'python train.py --fast',
			cwd: 'train',
			metric: 'val_loss',
			direction: 'higher',
			budgetSeconds: 30,
			timeoutSeconds: 120,
			minImprovement: 0.001,
			model: 'qwen3-coder:30b',
			judge: 'noise',
			baselineRuns: 3,
			confirmRuns: 4,
		});
		expect(arena.goal).toBe('# Goal\nDo well.');
		expect(arena.hasFrontMatter).toBe(true);
	});

	it("falls back to autoresearch's arrangement without front matter", () => {
		const arena = parseArena('# autoresearch\nImprove val_bpb.\n');
		expect(arena.hasFrontMatter).toBe(false);
		expect(arena.rules).toEqual(autoresearchDefaults);
		expect(arena.rules.command).toBe('uv run train.py');
	});

	it.each([
		['---\nbudget: 60\ndirecton: lower\n---\n', /line 3: unknown key `directon`/],
		['---\nbudget: sixty\n---\n', /line 2: `budget` must be the time budget in seconds/],
		['---\nmetric: val_bpb\ndirection: down\n---\n', /line 3: `direction` must be `lower` or `higher`/],
		['---\neditable: [../secret.py]\n---\n', /line 2: editable must be a path inside the workspace/],
		['---\neditable: []\n---\n', /line 2: `editable` must be a list of paths/],
		['---\nbudget: [1\n---\n', /line \d+: invalid front matter/],
		['---\nbudget: 1\nbudget: 2\n---\n', /line \d+: invalid front matter/],
		['---\ncwd: /etc\n---\n', /line 2: cwd must be a path inside the workspace/],
		['---\n- just\n- a list\n---\n', /front matter must be `key: value` lines/],
	])('rejects %j naming the line', (text, message) => {
		expect(() => parseArena(text)).toThrow(ArenaError);
		expect(() => parseArena(text)).toThrow(message);
	});

	it('moves a default timeout with the budget and keeps an explicit one that still fits', () => {
		const defaults = parseArena('---\nbudget: 60\n---\n').rules;
		expect(defaults.timeoutSeconds).toBe(180);
		expect(withBudget(defaults, 10).timeoutSeconds).toBe(80);
		const explicit = parseArena('---\nbudget: 60\ntimeout: 500\n---\n').rules;
		expect(withBudget(explicit, 10).timeoutSeconds).toBe(500);
		expect(withBudget(explicit, 1000).timeoutSeconds).toBe(1030);
	});
});
