import {formatDelta, formatMetric} from '../core/metric.js';
import type {CrashReport, KeptChange, ReportExperiment, SessionReport} from './data.js';
import type {DiscardGroup} from './groups.js';

// The report as Markdown, for a pull request's description: the result
// first (baseline to best, with the noise it was judged against), the goal,
// the chart, then every kept change with its diff, the discards grouped by
// what they tried, the crashes with their reasons, and the effort. Text read
// from runs/ is escaped for Markdown; diffs go in fences longer than any
// run of backticks inside them.

export type ReportImages = {
	/** The SVG's path as the Markdown links it (relative to the Markdown file, or to the current folder). */
	svg: string;
	png?: string;
	/** Why there is no PNG, when there is none. */
	pngSkipped?: string;
};

/** Text that Markdown must show as it is. */
export function inline(text: string): string {
	return text.replace(/[\\`*_[\]<|~]/g, c => `\\${c}`).replace(/^([#+>-]|\d+\.)(?=\s)/, '\\$1');
}

/** Inline code, with a fence of backticks longer than any inside. */
export function code(text: string): string {
	const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map(m => m[0].length));
	const tick = '`'.repeat(longest + 1);
	const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
	return `${tick}${pad}${text}${pad}${tick}`;
}

/** A fenced block that no line inside can close. */
export function fence(text: string, language = ''): string {
	const longest = Math.max(2, ...[...text.matchAll(/`{3,}/g)].map(m => m[0].length));
	const tick = '`'.repeat(longest + 1);
	return `${tick}${language}\n${text.replace(/\n+$/, '')}\n${tick}`;
}

/** Minutes as a person reads them. */
export function duration(minutes: number): string {
	if (minutes < 1 / 6) return `${(minutes * 60).toFixed(1)} s`;
	if (minutes < 1) return `${Math.round(minutes * 60)} s`;
	if (minutes < 120) return `${minutes.toFixed(1)} min`;
	const hours = Math.floor(minutes / 60);
	return `${hours} h ${Math.round(minutes - hours * 60)} min`;
}

const metric = (value: number | null | undefined): string => formatMetric(value);
const short = (value: number): string => formatMetric(value, 'short');
const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

function experimentCell(e: ReportExperiment): string {
	return `#${e.n} ${code(e.commit)} ${inline(e.description)}`;
}

/** How a verdict was judged: its difference from the best then, and the noise band it had to leave. */
function judged(e: ReportExperiment): string {
	if (e.delta === undefined) return '';
	const band = e.band === undefined ? '' : ` ± ${short(e.band)}`;
	const sigma = e.sigma === undefined ? '' : `, σ ${short(e.sigma)}`;
	return `Δ ${formatDelta(e.delta, 'short')}${band} vs the best then${sigma}`;
}

function headline(report: SessionReport): string[] {
	const {baseline, best, counts} = report;
	const lines: string[] = [];
	const summary = `${plural(counts.experiments, 'experiment')}: ${counts.kept} kept, ${counts.discarded} discarded, ${counts.crashed} crashed; ${plural(counts.reruns, 're-run')}`;
	if (baseline && best && best.change !== null) {
		const percent = best.percent === null ? '' : `, ${best.percent >= 0 ? '+' : '-'}${Math.abs(best.percent).toFixed(2)}%`;
		lines.push(
			`**${code(report.metric)}: ${metric(baseline.metric)} → ${metric(best.metric)}** (${formatDelta(best.change)}${percent}; ${report.direction} is better). ${summary}.`,
		);
	} else {
		lines.push(`**${code(report.metric)}**, ${report.direction} is better: no baseline recorded yet. ${summary}.`);
	}
	if (baseline && best) {
		const noise = (e: ReportExperiment): string =>
			e.sigma === undefined ? (report.noise ? `± ${short(report.noise.sigma)}` : '-') : `± ${short(e.sigma)}`;
		lines.push(
			'',
			`| | experiment | ${code(report.metric)} | runs | noise of one run | judged |`,
			'| --- | --- | --- | --- | --- | --- |',
			`| baseline | ${experimentCell(baseline)} | ${metric(baseline.metric)} | ${baseline.runs} | ${noise(baseline)} | |`,
			`| best | ${experimentCell(best)} | ${metric(best.metric)} | ${best.runs} | ${noise(best)} | ${best.n === baseline.n ? '' : judged(best)} |`,
		);
	}
	lines.push(
		'',
		report.noise
			? `The noise of one run: ± ${short(report.noise.sigma)} (standard deviation, pooled over runs of the same code at the same budget; ${plural(report.noise.dof, 'degree')} of freedom).`
			: 'The noise was not measured: no code ran more than once at one budget.',
	);
	return lines;
}

function keptSection(kept: readonly KeptChange[], report: SessionReport): string[] {
	const lines = ['## Kept changes', ''];
	if (kept.length === 0) return [...lines, 'None: nothing beat the baseline.'];
	kept.forEach((k, i) => {
		const by = k.proposer ? `Proposed by ${inline(k.proposer)}${k.model ? ` (${inline(k.model)})` : ''}` : '';
		const facts = [
			`${code(report.metric)} ${metric(k.metric)}`,
			k.difference === null ? '' : `${formatDelta(k.difference)} from #${k.previous.n} (${metric(k.previous.metric)})`,
			plural(k.runs, 'run'),
			judged(k),
			k.overruled ? 'kept by hand (the judge was overruled)' : '',
		].filter(Boolean);
		lines.push(`### ${i + 1}. #${k.n} ${inline(k.description)}`, '', `${facts.join('; ')}.`);
		if (by || k.rationale) lines.push('', `${by}${by && k.rationale ? ': ' : ''}${k.rationale ? inline(k.rationale) : ''}`);
		lines.push('', k.diff.trim() ? fence(k.diff, 'diff') : '_No diff.patch in its run folder._', '');
	});
	return lines;
}

function discardSection(groups: readonly DiscardGroup[], report: SessionReport): string[] {
	const count = groups.reduce((n, g) => n + g.tries.length, 0);
	const lines = [`## Discarded, by what they tried (${count})`, ''];
	if (groups.length === 0) return [...lines, 'None.'];
	lines.push('| tried | tries | closest | values tried |', '| --- | --- | --- | --- |');
	for (const g of groups) {
		const what = g.by === 'constant' ? g.key.split(' + ').map(code).join(' + ') : g.by === 'area' ? inline(g.key) : 'other';
		const c = g.closest;
		const closest = c
			? `#${c.n} ${metric(c.metric)}${c.delta === undefined ? '' : ` (${formatDelta(c.delta, 'short')} vs the best then)`}`
			: '-';
		const values = g.values ? g.values.map(v => inline(v)).join(', ') : '';
		lines.push(`| ${what} | ${g.tries.length} | ${closest} | ${values} |`);
	}
	lines.push('', '<details><summary>Every discard</summary>', '');
	for (const g of groups) {
		for (const t of g.tries) {
			const why = t.reason ? `: ${inline(t.reason)}` : '';
			lines.push(`- #${t.n} ${inline(t.description)}: ${code(report.metric)} ${metric(t.metric)}${why}`);
		}
	}
	lines.push('', '</details>');
	return lines;
}

function crashSection(crashes: readonly CrashReport[]): string[] {
	const lines = [`## Crashes (${crashes.length})`, ''];
	if (crashes.length === 0) return [...lines, 'None.'];
	for (const c of crashes) {
		lines.push(`- #${c.n} ${inline(c.description)}: ${inline(c.reason ?? 'no reason recorded')}`);
		if (c.logTail.length > 0) lines.push('', fence(c.logTail.join('\n')).replace(/^/gm, '  '), '');
	}
	return lines;
}

function effortSection(report: SessionReport): string[] {
	const {counts, time} = report;
	const lines = ['## Effort', ''];
	lines.push(
		`- ${plural(counts.experiments, 'experiment')} (the baseline included), ${plural(counts.reruns, 're-run')} (the baseline's noise runs, confirmations of close calls, the best re-measured at a new budget).`,
	);
	if (time.runMinutesPerExperiment !== undefined) {
		lines.push(`- ${duration(time.runMinutesPerExperiment)} per experiment training and evaluating (re-runs included).`);
	}
	if (time.wallMinutes !== undefined && time.wallMinutesPerExperiment !== undefined) {
		lines.push(
			`- ${duration(time.wallMinutesPerExperiment)} per experiment by the clock: ${duration(time.wallMinutes)} from the first run to the last verdict (proposals and any stops included).`,
		);
	}
	return lines;
}

function sessionSection(report: SessionReport): string[] {
	const s = report.session;
	const lines = ['## Session', ''];
	if (s.branch)
		lines.push(
			`- branch ${code(s.branch)}${s.base ? ` from ${code(s.base.slice(0, 7))}` : ''}${s.created ? `, started ${s.created}` : ''}`,
		);
	lines.push(`- workspace ${code(s.workspace)}, results in ${code(s.runsDir)}`);
	for (const problem of report.problems) lines.push(`- note: ${inline(problem)}`);
	return lines;
}

export function reportMarkdown(report: SessionReport, images: ReportImages): string {
	const title = report.session.branch ?? report.session.tag ?? 'session';
	const png = images.png ? ` ([PNG](${images.png}))` : '';
	const lines = [
		`# nightshift report: ${inline(title)}`,
		'',
		...headline(report),
		'',
		'## Goal',
		'',
		report.goal.trim() ? report.goal.trim().replace(/^/gm, '> ').replace(/^> $/gm, '>') : '_program.md could not be read._',
		'',
		'## Progress',
		'',
		`![progress: ${code(report.metric)} of every experiment, kept ones marked, the running best as a step line](${images.svg})${png}`,
		...(images.pngSkipped ? ['', `<sub>No PNG: ${inline(images.pngSkipped)}.</sub>`] : []),
		'',
		...keptSection(report.kept, report),
		'',
		...discardSection(report.discards, report),
		'',
		...crashSection(report.crashes),
		'',
		...effortSection(report),
		'',
		...sessionSection(report),
		'',
		'<sub>Written by `nightshift report` from runs/: results.tsv, the run folders (summary.json, diff.patch, run.log) and session.json.</sub>',
	];
	return lines.join('\n').replace(/\n{3,}/g, '\n\n') + '\n';
}
