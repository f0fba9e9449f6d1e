import {dispatch, isIdle, type EventHandlers, type LoopEvent} from '../core/events.js';
import {formatDelta, formatMetric} from '../core/metric.js';
import {sanitize} from '../core/sanitize.js';
import type {ExperimentRecord} from '../core/types.js';

// Headless mode: the same loop, printed as plain lines (or JSON lines).
// Progress is thinned to one line per interval: a log file over a night
// should be readable, and run.log holds every line anyway.

export type PrinterOptions = {
	json: boolean;
	write: (line: string) => void;
	/** Least seconds between two progress lines of one run. */
	progressEvery?: number;
	now?: () => number;
};

function delta(record: ExperimentRecord, baseline: ExperimentRecord | undefined): string {
	if (record.metric === null || baseline?.metric === null || baseline === undefined || record === baseline) return '';
	return ` (${formatDelta(record.metric - baseline.metric)} vs baseline)`;
}

/** Returns the listener that prints; call it with every loop event. */
export function linePrinter(options: PrinterOptions): (event: LoopEvent) => void {
	const every = (options.progressEvery ?? 10) * 1000;
	const now = options.now ?? Date.now;
	let lastProgress = 0;
	let lastPartial = 0;
	const out = (text: string): void => options.write(sanitize(text));
	const quiet = (): void => undefined;

	const plain: EventHandlers = {
		session: event => {
			out(
				`session ${event.tag} on ${event.branch}${event.resumed ? ' (resumed)' : ''}: ${event.metric}, ${event.direction} is better; budget ${event.budgetSeconds} s; proposer ${event.proposer}${event.python ? `; python ${event.python}` : ''}`,
			);
			out(`results in ${event.runsDir}/results.tsv`);
		},
		state: event => {
			if (isIdle(event.state)) out(`${event.state}${event.detail ? `: ${event.detail}` : ''}`);
		},
		message: event => out(`${event.level === 'info' ? '' : `${event.level}: `}${event.text}`),
		'proposal-start': quiet,
		'proposal-token': quiet,
		'proposal-retry': event => out(`#${event.n} retry ${event.attempt}: ${event.reason}`),
		proposal: event => out(`#${event.n} proposal (${event.proposer}${event.model ? ` ${event.model}` : ''}): ${event.description}`),
		'proposal-failed': event => out(`#${event.n} proposal failed: ${event.reason}`),
		'run-start': event => {
			lastProgress = 0;
			out(`#${event.n} run ${event.commit}: ${event.description} (budget ${event.budgetSeconds} s)`);
		},
		progress: event => {
			const t = now();
			if (t - lastProgress < every) return;
			lastProgress = t;
			out(`#${event.n}   step ${event.step}${event.pct === undefined ? '' : ` (${event.pct.toFixed(1)}%)`} loss ${event.loss.toFixed(6)}`);
		},
		log: event => {
			if (!event.partial && event.text.trim() !== '' && !/^\s*step\s+\d+/.test(event.text)) out(`#${event.n}   | ${event.text}`);
		},
		'run-end': event => {
			const r = event.record;
			out(
				`#${event.n} ${r.status} ${formatMetric(r.metric)}${delta(r, event.baseline)} in ${event.seconds.toFixed(1)} s${
					r.status === 'crash' && event.reason ? ` (${event.reason})` : ''
				}; best ${formatMetric(event.best?.metric)}: ${r.description}`,
			);
		},
		recorded: quiet,
		overrule: event => out(`#${event.n} overruled by hand: ${event.from} -> ${event.to}`),
		notes: event => out(event.notes.length === 0 ? 'notes: none' : `notes: ${event.notes.map(n => `[${n.id}] ${n.text}`).join('; ')}`),
		chat: event => {
			if (event.done) out(`${event.role === 'user' ? 'you' : 'agent'}: ${event.text}`);
		},
		'goal-changed': quiet,
		'budget-changed': event => out(`budget: ${event.seconds} s`),
		'model-changed': event => out(`model: ${event.model}`),
		gpu: quiet,
	};

	/** JSON lines: every event but the token stream and the replay, the high-rate ones at most once a second. */
	const json = (event: LoopEvent): void => {
		if (event.type === 'proposal-token' || event.type === 'recorded') return;
		if ((event.type === 'log' && event.partial) || event.type === 'progress') {
			const t = now();
			if (t - (event.type === 'progress' ? lastProgress : lastPartial) < 1000) return;
			if (event.type === 'progress') lastProgress = t;
			else lastPartial = t;
		}
		// Strings inside are escaped by JSON; control characters come out as \u escapes.
		options.write(JSON.stringify({at: new Date().toISOString(), ...event}));
	};

	return event => (options.json ? json(event) : dispatch(plain, event));
}
