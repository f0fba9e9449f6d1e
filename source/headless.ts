import type {LoopEvent} from './core/events.js';
import {sanitize} from './core/sanitize.js';
import type {ExperimentRecord} from './core/types.js';

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

function fmt(value: number | null | undefined): string {
	return value === null || value === undefined ? '-' : value.toFixed(6);
}

function delta(record: ExperimentRecord, baseline: ExperimentRecord | undefined): string {
	if (record.metric === null || baseline?.metric === null || baseline === undefined || record === baseline) return '';
	const d = record.metric - baseline.metric;
	return ` (${d >= 0 ? '+' : ''}${d.toFixed(6)} vs baseline)`;
}

/** Returns the listener that prints; call it with every loop event. */
export function linePrinter(options: PrinterOptions): (event: LoopEvent) => void {
	const every = (options.progressEvery ?? 10) * 1000;
	const now = options.now ?? Date.now;
	let lastProgress = 0;
	let lastPartial = 0;
	const out = (text: string): void => options.write(sanitize(text));
	return event => {
		if (options.json) {
			if (event.type === 'proposal-token') return;
			if ((event.type === 'log' && event.partial) || event.type === 'progress') {
				const t = now();
				if (t - (event.type === 'progress' ? lastProgress : lastPartial) < 1000) return;
				if (event.type === 'progress') lastProgress = t;
				else lastPartial = t;
			}
			// Strings inside are escaped by JSON; control characters come out as \u escapes.
			options.write(JSON.stringify({at: new Date().toISOString(), ...event}));
			return;
		}
		switch (event.type) {
			case 'session': {
				out(
					`session ${event.tag} on ${event.branch}${event.resumed ? ' (resumed)' : ''}: ${event.metric}, ${event.direction} is better; budget ${event.budgetSeconds} s; proposer ${event.proposer}${event.python ? `; python ${event.python}` : ''}`,
				);
				out(`results in ${event.runsDir}/results.tsv`);
				break;
			}
			case 'state': {
				if (event.state === 'paused' || event.state === 'waiting' || event.state === 'stopping' || event.state === 'done') {
					out(`${event.state}${event.detail ? `: ${event.detail}` : ''}`);
				}
				break;
			}
			case 'message': {
				out(`${event.level === 'info' ? '' : `${event.level}: `}${event.text}`);
				break;
			}
			case 'proposal-retry': {
				out(`#${event.n} retry ${event.attempt}: ${event.reason}`);
				break;
			}
			case 'proposal': {
				out(`#${event.n} proposal (${event.proposer}${event.model ? ` ${event.model}` : ''}): ${event.description}`);
				break;
			}
			case 'proposal-failed': {
				out(`#${event.n} proposal failed: ${event.reason}`);
				break;
			}
			case 'run-start': {
				lastProgress = 0;
				out(`#${event.n} run ${event.commit}: ${event.description} (budget ${event.budgetSeconds} s)`);
				break;
			}
			case 'progress': {
				const t = now();
				if (t - lastProgress < every) return;
				lastProgress = t;
				out(
					`#${event.n}   step ${event.step}${event.pct === undefined ? '' : ` (${event.pct.toFixed(1)}%)`} loss ${event.loss.toFixed(6)}`,
				);
				break;
			}
			case 'log': {
				if (!event.partial && event.text.trim() !== '' && !/^\s*step\s+\d+/.test(event.text)) out(`#${event.n}   | ${event.text}`);
				break;
			}
			case 'run-end': {
				if (event.reason === 'recorded earlier') return;
				const r = event.record;
				out(
					`#${event.n} ${r.status} ${fmt(r.metric)}${delta(r, event.baseline)} in ${event.seconds.toFixed(1)} s${
						r.status === 'crash' && event.reason ? ` (${event.reason})` : ''
					}; best ${fmt(event.best?.metric)}: ${r.description}`,
				);
				break;
			}
			case 'overrule': {
				out(`#${event.n} overruled by hand: ${event.from} -> ${event.to}`);
				break;
			}
			case 'notes': {
				out(event.notes.length === 0 ? 'notes: none' : `notes: ${event.notes.map(n => `[${n.id}] ${n.text}`).join('; ')}`);
				break;
			}
			case 'chat': {
				if (event.done) out(`${event.role === 'user' ? 'you' : 'agent'}: ${event.text}`);
				break;
			}
			case 'budget-changed': {
				out(`budget: ${event.seconds} s`);
				break;
			}
			case 'model-changed': {
				out(`model: ${event.model}`);
				break;
			}
			default:
				break;
		}
	};
}
