import {existsSync} from 'node:fs';
import path from 'node:path';
import {ArenaError, loadArena, withBudget, type Arena} from './arena.js';
import type {ArenaRules} from './types.js';

// program.md may change at any time (the Goal pane, $EDITOR, a text editor
// over SSH). Before each experiment the loop reads it again; an edit that
// breaks it keeps the last good rules and says so once, until it is fixed.

export class ArenaWatch {
	private current: Arena;
	private problem: string | undefined;
	private budgetOverride: number | undefined;
	/** A budget the arena's own code fixes (arena-checks.ts): it wins over everything, since the run uses it whatever it is told. */
	private fixed: number | undefined;

	constructor(
		private readonly workspace: string,
		budgetSeconds?: number,
	) {
		this.current = loadArena(workspace);
		this.budgetOverride = budgetSeconds;
	}

	get arena(): Arena {
		return this.current;
	}

	/** The rules in force: program.md's, with a budget set by flag or /budget. */
	rules(): ArenaRules {
		const rules = this.current.rules;
		const budget = this.fixed ?? this.budgetOverride;
		return budget === undefined ? rules : withBudget(rules, budget);
	}

	setBudget(seconds: number): void {
		this.budgetOverride = seconds;
	}

	/** The budget is the arena's own: what the run really trains for. */
	fixBudget(seconds: number): void {
		this.fixed = seconds;
	}

	get budgetFixed(): boolean {
		return this.fixed !== undefined;
	}

	/**
	 * Reads program.md again. Returns a warning the first time an edit cannot
	 * be taken (the rules stay as they were), and undefined otherwise.
	 * `arenaDir` is the workspace inside the session's worktree, where
	 * editable files and cwd must exist. `onEditableChange` is told when the
	 * editable files change (cached file contents are then stale).
	 */
	reload(arenaDir: string, onEditableChange: () => void): string | undefined {
		try {
			const arena = loadArena(this.workspace);
			if (this.current.hasFrontMatter && !arena.hasFrontMatter) {
				throw new ArenaError('program.md: the front matter (between `---` lines at the very top) is gone');
			}
			if (arena.rules.metric !== this.current.rules.metric) {
				throw new ArenaError('program.md: the metric cannot change during a session; start a new session (--runs DIR)');
			}
			const missing = arena.rules.editable.filter(f => !existsSync(path.join(arenaDir, f)));
			if (missing.length > 0) throw new ArenaError(`program.md: editable ${missing.join(', ')} does not exist`);
			if (!existsSync(path.join(arenaDir, arena.rules.cwd))) {
				throw new ArenaError(`program.md: cwd ${arena.rules.cwd} does not exist`);
			}
			if (arena.rules.editable.join() !== this.current.rules.editable.join()) onEditableChange();
			this.current = arena;
			this.problem = undefined;
			return undefined;
		} catch (error) {
			const text = `${(error as Error).message} — keeping the previous rules until it is fixed`;
			const fresh = text !== this.problem;
			this.problem = text;
			return fresh ? text : undefined;
		}
	}
}
