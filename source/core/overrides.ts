import {readFileSync} from 'node:fs';
import path from 'node:path';
import {writeFileAtomic} from './fsutil.js';

// What the human changed for this session from the screen (/budget), kept in
// runs/overrides.json so a restart does not quietly go back to program.md's
// value. A flag given at start wins over it, and replaces it.

type Saved = {budget?: number};

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
		this.saved = {...this.saved, budget: seconds};
		writeFileAtomic(this.file, JSON.stringify(this.saved, null, 2) + '\n');
	}
}
