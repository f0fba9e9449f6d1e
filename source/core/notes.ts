import {readFileSync} from 'node:fs';
import path from 'node:path';
import type {LoopEvent} from './events.js';
import {writeFileAtomic} from './fsutil.js';
import type {ChatRequest, Proposer} from './proposer.js';
import type {SteeringNote} from './types.js';

// What the human says between runs: steering notes, kept in runs/notes.json
// and given to every later proposal until removed, and the chat relay that
// lets a proposer with a model answer, one answer at a time, never mixed
// into a proposal's stream.

export class Notes {
	private list: SteeringNote[];

	constructor(private readonly file: string) {
		this.list = Notes.load(file);
	}

	static at(runsDir: string): Notes {
		return new Notes(path.join(runsDir, 'notes.json'));
	}

	private static load(file: string): SteeringNote[] {
		try {
			return JSON.parse(readFileSync(file, 'utf8')) as SteeringNote[];
		} catch {
			return [];
		}
	}

	get all(): readonly SteeringNote[] {
		return this.list;
	}

	add(text: string): SteeringNote {
		const note: SteeringNote = {id: Math.max(0, ...this.list.map(n => n.id)) + 1, text, at: new Date().toISOString()};
		this.list = [...this.list, note];
		this.save();
		return note;
	}

	/** Removes one note by id, or all of them. */
	remove(id?: number): void {
		this.list = id === undefined ? [] : this.list.filter(n => n.id !== id);
		this.save();
	}

	private save(): void {
		writeFileAtomic(this.file, JSON.stringify(this.list, null, 2) + '\n');
	}
}

export type ChatContext = Omit<ChatRequest, 'message' | 'signal' | 'onToken'>;

/** Answers to the human, queued one after another, streamed as `chat` events. */
export class ChatRelay {
	private queue: Promise<void> = Promise.resolve();
	private readonly abort = new AbortController();

	constructor(
		private readonly proposer: Proposer,
		private readonly emit: (event: LoopEvent) => void,
	) {}

	/** True when the proposer can answer at all. */
	get available(): boolean {
		return this.proposer.chat !== undefined;
	}

	ask(message: string, context: () => ChatContext): void {
		const chat = this.proposer.chat?.bind(this.proposer);
		if (!chat) return;
		this.queue = this.queue.then(async () => {
			if (this.abort.signal.aborted) return;
			try {
				const answer = await chat({
					...context(),
					message,
					signal: this.abort.signal,
					onToken: token => this.emit({type: 'chat', role: 'agent', text: token, done: false}),
				});
				this.emit({type: 'chat', role: 'agent', text: answer, done: true});
			} catch (error) {
				if (!this.abort.signal.aborted)
					this.emit({type: 'message', level: 'warn', text: `the agent could not answer: ${(error as Error).message}`});
			}
		});
	}

	close(): void {
		this.abort.abort();
	}
}
