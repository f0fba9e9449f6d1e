import path from 'node:path';
import {formatEditBlock} from './edit-blocks.js';
import {bestFirst} from '../core/metric.js';
import type {ArenaRules, ExperimentRecord, SteeringNote} from '../core/types.js';

// Every word the model reads is written here, and only here: the system
// prompts, the proposal's and the chat's user message, the feedback after an
// answer that could not be used. One place, so that the model's view of the
// session can be read (and changed) as a whole, and so that no decision code
// grows a sentence of its own. What to show is decided elsewhere: prompt.ts
// picks how much of each section fits num_ctx, ollama.ts picks which
// feedback an answer earns. The texts are pinned by tests: change them on
// purpose only.

export type PromptInput = {
	/** The experiment number being proposed. */
	n?: number;
	goal: string;
	rules: ArenaRules;
	files: Readonly<Record<string, string>>;
	results: readonly ExperimentRecord[];
	notes: readonly SteeringNote[];
	lastCrash?: {n: number; description: string; logTail: string};
};

/** How much of each section that can shrink is shown; Infinity for all. */
export type Shown = {
	/** Newest result rows listed in full. */
	recent: number;
	/** Best result rows listed apart. */
	best: number;
	/** Last lines of the crash log. */
	crashLines: number;
	/** Newest notes. */
	notes: number;
};

/** A section as text, and how many of its items were left out. */
type Rendered = {text: string; dropped: number};

/**
 * A metric as the model reads it: six significant digits, trailing zeros
 * dropped (`0.9`, `1.14`), fewer tokens than core's six decimals. The prompt
 * tests pin this form; the comparison itself is core's.
 */
function metricForModel(value: number | null): string {
	if (value === null || !Number.isFinite(value)) return '-';
	return String(Number(value.toPrecision(6)));
}

const oneLine = (text: string): string => text.replace(/\s+/g, ' ').trim();

/** A fence longer than any run of backticks in the text, so file content cannot close it. */
function fenceFor(text: string): string {
	const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map(m => m[0].length));
	return '`'.repeat(longest + 1);
}

function fenced(text: string, language = ''): string {
	const f = fenceFor(text);
	return `${f}${language}\n${text.replace(/\n$/, '')}\n${f}`;
}

function languageOf(file: string): string {
	const ext = path.posix.extname(file).slice(1);
	return (
		({py: 'python', sh: 'bash', md: 'markdown', toml: 'toml', yaml: 'yaml', yml: 'yaml', json: 'json'} as Record<string, string>)[ext] ?? ''
	);
}

/** The system prompt: role, rules, and the exact answer format with an example block. */
export function buildSystemPrompt(rules: ArenaRules): string {
	const file = rules.editable[0] ?? 'train.py';
	const example = formatEditBlock({
		path: file,
		search: 'LEARNING_RATE = 3e-4  # peak learning rate',
		replace: 'LEARNING_RATE = 6e-4  # peak learning rate',
	});
	const dir = rules.direction === 'lower' ? 'lower' : 'higher';
	return [
		'You are an ML research engineer running experiments, one at a time and unattended, to improve a training script.',
		`Each experiment makes one change; the script then trains for a fixed budget of ${rules.budgetSeconds} seconds and reports ${rules.metric} (${dir} is better).`,
		'The change is kept only if it beats the best result so far; otherwise it is reverted.',
		'',
		'Rules:',
		`- Edit only these files: ${rules.editable.join(', ')}. Never any other file.`,
		'- One focused change per experiment, so that its effect can be measured. Keep the edit small.',
		'- Never repeat an experiment that was already tried (the results list every one); learn from what worked and what did not.',
		'- The script must still finish within the time budget and print its summary as before. Do not change how the metric is computed or how time is measured.',
		'- No new dependencies, no downloads, no network.',
		'',
		'Answer in plain text, in exactly this format:',
		'DESCRIPTION: <one line under 80 characters: what this experiment changes, with concrete values; for a changed constant write NAME old -> new, e.g. LEARNING_RATE 3e-4 -> 6e-4>',
		`RATIONALE: <two or three sentences: why this should improve ${rules.metric}>`,
		'then one or more edit blocks, like this one:',
		'',
		example,
		'',
		'- The line just before each block is the path of the file to edit.',
		'- SEARCH holds lines copied exactly from the current file, character for character with the same indentation, and must match only one place: add a neighbouring line if needed. Keep it short: the lines to change and little more.',
		'- REPLACE holds the new lines. To add code, put an existing line in SEARCH and that line plus the new lines in REPLACE.',
		'- No diffs, no JSON, no whole files, nothing after the last block.',
	].join('\n');
}

