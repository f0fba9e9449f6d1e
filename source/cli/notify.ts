import type {LoopEvent} from '../core/events.js';
import {NotifyCommand} from '../core/notify.js';
import {notifier, type NotifyReason} from '../core/notify-rules.js';

// Telling a human who is not watching, without a network: the terminal
// bell (tmux turns it into a window alert) and the user's `notify` command,
// on a new best, at the end, and when the loop needs them. The rules are
// core's (notify-rules.ts, shared with the screen); this wires them to the
// two ways out. The bell is rung here only for headless mode: the screen
// owns the terminal when it is up.

export type NotifyOptions = {
	/** Ring on every reason (headless plain lines: stdout; JSON lines: stderr when it is a terminal). */
	bell?: () => void;
	/** The `notify` setting: a shell command, run with the event as JSON on stdin. */
	command?: string;
	/** Said once, when the command first fails. */
	onFailure: (text: string) => void;
};

export type Notifications = {
	listener: (event: LoopEvent) => void;
	/** Waits (at most `ms`) for notify commands under way: the process is about to exit. */
	drain: (ms: number) => Promise<void>;
};

/** The payload the notify command reads: the reason, the session, and the event itself. */
export type NotifyMessage = NotifyReason & {
	at: string;
	session?: {tag: string; branch: string; workspace: string; runsDir: string};
	event: LoopEvent;
};

export function notifications(options: NotifyOptions): Notifications {
	const rules = notifier();
	const command = options.command?.trim() ? new NotifyCommand(options.command, options.onFailure) : undefined;
	let session: NotifyMessage['session'];
	return {
		listener: event => {
			if (event.type === 'session') session = {tag: event.tag, branch: event.branch, workspace: event.workspace, runsDir: event.runsDir};
			const reason = rules(event);
			if (!reason) return;
			options.bell?.();
			const message: NotifyMessage = {...reason, at: new Date().toISOString(), ...(session ? {session} : {}), event};
			command?.send(message);
		},
		drain: ms => command?.drain(ms) ?? Promise.resolve(),
	};
}
