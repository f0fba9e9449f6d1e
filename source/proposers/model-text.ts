import path from 'node:path';
import {formatEditBlock} from './edit-blocks.js';
import type {Digest, Move, Tried} from './memory.js';
import {bestFirst} from '../core/metric.js';
import type {InFlight, Machine} from '../core/proposer.js';
import type {ArenaRules, Edit, ExperimentRecord, SteeringNote} from '../core/types.js';

// Every word the model reads is written here, and only here: the system
// prompts, the proposal's and the chat's user message, the memory digest,
// the feedback after an answer that could not be used. One place, so that
// the model's view of the session can be read (and changed) as a whole, and
// so that no decision code grows a sentence of its own. What to show is
// decided elsewhere: prompt.ts picks how much of each section fits num_ctx,
// repair.ts picks which feedback an answer earns. The texts are pinned by
// tests: change them on purpose only. The feedback's words, the longest
// part, live beside this file in model-text-feedback.ts (a file each keeps
// both readable), re-exported here: callers import model-visible text from
// model-text.ts alone.

export type PromptInput = {
	/** The experiment number being proposed. */
	n?: number;
	goal: string;
	rules: ArenaRules;
	files: Readonly<Record<string, string>>;
	results: readonly ExperimentRecord[];
	notes: readonly SteeringNote[];
	lastCrash?: {n: number; description: string; logTail: string};
	inFlight?: readonly InFlight[];
	machine?: Machine;
	digest?: Digest;
	/** The format's example, built from a real line of the file. */
	example: Edit;
};

/** How much of the digest is shown. */
export type DigestShown = {lineage: number; deadEnds: number; nearMisses: number; tries: number};

/** How much of each section that can shrink is shown; Infinity for all. */
export type Shown = {recent: number; best: number; crashLines: number; notes: number; digest: DigestShown | undefined};

/** A section as text, and how many of its items were left out. */
type Rendered = {text: string; dropped: number};

