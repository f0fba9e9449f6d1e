import {formatMetric} from '../core/metric.js';
import type {ExperimentDetails} from '../core/intents.js';
import {sanitize, sanitizeBlock} from '../core/sanitize.js';
import {formatJudged, span, statusLook} from './format.js';
import type {Experiment} from './snapshot.js';
import type {Line} from './text.js';

// What Enter on an experiment shows: its verdict, its diff in colour and
// the end of its log; and the whole change from the baseline to the best.
// Everything here was read from files a run or a model wrote: each line
// goes through sanitize() before it is drawn.

/** A unified diff, coloured: additions green, removals red, hunk heads cyan, file heads bold. */
export function diffLines(diff: string, indent = ''): Line[] {
	const text = sanitizeBlock(diff).replace(/\n+$/, '');
	if (text.trim() === '') return [[{text: `${indent}(no change)`, dim: true}]];
	return text.split('\n').map(d => {
		const style = /^(\+\+\+|---|diff |index )/.test(d)
			? {bold: true}
			: d.startsWith('+')
				? {color: 'green'}
				: d.startsWith('-')
					? {color: 'red'}
					: d.startsWith('@@')
						? {color: 'cyan'}
						: {dim: true};
		return [{text: `${indent}${d}`, ...style}];
	});
}

const field = (value: unknown): string | undefined => (typeof value === 'string' && value.trim() !== '' ? sanitize(value) : undefined);

/** One experiment, opened: the verdict, why, the diff, the end of the log. */
export function detailLines(details: ExperimentDetails, experiment: Experiment | undefined, metric = 'metric'): Line[] {
	const lines: Line[] = [];
	const s = details.summary;
	const head = (text: string): Line => [{text, bold: true, color: 'cyan'}];
	if (experiment) {
		const look = statusLook(experiment);
		const judged = formatJudged(experiment, true);
		const facts = [
			experiment.worker,
			experiment.budget === undefined ? undefined : `${experiment.budget} s budget`,
			experiment.seconds ? `ran ${span(experiment.seconds * 1000)}` : undefined,
			experiment.of === undefined ? undefined : `re-run of #${experiment.of}`,
		].filter(Boolean);
		lines.push([
			{text: `#${experiment.n} `, bold: true},
			{text: look.text, color: look.color, bold: true},
			{text: `  ${metric} ${experiment.metric === null ? '-' : formatMetric(experiment.metric, 'short')}`},
			{text: judged ? `  ${judged} against the best` : '', color: 'green'},
			{text: facts.length ? `  (${facts.join(', ')})` : '', dim: true},
		]);
		lines.push([{text: experiment.description, bold: true}]);
		if (experiment.reason) lines.push([{text: `why: ${experiment.reason}`}]);
		if (experiment.overruled) lines.push([{text: 'overruled by hand', color: 'yellow'}]);
	} else {
		lines.push([{text: `#${details.n}`, bold: true}, {text: s?.description ? `  ${sanitize(s.description)}` : ''}]);
	}
	const rationale = field(s?.rationale);
	const who = [field(s?.proposer), field(s?.model)].filter(Boolean).join(' ');
	if (rationale) lines.push([{text: `rationale${who ? ` (${who})` : ''}: `, dim: true}, {text: rationale.replace(/\s+/g, ' ')}]);
	lines.push([], head('Diff'), ...diffLines(details.diff, ' '));
	lines.push([], head(`Log (its last ${details.logTail.length} lines)`));
	const tail = details.logTail.map(l => sanitize(l));
	while (tail.length > 0 && tail.at(-1)!.trim() === '') tail.pop();
	if (tail.length === 0) lines.push([{text: ' (no log)', dim: true}]);
	for (const l of tail) lines.push([{text: ` ${l}`}]);
	return lines;
}

/** The whole change from the baseline to the best. */
export function changeLines(diff: string): Line[] {
	return [[{text: 'Everything kept, from the baseline to the best, as one diff', bold: true}], [], ...diffLines(diff, ' ')];
}