function resultRow(r: ExperimentRecord): string {
	return `${r.n} | ${metricForModel(r.metric)} | ${r.status} | ${oneLine(r.description)}`;
}

/** The results section: the best rows, then every row tried, newest first, as far as `recent` allows. */
export function renderResults(results: readonly ExperimentRecord[], rules: ArenaRules, recent = Infinity, bestCount = 5): Rendered {
	if (results.length === 0) return {text: 'No experiments yet.', dropped: 0};
	const lines: string[] = [];
	const scored = results.filter(r => r.metric !== null && Number.isFinite(r.metric));
	const order = bestFirst(rules.direction);
	const ranked = [...scored].sort((a, b) => order(a.metric!, b.metric!));
	const header = `n | ${rules.metric} | status | description`;
	const baseline = results[0]!;
	if (ranked.length > 0) {
		const best = ranked[0]!;
		lines.push(
			`Best ${rules.metric} so far: ${metricForModel(best.metric)} (experiment ${best.n}: ${oneLine(best.description)}); ` +
				`first run (${oneLine(baseline.description)}): ${metricForModel(baseline.metric)}.`,
		);
		// Listed apart only when the full list is long enough to bury them.
		if (bestCount > 0 && results.length > bestCount) {
			lines.push('', `Best experiments (${rules.direction} is better):`, header, ...ranked.slice(0, bestCount).map(resultRow));
		}
	}
	const shown = Math.min(results.length, recent);
	const dropped = results.length - shown;
	if (shown > 0) {
		lines.push('', 'Experiments tried, newest first (do not repeat these):', header);
		for (let i = results.length - 1; i >= results.length - shown; i--) lines.push(resultRow(results[i]!));
	}
	if (dropped > 0) lines.push(`(${dropped} older experiment${dropped === 1 ? '' : 's'} not shown)`);
	return {text: lines.join('\n'), dropped};
}

function renderCrash(crash: NonNullable<PromptInput['lastCrash']>, keep: number): Rendered {
	const lines = crash.logTail.replace(/\r\n?/g, '\n').replace(/\n+$/, '').split('\n');
	const kept = keep >= lines.length ? lines : keep <= 0 ? [] : lines.slice(-keep);
	const head = `Experiment ${crash.n} (${oneLine(crash.description)}) crashed.`;
	const text = kept.length > 0 ? `${head} The end of its log:\n${fenced(kept.join('\n'))}` : head;
	return {text, dropped: lines.length - kept.length};
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
	if (keep === Infinity) return answer;
	const lines = answer.split('\n');
	if (lines.length <= keep) return answer;
	return [...lines.slice(0, keep), `[... ${lines.length - keep} more lines of that answer left out ...]`].join('\n');
}

/** The proposal's user message, showing as much of each section as `shown` allows. */
export function proposalUserMessage(
	input: PromptInput,
	shown: Shown,
): {content: string; droppedResults: number; droppedCrashLines: number; droppedNotes: number} {
	const {rules} = input;
	const results = renderResults(input.results, rules, shown.recent, shown.best);
	const sections: string[] = [];
	if (input.goal.trim()) sections.push(`# Research goal (program.md)\n${input.goal.trim()}`);
	sections.push(
		`# The arena\nMetric: ${rules.metric}, ${rules.direction} is better. Each experiment trains for ${rules.budgetSeconds} s. ` +
			`You may edit: ${rules.editable.join(', ')}.`,
	);
	sections.push(`# Files you may edit, as they are now (the best version so far)\n${renderFiles(input.files, rules)}`);
	sections.push(`# Results so far\n${results.text}`);
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
		`# Your task\nPropose ${which}: one focused change that was not tried before. ` +
			'Answer in the format given: the DESCRIPTION line, the RATIONALE, then the SEARCH/REPLACE blocks.',
	);
	return {content: sections.join('\n\n'), droppedResults: results.dropped, droppedCrashLines, droppedNotes: notes.dropped};
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
};

