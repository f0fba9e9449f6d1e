import {readFileSync} from 'node:fs';
import path from 'node:path';
import {writeFileAtomic} from './fsutil.js';

// What the human set for this session from the screen, kept in
// runs/overrides.json: a /budget (so a restart does not quietly go back to
// program.md's value; a flag given at start wins over it), and when they last
// looked (the morning view's "since you last looked").

type Saved = {budget?: number; seen?: string};

export class Overrides {
	private saved: Saved;
	private readonly file: string;

	constructor(runsDir: string) {
		this.file = path.join(runsDir, 'overrides.json');
		try {
			this.saved = JSON.parse(readFileSync(this.file, 'utf8')) as Saved;
		} catch {
			this.saved = {};
		}
	}

	get budget(): number | undefined {
		const budget = this.saved.budget;
		return typeof budget === 'number' && Number.isFinite(budget) && budget > 0 ? budget : undefined;
	}

	setBudget(seconds: number): void {
		this.save({...this.saved, budget: seconds});
	}

	/** When the human last looked at the session (the morning view counts from it). */
	get seen(): string | undefined {
		return typeof this.saved.seen === 'string' ? this.saved.seen : undefined;
	}

	markSeen(at = new Date()): void {
		this.save({...this.saved, seen: at.toISOString()});
	}

	private save(next: Saved): void {
		this.saved = next;
		writeFileAtomic(this.file, JSON.stringify(this.saved, null, 2) + '\n');
	}
}