/** A metric as the model reads it: six significant digits, trailing zeros dropped (`0.9`, `1.14`). */
export function metricForModel(value: number | null | undefined): string {
	if (value === null || value === undefined || !Number.isFinite(value)) return '-';
	return String(Number(value.toPrecision(6)));
}
const signed = (v: number): string => `${v > 0 ? '+' : ''}${metricForModel(v)}`;
export const oneLine = (text: string): string => text.replace(/\s+/g, ' ').trim();
const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** A fence longer than any run of backticks in the text, so that the text cannot close it. */
export function fenced(text: string, language = ''): string {
	const f = '`'.repeat(Math.max(2, ...[...text.matchAll(/`+/g)].map(m => m[0].length)) + 1);
	return `${f}${language}\n${text.replace(/\n$/, '')}\n${f}`;
}

const languages: Record<string, string> = {py: 'python', sh: 'bash', md: 'markdown', toml: 'toml', yaml: 'yaml', yml: 'yaml', json: 'json'};
const languageOf = (file: string): string => languages[path.posix.extname(file).slice(1)] ?? '';

/** The line the example adds in a file with no numeric constant to change. */
export const exampleAddedLine = '# (a new line here)';

export function formatLines(example: Edit): string[] {
	return [
		'Answer in plain text, in exactly this format:',
		'DESCRIPTION: <one line under 80 characters: what this experiment changes, with concrete values; for a changed constant write NAME old -> new>',
		'RATIONALE: <two or three sentences: why this should improve the metric>',
		'then one or more edit blocks, like this one (an example of the format, not a suggestion):',
		'',
		formatEditBlock(example),
		'',
		'- The line just before each block is the path of the file to edit.',
		'- SEARCH holds lines copied exactly from the current file, character for character with the same indentation, and must match only one place: add a neighbouring line if needed. Keep it short: the lines to change and little more.',
		'- REPLACE holds the new lines. To add code, put an existing line in SEARCH and that line plus the new lines in REPLACE.',
	];
}

/** The system prompt: role, rules, and the exact answer format with an example from the file. */
export function buildSystemPrompt(rules: ArenaRules, example: Edit): string {
	return [
		'You are an ML research engineer running experiments, unattended, to improve a training script.',
		`Each experiment makes one change; the script then trains for a fixed budget of ${rules.budgetSeconds} seconds and reports ${rules.metric} (${rules.direction} is better).`,
		'The change is kept only if it beats the best result so far by more than the noise; otherwise it is reverted.',
		'',
		'Rules:',
		`- Edit only these files: ${rules.editable.join(', ')}. Never any other file.`,
		'- One focused change per experiment, so that its effect can be measured. Keep the edit small.',
		'- Never repeat an experiment that was tried, is running or is prepared; learn from what worked, what did not, and the memory of the session.',
		'- The script must still finish within the time budget and print its summary as before. Do not change how the metric is computed or how time is measured.',
		'- No new dependencies, no downloads, no network.',
		'',
		...formatLines(example),
		'- No JSON, nothing after the last block.',
	].join('\n');
}

function resultRow(r: ExperimentRecord): string {
	const spread = [...(r.band === undefined ? [] : [`±${metricForModel(r.band)}`]), ...(r.runs && r.runs > 1 ? [`${r.runs} runs`] : [])];
	return `${r.n} | ${metricForModel(r.metric)}${spread.length ? ` (${spread.join(', ')})` : ''} | ${r.status} | ${oneLine(r.description)}`;
}

/** The results section: the best kept rows, then every experiment, newest first, as far as `recent` allows. Re-runs are not experiments. */
export function renderResults(all: readonly ExperimentRecord[], rules: ArenaRules, recent = Infinity, bestCount = 5): Rendered {
	const results = all.filter(r => r.status !== 'rerun');
	if (results.length === 0) return {text: 'No experiments yet.', dropped: 0};
	const lines: string[] = [];
	const order = bestFirst(rules.direction);
	const kept = results
		.filter(r => r.status === 'keep' && r.metric !== null && Number.isFinite(r.metric))
		.sort((a, b) => order(a.metric!, b.metric!));
	const header = `n | ${rules.metric} | status | description`;
	const baseline = results[0]!;
	if (kept.length > 0) {
		const best = kept[0]!;
		lines.push(
			`Best ${rules.metric} so far: ${metricForModel(best.metric)} (experiment ${best.n}: ${oneLine(best.description)}); ` +
				`first run (${oneLine(baseline.description)}): ${metricForModel(baseline.metric)}.`,
		);
		if (bestCount > 0 && results.length > bestCount)
			lines.push('', `Best kept experiments (${rules.direction} is better):`, header, ...kept.slice(0, bestCount).map(resultRow));
	}
	const shown = Math.min(results.length, recent);
	const dropped = results.length - shown;
	if (shown > 0) {
		lines.push('', 'Experiments tried, newest first (do not repeat these):', header);
		for (let i = results.length - 1; i >= results.length - shown; i--) lines.push(resultRow(results[i]!));
	}
	if (dropped > 0) lines.push(`(${plural(dropped, 'older experiment')} not shown)`);
	return {text: lines.join('\n'), dropped};
}

function renderCrash(crash: NonNullable<PromptInput['lastCrash']>, keep: number): Rendered {
	const lines = crash.logTail.replace(/\r\n?/g, '\n').replace(/\n+$/, '').split('\n');
	const kept = keep >= lines.length ? lines : keep <= 0 ? [] : lines.slice(-keep);
	const head = `Experiment ${crash.n} (${oneLine(crash.description)}) crashed.`;
	return {text: kept.length > 0 ? `${head} The end of its log:\n${fenced(kept.join('\n'))}` : head, dropped: lines.length - kept.length};
}

function renderNotes(notes: readonly SteeringNote[], keep: number): Rendered {
	const kept = keep >= notes.length ? notes : keep <= 0 ? [] : notes.slice(-keep);
	return {text: kept.map(n => `The human says: ${n.text.trim()}`).join('\n'), dropped: notes.length - kept.length};
}

/** The editable files, fenced, each after its path: the part of the prompt that is never cut. */
export function renderFiles(files: Readonly<Record<string, string>>, rules: ArenaRules): string {
	const names = rules.editable.filter(f => files[f] !== undefined);
	for (const f of Object.keys(files)) if (!names.includes(f)) names.push(f);
	return names.map(f => `${f}\n${fenced(files[f]!, languageOf(f))}`).join('\n\n');
}

/** An earlier answer of this conversation, cut to its first `keep` lines. */
export function shortenAnswer(answer: string, keep: number): string {
	const lines = answer.split('\n');
	if (keep === Infinity || lines.length <= keep) return answer;
	return [...lines.slice(0, keep), `[... ${lines.length - keep} more lines of that answer left out ...]`].join('\n');
}

/** program.md's headings one level down (outside code), so that the prompt's own `#` sections stay the top level. */
export function nestHeadings(markdown: string): string {
	let inCode = false;
	return markdown
		.split('\n')
		.map(line => {
			if (/^\s*(?:```|~~~)/.test(line)) inCode = !inCode;
			return !inCode && /^#{1,5}\s/.test(line) ? `#${line}` : line;
		})
		.join('\n');
}

function renderMachine(m: Machine): string {
	const where =
		m.device === 'cuda' ? `a GPU (${m.gpu ?? 'CUDA'}${m.memoryGb ? `, ${metricForModel(m.memoryGb)} GB of memory` : ''})` : 'a CPU';
	return `Experiments train on ${where}.${m.workers > 1 ? ` ${m.workers} workers train experiments at the same time.` : ''}`;
}

function renderInFlight(items: readonly InFlight[]): string {
	return items
		.map(i => `- #${i.n} (${i.state === 'running' ? 'running now' : 'prepared, runs next'}): ${oneLine(i.description)}`)
		.join('\n');
}

function renderMove(m: Move): string {
	if (m.kind === 'area') return m.scope === null ? 'changes at the top level of the file' : `changes in ${m.scope}`;
	// No default: each way has its words.
	switch (m.way) {
		case 'up':
			return `raising ${m.name}`;
		case 'down':
			return `lowering ${m.name}`;
		case 'changed':
			return `changing ${m.name}`;
	}
}

function renderTried(t: Tried, withDescription = true): string {
	const result =
		t.status === 'crash'
			? 'crashed'
			: t.delta === undefined
				? metricForModel(t.metric)
				: `${signed(t.delta)}${t.band === undefined ? '' : ` ±${metricForModel(t.band)}`}`;
	return `#${t.n}${withDescription ? ` ${oneLine(t.description)}` : ''} (${result})`;
}

/** The memory digest, as much of it as `shown` allows. */
export function renderDigest(d: Digest, shown: DigestShown): Rendered {
	if (d.total === 0) return {text: 'No experiments decided yet.', dropped: 0};
	const lines = [
		`${plural(d.total, 'experiment')} decided: ${d.kept} kept, ${d.total - d.kept - d.crashed} discarded, ${d.crashed} crashed.`,
	];
	let dropped = 0;
	if (d.lineage.length > 0 && shown.lineage > 0) {
		lines.push('How the best came to be, oldest first (each kept change: the metric, its gain over the best before it ± the noise):');
		const keep = Math.min(d.lineage.length, shown.lineage);
		const items = keep >= d.lineage.length ? d.lineage : [d.lineage[0]!, ...d.lineage.slice(d.lineage.length - keep + 1)];
		for (const [i, t] of items.entries()) {
			if (i === 1 && items.length < d.lineage.length)
				lines.push(`- (${plural(d.lineage.length - items.length, 'kept change')} in between not shown)`);
			const gain =
				t.delta === undefined
					? ''
					: ` (${signed(t.delta)}${t.band === undefined ? '' : ` ±${metricForModel(t.band)}`}${t.runs && t.runs > 1 ? `, ${t.runs} runs` : ''})`;
			lines.push(`- #${t.n} ${oneLine(t.description)}: ${metricForModel(t.metric)}${gain}${t.overruled ? ', kept by hand' : ''}`);
		}
		dropped += d.lineage.length - items.length;
	}
	if (d.deadEnds.length > 0 && shown.deadEnds > 0) {
		lines.push('Dead ends (failed twice or more, never kept since; do not try them again):');
		for (const e of d.deadEnds.slice(0, shown.deadEnds)) {
			const tries = e.tries.slice(-shown.tries).map(t => renderTried(t));
			const more = e.tries.length > tries.length ? ` and ${e.tries.length - tries.length} more` : '';
			lines.push(`- ${renderMove(e.move)}: ${tries.join('; ')}${more}`);
		}
		dropped += Math.max(0, d.deadEnds.length - shown.deadEnds);
	}
	if (d.nearMisses.length > 0 && shown.nearMisses > 0) {
		lines.push('Near misses (discarded within the noise of the best; candidates to combine with another change):');
		for (const t of d.nearMisses.slice(0, shown.nearMisses)) lines.push(`- ${renderTried(t)}`);
		dropped += Math.max(0, d.nearMisses.length - shown.nearMisses);
	}
	if (d.nudge) {
		const where = d.nudge.elsewhere.length > 0 ? `, for example ${d.nudge.elsewhere.join(', ')}` : '';
		lines.push(`The last ${d.nudge.count} experiments were all ${renderMove(d.nudge.subject)}: try another part of the file${where}.`);
	}
	return {text: lines.join('\n'), dropped};
}

/** The proposal's user message, showing as much of each section as `shown` allows. */
export function proposalUserMessage(
	input: PromptInput,
	shown: Shown,
): {content: string; droppedResults: number; droppedCrashLines: number; droppedNotes: number; droppedMemory: number} {
	const {rules} = input;
	const results = renderResults(input.results, rules, shown.recent, shown.best);
	const sections: string[] = [];
	if (input.goal.trim()) sections.push(`# Research goal (program.md)\n${nestHeadings(input.goal.trim())}`);
	const machine = input.machine ? ` ${renderMachine(input.machine)}` : '';
	sections.push(
		`# The arena\nMetric: ${rules.metric}, ${rules.direction} is better. Each experiment trains for ${rules.budgetSeconds} s.${machine} You may edit: ${rules.editable.join(', ')}.`,
	);
	sections.push(`# Files you may edit, as they are now (the best version so far)\n${renderFiles(input.files, rules)}`);
	let droppedMemory = 0;
	if (input.digest && shown.digest) {
		const digest = renderDigest(input.digest, shown.digest);
		droppedMemory = digest.dropped;
		sections.push(`# What the experiments so far taught\n${digest.text}`);
	} else if (input.digest && input.digest.total > 0) droppedMemory = Infinity;
	sections.push(`# Results so far\n${results.text}`);
	if (input.inFlight && input.inFlight.length > 0)
		sections.push(`# Experiments running or prepared now (do not repeat these)\n${renderInFlight(input.inFlight)}`);
	let droppedCrashLines = 0;
	if (input.lastCrash) {
		const crash = renderCrash(input.lastCrash, shown.crashLines);
		droppedCrashLines = crash.dropped;
		sections.push(`# The last crash\n${crash.text}`);
	}
	const notes = renderNotes(input.notes, shown.notes);
	if (notes.text) sections.push(`# Notes from the human (follow them)\n${notes.text}`);
	const which = input.n === undefined ? 'the next experiment' : `experiment ${input.n}`;
	sections.push(
		`# Your task\nPropose ${which}: one focused change that was not tried before and is not running or prepared. ` +
			'Answer in the format given: the DESCRIPTION line, the RATIONALE, then the SEARCH/REPLACE blocks.',
	);
	return {content: sections.join('\n\n'), droppedResults: results.dropped, droppedCrashLines, droppedNotes: notes.dropped, droppedMemory};
}

/** The system prompt of a chat with the human watching the run. */
export const chatSystemPrompt = [
	'You are the research agent of nightshift: you propose experiments on a training script, each trained for a fixed time budget and kept only if the metric improves.',
	'The human watching the run is talking to you. Answer briefly (a few sentences, plain text, no code blocks unless asked), from the context given; say so when the context does not tell.',
	'You cannot change files or the run from this chat; what the human says is kept as a note for your next proposals.',
].join('\n');

export type ChatText = {
	message: string;
	goal: string;
	rules: ArenaRules;
	results: readonly ExperimentRecord[];
	/** Earlier notes, without the message itself. */
	notes: readonly SteeringNote[];
	digest?: Digest;
};

/** The chat's user message, with the `recent` newest result rows, the `notes` newest notes and the digest as `memory` allows. */
export function chatUserMessage(
	input: ChatText,
	recent: number,
	notes: number,
	memory: DigestShown | undefined,
): {content: string; droppedResults: number; droppedNotes: number} {
	const results = renderResults(input.results, input.rules, recent, 5);
	const rendered = renderNotes(input.notes, notes);
	const sections: string[] = [];
	if (input.goal.trim()) sections.push(`# Research goal (program.md)\n${nestHeadings(input.goal.trim())}`);
	if (input.digest && memory) sections.push(`# What the experiments so far taught\n${renderDigest(input.digest, memory).text}`);
	sections.push(`# Results so far\n${results.text}`);
	if (rendered.text) sections.push(`# Earlier notes from the human\n${rendered.text}`);
	sections.push(`# The human asks\n${input.message.trim()}`);
	return {content: sections.join('\n\n'), droppedResults: results.dropped, droppedNotes: rendered.dropped};
}

export * from './model-text-feedback.js';
