import {exec} from './exec.js';

// The user's `notify` command (a setting): run through sh on a new best, at
// the end, and when the loop needs the human, with the event as JSON on its
// standard input. It runs beside the loop and never holds it up: nothing
// awaits it but the exit (bounded), its output goes nowhere near the
// screen, and a command that fails is reported once, not at every event.
// One runs at a time, in the order of the events, so a command that appends
// to a log keeps them in order.

export type NotifyPayload = {kind: string; text: string} & Record<string, unknown>;

/** Longest a notify command may run before it is ended. */
const timeoutMs = 30_000;

/** Notifications waiting for the one before them; past this many, new ones are dropped (a command that hangs must not pile them up). */
const maxWaiting = 20;

export class NotifyCommand {
	/** The commands run one at a time, in the order of their events. */
	private tail: Promise<void> = Promise.resolve();
	private waiting = 0;
	private reported = false;

	/** `onFailure` is told once, the first time the command fails (later failures are counted, not said). */
	constructor(
		private readonly command: string,
		private readonly onFailure: (text: string) => void,
	) {}

	send(payload: NotifyPayload): void {
		if (this.waiting >= maxWaiting) return this.fail(`${maxWaiting} notifications waiting for it; newer ones are dropped`);
		this.waiting++;
		this.tail = this.tail.then(() => this.run(payload)).finally(() => this.waiting--);
	}

	private async run(payload: NotifyPayload): Promise<void> {
		try {
			const result = await exec(this.command, {
				shell: true,
				input: JSON.stringify(payload) + '\n',
				stdout: 'ignore',
				stderr: 'pipe',
				reject: false,
				timeout: timeoutMs,
				env: {NIGHTSHIFT_NOTIFY: payload.kind, NIGHTSHIFT_NOTIFY_TEXT: payload.text},
			});
			if (!result.failed) return;
			const why = result.timedOut
				? `ran past ${timeoutMs / 1000} s`
				: result.exitCode === undefined
					? (result.shortMessage ?? 'could not start')
					: `exit ${result.exitCode}`;
			const said = typeof result.stderr === 'string' ? (result.stderr.trim().split('\n')[0] ?? '') : '';
			this.fail(`${why}${said ? `: ${said.slice(0, 200)}` : ''}`);
		} catch (error) {
			this.fail((error as Error).message);
		}
	}

	private fail(why: string): void {
		if (this.reported) return;
		this.reported = true;
		this.onFailure(`the notify command failed (${why}); later failures are not reported: check it with \`nightshift config get notify\``);
	}

	/** Waits for the commands under way and waiting, at most `ms` (the process is about to exit). */
	async drain(ms: number): Promise<void> {
		if (this.waiting === 0) return;
		let timer: NodeJS.Timeout | undefined;
		await Promise.race([this.tail, new Promise<void>(resolve => (timer = setTimeout(resolve, ms)))]);
		clearTimeout(timer);
	}
}
