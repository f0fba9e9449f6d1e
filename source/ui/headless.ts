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

/** Which worker, when there are several. */
function workerTag(several: boolean): (worker: string | undefined) => string {
	return worker => (several && worker ? ` [${worker}]` : '');
}

/** Returns the listener that prints; call it with every loop event. */
export function linePrinter(options: PrinterOptions): (event: LoopEvent) => void {
	const every = (options.progressEvery ?? 10) * 1000;
	const now = options.now ?? Date.now;
	let lastProgress = 0;
	let lastPartial = 0;
	const out = (text: string): void => options.write(sanitize(text));
	const quiet = (): void => undefined;
	let who = workerTag(false);

	const plain: EventHandlers = {
		session: event => {
			who = workerTag((event.workers?.length ?? 1) > 1);
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
			out(`#${event.n} run ${event.commit}${who(event.worker)}: ${event.description} (budget ${event.budgetSeconds} s)`);
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
			const runs = r.runs !== undefined && r.runs > 1 ? `, ${r.runs} runs` : '';
			const band =
				r.delta !== undefined && r.status !== 'crash'
					? ` (${formatDelta(r.delta, 'short')}${r.band === undefined ? '' : ` ± ${formatMetric(r.band, 'short')}`} vs best${runs})`
					: delta(r, event.baseline);
			const why = r.status === 'crash' || r.status === 'discard' ? (event.reason ? `: ${event.reason}` : '') : '';
			out(
				`#${event.n} ${r.status} ${formatMetric(r.metric)}${band} in ${event.seconds.toFixed(1)} s${who(event.worker)}${why}; ${r.description}`,
			);
			if (event.best) out(`   best #${event.best.n} ${formatMetric(event.best.metric)}: ${event.best.description}`);
		},
		recorded: quiet,
		rerun: event =>
			out(
				`#${event.n} ${event.record.description}: ${formatMetric(event.record.metric)} in ${event.seconds.toFixed(1)} s${who(event.worker)}`,
			),
		reference: event =>
			out(
				`judging at ${event.budgetSeconds} s against the best's mean ${formatMetric(event.mean)} over ${event.runs} run${event.runs === 1 ? '' : 's'}${event.sigma === undefined ? '' : `; noise of one run ±${formatMetric(event.sigma, 'short')}`}`,
			),
		'run-queued': event => out(`#${event.n} queued${who(event.worker)}: ${event.reason}`),
		'run-measured': event =>
			out(
				`#${event.group} run #${event.n}: ${formatMetric(event.metric)} in ${event.seconds.toFixed(1)} s${who(event.worker)}; ${event.detail}`,
			),
		overrule: event => out(`#${event.n} overruled by hand: ${event.from} -> ${event.to}`),
		notes: event => out(event.notes.length === 0 ? 'notes: none' : `notes: ${event.notes.map(n => `[${n.id}] ${n.text}`).join('; ')}`),
		chat: event => {
			if (event.done) out(`${event.role === 'user' ? 'you' : 'agent'}: ${event.text}`);
		},
		'goal-changed': quiet,
		show: event => {
			out(`-- ${event.title} --`);
			for (const line of event.text.split('\n')) out(line);
		},
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