/** The chat's user message, with the `recent` newest result rows and the `notes` newest notes. */
export function chatUserMessage(
	input: ChatText,
	recent: number,
	notes: number,
): {content: string; droppedResults: number; droppedNotes: number} {
	const results = renderResults(input.results, input.rules, recent, 5);
	const rendered = renderNotes(input.notes, notes);
	const sections: string[] = [];
	if (input.goal.trim()) sections.push(`# Research goal (program.md)\n${input.goal.trim()}`);
	sections.push(`# Results so far\n${results.text}`);
	if (rendered.text) sections.push(`# Earlier notes from the human\n${rendered.text}`);
	sections.push(`# The human asks\n${input.message.trim()}`);
	return {content: sections.join('\n\n'), droppedResults: results.dropped, droppedNotes: rendered.dropped};
}

/** Why an answer could not be used, as the proposer found it. */
export type AnswerProblem =
	/** Cut at num_predict before it was complete. */
	| {kind: 'cut-off'; numPredict: number}
	| {kind: 'malformed'; errors: readonly string[]}
	| {kind: 'empty'}
	| {kind: 'no-blocks'}
	/** The dry run refused the edits: `reason` in the check's words, `edit` 0-based, `path` that edit's file. */
	| {kind: 'not-applied'; reason: string; edit?: number; path?: string; closest?: string};

/** What went wrong, for the user and the retry event, and what to tell the model in the same conversation. */
export type AnswerFeedback = {reason: string; feedback: string};

function formatReminder(editable: readonly string[]): string {
	return (
		'Write the whole answer again in the same format: the DESCRIPTION line, the RATIONALE, then the SEARCH/REPLACE blocks, each after a line with the file path ' +
		`(${editable.join(', ')}).`
	);
}

/** The lines of the file nearest to a SEARCH that did not match, fenced so they cannot close the fence. */
function closestLines(problem: Extract<AnswerProblem, {kind: 'not-applied'}>, closest: string, editable: readonly string[]): string[] {
	const file = problem.path ?? editable[0] ?? 'the file';
	const fence = '`'.repeat(Math.max(3, ...[...closest.matchAll(/`+/g)].map(m => m[0].length + 1)));
	return [
		`The lines of ${file} closest to your SEARCH${problem.edit === undefined ? '' : ` (edit ${problem.edit + 1})`} are:\n${fence}\n${closest}\n${fence}`,
		'Copy SEARCH lines exactly from the file as it was given above, with the same indentation and characters.',
	];
}

function unusable(reason: string, editable: readonly string[]): AnswerFeedback {
	return {reason, feedback: `Your answer could not be used: ${reason}. ${formatReminder(editable)}`};
}

export function answerFeedback(problem: AnswerProblem, editable: readonly string[]): AnswerFeedback {
	// No default: every kind of problem needs its own words.
	switch (problem.kind) {
		case 'cut-off':
			return {
				reason: `the answer was cut off at the length limit (num_predict ${problem.numPredict} tokens)`,
				feedback:
					`Your answer was cut off at the length limit (${problem.numPredict} tokens) before it was complete, so none of it was used. ` +
					'Answer again, much shorter: the DESCRIPTION line, one or two sentences of RATIONALE, and SEARCH/REPLACE blocks that hold only the few lines that change. Do not repeat the file.',
			};
		case 'malformed': {
			const reason = `malformed SEARCH/REPLACE block: ${problem.errors.join('; ')}`;
			return {
				reason,
				feedback: `Your answer could not be used: ${reason}. Each block needs the <<<<<<< SEARCH, ======= and >>>>>>> REPLACE lines, in that order. ${formatReminder(editable)}`,
			};
		}
		case 'empty':
			return unusable('the answer was empty', editable);
		case 'no-blocks':
			return unusable('the answer has no SEARCH/REPLACE block', editable);
		case 'not-applied': {
			const parts = [`Your edit could not be applied: ${problem.reason}.`];
			if (problem.closest !== undefined) parts.push(...closestLines(problem, problem.closest, editable));
			parts.push(formatReminder(editable));
			return {reason: problem.reason, feedback: parts.join('\n')};
		}
	}
}
