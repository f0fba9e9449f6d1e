// Workers that wait for something to change (a result, an intent, the limit
// freed) wait here, and whatever changes wakes them all; each also gives up
// after a while and looks again, so a missed wake costs a delay, not a hang.

export class Wakers {
	private waiting: Array<() => void> = [];

	/** Resolves at the next wake(), or after `ms`. */
	wait(ms = 60_000): Promise<void> {
		return new Promise(resolve => {
			const done = (): void => {
				clearTimeout(timer);
				this.waiting = this.waiting.filter(w => w !== done);
				resolve();
			};
			const timer = setTimeout(done, ms);
			this.waiting.push(done);
		});
	}

	wake(): void {
		for (const wake of [...this.waiting]) wake();
	}
}
