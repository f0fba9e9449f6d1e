import type {LoopEvent} from '../../source/core/events.js';
import type {LoopControl} from '../../source/core/intents.js';

/** Resolves with the first event that matches, so a test waits for what it needs and not for a guessed time. */
export function nextEvent<T extends LoopEvent['type']>(
	control: Pick<LoopControl, 'subscribe'>,
	type: T,
	match: (event: Extract<LoopEvent, {type: T}>) => boolean = () => true,
	timeoutMs = 60_000,
): Promise<Extract<LoopEvent, {type: T}>> {
	return new Promise((resolve, reject) => {
		const timer = setTimeout(() => {
			off();
			reject(new Error(`no ${type} event in ${timeoutMs} ms`));
		}, timeoutMs);
		const off = control.subscribe(event => {
			if (event.type !== type) return;
			const typed = event as Extract<LoopEvent, {type: T}>;
			if (!match(typed)) return;
			clearTimeout(timer);
			off();
			resolve(typed);
		});
	});
}
