import {readFileSync} from 'node:fs';
import {parseArena} from './arena.js';
import type {LoopEvent} from './events.js';
import {writeFileAtomic} from './fsutil.js';
import {ChatRelay, Notes, type ChatContext} from './notes.js';
import type {ExperimentMemory, Proposer} from './proposer.js';
import type {ArenaRules} from './types.js';

// The human's side of the loop that is words, not runs: program.md (the
// goal), steering notes (kept, and given to every later proposal), questions
// (answered, never kept), the memory digest, and switching the model
// (checked with the server first, so a wrong name is said at once, not found
// missing at the next proposal).

export class Conversation {
	readonly notes: Notes;
	private readonly chat: ChatRelay;

	constructor(
		runsDir: string,
		private readonly proposer: Proposer,
		private readonly emit: (event: LoopEvent) => void,
		private readonly context: () => ChatContext,
		/** Told when what proposals are made from changed (a note, a model): prepared proposals are made again. */
		private readonly changed: () => void,
		/** program.md in the user's checkout: what the human edits, and the goal every proposal reads. */
		private readonly programPath: string,
	) {
		this.notes = Notes.at(runsDir);
		this.chat = new ChatRelay(proposer, emit);
	}

	private message(level: 'info' | 'warn', text: string): void {
		this.emit({type: 'message', level, text});
	}

	/** Plain text: a steering note (and a chat answer where a model can give one); a line ending in `?` is only a question. */
	say(text: string): void {
		const clean = text.trim();
		if (!clean) return;
		this.emit({type: 'chat', role: 'user', text: clean, done: true});
		if (!clean.endsWith('?')) {
			this.notes.add(clean);
			this.emit({type: 'notes', notes: this.notes.all});
			this.changed();
		}
		this.chat.ask(clean, this.context);
	}

	ask(text: string): void {
		const clean = text.trim();
		if (!clean) return;
		this.emit({type: 'chat', role: 'user', text: clean, done: true});
		if (!this.chat.available)
			return this.message('warn', `the ${this.proposer.name} proposer has no model to answer; plain text becomes a steering note`);
		this.chat.ask(clean, this.context);
	}

	removeNote(id?: number): void {
		this.notes.remove(id);
		this.emit({type: 'notes', notes: this.notes.all});
	}

	showNotes(): void {
		this.emit({type: 'notes', notes: this.notes.all});
	}

	setModel(model: string): void {
		const proposer = this.proposer;
		const setModel = proposer.setModel?.bind(proposer);
		if (!setModel) return this.message('warn', `the ${proposer.name} proposer has no model to change`);
		const apply = (): void => {
			setModel(model);
			this.emit({type: 'model-changed', model});
			this.changed();
		};
		if (!proposer.checkModel) return apply();
		void proposer.checkModel(model, AbortSignal.timeout(15_000)).then(
			answer => {
				if (!answer.ok) return this.message('warn', `/model ${model}: ${answer.message}; the model stays ${proposer.model ?? 'as it was'}`);
				apply();
				this.message('info', `model ${model}${answer.detail ? ` (${answer.detail})` : ''}`);
			},
			(error: unknown) => this.message('warn', `/model ${model}: could not ask the server (${(error as Error).message})`),
		);
	}

	/** The memory digest, shown to the human as the proposer would give it to a model. */
	showMemory(history: readonly ExperimentMemory[], rules: ArenaRules): void {
		const proposer = this.proposer;
		const text = proposer.describeMemory
			? proposer.describeMemory(history, rules)
			: `${history.length} experiments decided; the ${proposer.name} proposer keeps no digest`;
		this.emit({type: 'show', title: 'memory', text});
	}

	readGoal(): string {
		return readFileSync(this.programPath, 'utf8');
	}

	/** program.md written atomically: the next proposal reads it (a broken front matter keeps the last good rules). */
	saveGoal(text: string): Promise<void> {
		writeFileAtomic(this.programPath, text);
		this.emit({type: 'goal-changed'});
		try {
			parseArena(text);
			this.message('info', 'program.md saved; the next proposal reads it');
		} catch (error) {
			this.message('warn', `program.md saved, but ${(error as Error).message}; the loop keeps the previous rules until it is fixed`);
		}
		return Promise.resolve();
	}

	close(): void {
		this.chat.close();
	}
}
