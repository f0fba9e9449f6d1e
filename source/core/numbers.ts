import {listRunFolders} from './results.js';

// Experiment numbers: what everyone sees as #n, and the run folder's name.
// A number is reserved when a proposal for it is asked for (so "#15
// proposing" and "#15 running" are the same experiment), and given back
// when that proposal is dropped or fails, so numbers do not run ahead of the
// experiments. A folder on disk always holds its number.

export class Numbers {
	private readonly reserved = new Set<number>();

	constructor(private readonly runsDir: string) {}

	/** The smallest number that is neither a run folder nor reserved. */
	reserve(): number {
		const taken = new Set(listRunFolders(this.runsDir).map(f => f.n));
		let n = 1;
		while (taken.has(n) || this.reserved.has(n)) n++;
		this.reserved.add(n);
		return n;
	}

	/** Reserves a given number again (an interrupted experiment runs again under its own). */
	hold(n: number): void {
		this.reserved.add(n);
	}

	/** The number is not needed after all (its proposal was dropped), or its folder now holds it. */
	release(n: number): void {
		this.reserved.delete(n);
	}
}
