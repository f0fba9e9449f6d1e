import type {LoopEvent} from './events.js';

// When the loop should call the human who is not watching: a new best, the
// loop's end, and the moments it cannot go on well without them (the model
// keeps failing, an error, a full disk, a program.md that no longer reads).
// One rule for every face: the headless printer rings the terminal bell
// from it, the screen does as it likes, and the `notify` setting's command
// is run on the same occasions. Pure: the memory it needs (failures in a
// row) is passed in and handed back.

export type NotifyKind = 'new-best' | 'stopped' | 'proposals-failing' | 'error' | 'disk-full' | 'program-md';

export type NotifyReason = {
	kind: NotifyKind;
	/** One line for a human: what happened, and for the urgent kinds what to look at. */
	text: string;
	/** The loop needs the human (every kind but new-best and stopped). */
	urgent: boolean;
	/** The experiment it is about, where there is one. */
	n?: number;
};

/** Failed proposals in a row that make a failing model worth a call (said once until a proposal succeeds). */
export const failedProposalsToNotify = 3;

export type NotifyMemory = {readonly failuresInARow: number};

export const initialNotifyMemory: NotifyMemory = {failuresInARow: 0};

const diskFull = /ENOSPC|no space left/i;

/** The reason to notify for this event, if any, and the memory for the next one. */
export function shouldNotify(event: LoopEvent, memory: NotifyMemory = initialNotifyMemory): {reason?: NotifyReason; memory: NotifyMemory} {
	switch (event.type) {
		case 'run-end': {
			const {record, baseline} = event;
			if (record.status !== 'keep' || baseline === undefined || baseline.n === record.n) return {memory};
			return {memory, reason: {kind: 'new-best', text: `new best #${record.n}: ${record.description}`, urgent: false, n: record.n}};
		}
		case 'state':
			if (event.state !== 'done') return {memory};
			return {memory, reason: {kind: 'stopped', text: `the loop stopped${event.detail ? `: ${event.detail}` : ''}`, urgent: false}};
		case 'proposal':
			return {memory: {failuresInARow: 0}};
		case 'proposal-failed': {
			const failures = memory.failuresInARow + 1;
			const next = {failuresInARow: failures};
			if (failures !== failedProposalsToNotify) return {memory: next};
			return {
				memory: next,
				reason: {
					kind: 'proposals-failing',
					text: `${failures} proposals failed in a row (last: ${event.reason})`,
					urgent: true,
					n: event.n,
				},
			};
		}
		case 'message':
			if (event.level === 'info') return {memory};
			if (diskFull.test(event.text)) return {memory, reason: {kind: 'disk-full', text: event.text, urgent: true}};
			if (event.level === 'error') return {memory, reason: {kind: 'error', text: event.text, urgent: true}};
			if (/^program\.md\b/.test(event.text)) return {memory, reason: {kind: 'program-md', text: event.text, urgent: true}};
			return {memory};
		case 'session':
		case 'reference':
		case 'proposal-start':
		case 'proposal-token':
		case 'proposal-retry':
		case 'run-start':
		case 'run-queued':
		case 'log':
		case 'progress':
		case 'rerun':
		case 'run-measured':
		case 'recorded':
		case 'overrule':
		case 'notes':
		case 'chat':
		case 'goal-changed':
		case 'budget-changed':
		case 'model-changed':
		case 'show':
		case 'gpu':
			return {memory};
	}
}

/** shouldNotify with its memory kept: call it with every event, in order. */
export function notifier(): (event: LoopEvent) => NotifyReason | undefined {
	let memory = initialNotifyMemory;
	return event => {
		const step = shouldNotify(event, memory);
		memory = step.memory;
		return step.reason;
	};
}
