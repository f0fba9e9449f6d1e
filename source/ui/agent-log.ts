import {sanitize} from '../core/sanitize.js';
import type {AgentEntry} from './snapshot.js';

// The Agent pane's entries, bounded, with the two streams that grow in
// place (a proposal, a chat answer). An entry is never changed in place:
// a pane may still hold the old one (and caches its lines by identity).

export const agentCapacity = 300;
/** The most of a streamed text kept (its newest part). */
export const streamCapacity = 16_000;

export class AgentLog {
	private entries: AgentEntry[] = [];
	/** Changed since the last `take()`. */
	dirty = false;

	add(entry: AgentEntry): void {
		this.entries.push(entry);
		if (this.entries.length > agentCapacity) this.entries = this.entries.slice(-agentCapacity);
		this.dirty = true;
	}

	/** Index of the newest entry of a kind if it still streams. */
	streaming(kind: 'proposal' | 'agent'): number {
		for (let i = this.entries.length - 1; i >= 0; i--) {
			const entry = this.entries[i]!;
			if (entry.kind === kind) return entry.streaming ? i : -1;
		}
		return -1;
	}

	/** Index of the newest entry that `match` takes, or -1. */
	find(match: (entry: AgentEntry) => boolean): number {
		for (let i = this.entries.length - 1; i >= 0; i--) if (match(this.entries[i]!)) return i;
		return -1;
	}

	/** Replaces an entry with what `change` makes of it. */
	update(index: number, change: (entry: AgentEntry) => AgentEntry): void {
		this.entries[index] = change(this.entries[index]!);
		this.dirty = true;
	}

	/** The chat's stream: the user's lines as they are, the agent's answer growing in one entry until `done`. */
	chat(role: 'user' | 'agent', text: string, done: boolean): void {
		if (role === 'user') return this.add({kind: 'user', text});
		const i = this.streaming('agent');
		if (done) {
			if (i >= 0) this.update(i, () => ({kind: 'agent', text, streaming: false}));
			else this.add({kind: 'agent', text, streaming: false});
		} else if (i >= 0)
			this.update(i, e => ({kind: 'agent', text: ((e as {text: string}).text + text).slice(-streamCapacity), streaming: true}));
		else this.add({kind: 'agent', text, streaming: true});
	}

	/** The proposal entry of experiment n takes the names of who really made it (the stand-in, not the model asked first). */
	relabel(n: number, proposer: string, model: string | undefined): void {
		const i = this.find(e => e.kind === 'proposal' && e.n === n);
		if (i < 0) return;
		this.update(i, e => {
			const {model: _asked, ...rest} = e as Extract<AgentEntry, {kind: 'proposal'}>;
			return {...rest, proposer, ...(model ? {model} : {})};
		});
	}

	/** The streaming proposal, if any, is done. */
	endProposal(): void {
		const i = this.streaming('proposal');
		if (i >= 0) this.update(i, e => ({...e, streaming: false}) as AgentEntry);
	}

	/** A copy to publish; clean until the next change. */
	take(): AgentEntry[] {
		this.dirty = false;
		return this.entries.slice();
	}
}

/** Multi-line untrusted text (model output, a diff): each line sanitized, the line breaks kept for the pane to wrap. */
export function sanitizeBlock(text: string): string {
	return text
		.replace(/\r\n?/g, '\n')
		.split('\n')
		.map(part => sanitize(part))
		.join('\n');
}
