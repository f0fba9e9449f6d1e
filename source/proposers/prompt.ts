import path from 'node:path';
import {formatEditBlock} from './edit-blocks.js';
import type {ArenaRules, ExperimentRecord, SteeringNote} from '../core/types.js';

// What the model reads: a system prompt (its role, the rules, the answer
// format) and one user message (the goal, the files, the results, the last
// crash, the human's notes). Ollama silently drops the start of a prompt that
// overflows num_ctx, so the prompt is measured and trimmed here instead, least
// important first: old result rows, then the crash log, then notes (oldest
// first). The files and the format are never cut: if they alone do not fit,
// that is an error the user has to fix (a larger num_ctx).

export type ChatMessage = {role: 'system' | 'user' | 'assistant'; content: string};

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

/** A failed attempt of this proposal, sent back in the same conversation. */
export type FollowUp = {answer: string; feedback: string};

export type PromptLimits = {
	numCtx: number;
	numPredict: number;
	/** Tokens kept free for the chat template and the estimate's error; default max(256, 3% of numCtx). */
	margin?: number;
};

/**
 * Token estimate: characters / 3.5, rounded up. Code and English run at about
 * 3.5 to 4.5 characters a token in the tokenizers of current coder models, so
 * this errs on the side of more tokens; the margin absorbs the rest.
 */
export const charsPerToken = 3.5;
/** Per-message overhead of chat templates (role markers, separators). */
const messageOverhead = 8;

export function estimateTokens(text: string): number {
	return Math.ceil(text.length / charsPerToken);
}

export function estimateMessagesTokens(messages: readonly ChatMessage[]): number {
	return messages.reduce((sum, m) => sum + estimateTokens(m.content) + messageOverhead, 0);
}

/** Tokens the prompt may take: num_ctx less the answer's room (num_predict) and the margin. */
export function promptBudget(limits: PromptLimits): number {
	const margin = limits.margin ?? Math.max(256, Math.round(limits.numCtx * 0.03));
	return limits.numCtx - limits.numPredict - margin;
}

export class PromptTooLargeError extends Error {
	override name = 'PromptTooLargeError';
}

/** What trimming took out, for a message to the user. */
export type TrimReport = {
	/** Result rows left out of the table. */
	droppedResults: number;
	/** Crash log lines left out (of the tail the loop gave). */
	droppedCrashLines: number;
	/** Steering notes left out, oldest first. */
	droppedNotes: number;
	/** Earlier answers of this conversation shortened. */
	shortenedAnswers: number;
};

export function describeTrim(t: TrimReport): string | undefined {
	const parts: string[] = [];
	if (t.droppedResults) parts.push(`${t.droppedResults} older result row${t.droppedResults === 1 ? '' : 's'}`);
	if (t.shortenedAnswers) parts.push(`${t.shortenedAnswers} earlier answer${t.shortenedAnswers === 1 ? '' : 's'} shortened`);
	if (t.droppedCrashLines) parts.push(`${t.droppedCrashLines} crash log line${t.droppedCrashLines === 1 ? '' : 's'}`);
	if (t.droppedNotes) parts.push(`${t.droppedNotes} oldest note${t.droppedNotes === 1 ? '' : 's'}`);
	return parts.length ? parts.join(', ') : undefined;
}

const better = (rules: ArenaRules) => (a: number, b: number) => (rules.direction === 'lower' ? a - b : b - a);

export function formatMetric(value: number | null): string {
	if (value === null || !Number.isFinite(value)) return '-';
	return String(Number(value.toPrecision(6)));
}

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
	return ({py: 'python', sh: 'bash', md: 'markdown', toml: 'toml', yaml: 'yaml', yml: 'yaml', json: 'json'} as Record<string, string>)[ext] ?? '';
}

/** The system prompt: role, rules, and the exact answer format with an example block. */
export function buildSystemPrompt(rules: ArenaRules): string {
	const file = rules.editable[0] ?? 'train.py';
	const example = formatEditBlock({path: file, search: 'LEARNING_RATE = 3e-4  # peak learning rate', replace: 'LEARNING_RATE = 6e-4  # peak learning rate'});
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

type Plan = {
	/** Newest result rows listed in full; Infinity for all. */
	recent: number;
	/** Best result rows listed apart. */
	best: number;
	/** Last lines of the crash log kept; Infinity for all. */
	crashLines: number;
	/** Newest notes kept; Infinity for all. */
	notes: number;
	/** Lines kept of each earlier answer; Infinity for all. */
	answerLines: number;
};

const fullPlan: Plan = {recent: Infinity, best: 5, crashLines: Infinity, notes: Infinity, answerLines: Infinity};

function resultRow(r: ExperimentRecord): string {
	return `${r.n} | ${formatMetric(r.metric)} | ${r.status} | ${r.description.replace(/\s+/g, ' ').trim()}`;
}

/** The results section: the best rows, then every row tried, newest first, as far as `recent` allows. */
export function renderResults(results: readonly ExperimentRecord[], rules: ArenaRules, recent = Infinity, bestCount = 5): {text: string; dropped: number} {
	if (results.length === 0) return {text: 'No experiments yet.', dropped: 0};
	const lines: string[] = [];
	const scored = results.filter(r => r.metric !== null && Number.isFinite(r.metric));
	const ranked = [...scored].sort((a, b) => better(rules)(a.metric!, b.metric!));
	const header = `n | ${rules.metric} | status | description`;
	const baseline = results[0]!;
	if (ranked.length > 0) {
		const best = ranked[0]!;
		lines.push(
			`Best ${rules.metric} so far: ${formatMetric(best.metric)} (experiment ${best.n}: ${best.description.replace(/\s+/g, ' ').trim()}); ` +
				`first run (${baseline.description.replace(/\s+/g, ' ').trim()}): ${formatMetric(baseline.metric)}.`,
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

function renderCrash(crash: NonNullable<PromptInput['lastCrash']>, keep: number): {text: string; dropped: number} {
	const lines = crash.logTail.replace(/\r\n?/g, '\n').replace(/\n+$/, '').split('\n');
	const kept = keep >= lines.length ? lines : keep <= 0 ? [] : lines.slice(-keep);
	const head = `Experiment ${crash.n} (${crash.description.replace(/\s+/g, ' ').trim()}) crashed.`;
	const text = kept.length > 0 ? `${head} The end of its log:\n${fenced(kept.join('\n'))}` : head;
	return {text, dropped: lines.length - kept.length};
}

function renderNotes(notes: readonly SteeringNote[], keep: number): {text: string; dropped: number} {
	const kept = keep >= notes.length ? notes : keep <= 0 ? [] : notes.slice(-keep);
	return {text: kept.map(n => `The human says: ${n.text.trim()}`).join('\n'), dropped: notes.length - kept.length};
}

function renderFiles(files: Readonly<Record<string, string>>, rules: ArenaRules): string {
	const names = rules.editable.filter(f => files[f] !== undefined);
	for (const f of Object.keys(files)) if (!names.includes(f)) names.push(f);
	return names.map(f => `${f}\n${fenced(files[f]!, languageOf(f))}`).join('\n\n');
}

function shortenAnswer(answer: string, keep: number): string {
	if (keep === Infinity) return answer;
	const lines = answer.split('\n');
	if (lines.length <= keep) return answer;
	return [...lines.slice(0, keep), `[... ${lines.length - keep} more lines of that answer left out ...]`].join('\n');
}

function renderUser(input: PromptInput, plan: Plan): {content: string; report: Omit<TrimReport, 'shortenedAnswers'>} {
	const {rules} = input;
	const results = renderResults(input.results, rules, plan.recent, plan.best);
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
		const crash = renderCrash(input.lastCrash, plan.crashLines);
		droppedCrashLines = crash.dropped;
		sections.push(`# The last crash\n${crash.text}`);
	}
	const notes = renderNotes(input.notes, plan.notes);
	if (notes.text) sections.push(`# Notes from the human (follow them)\n${notes.text}`);
	const which = input.n === undefined ? 'the next experiment' : `experiment ${input.n}`;
	sections.push(
		`# Your task\nPropose ${which}: one focused change that was not tried before. ` +
			'Answer in the format given: the DESCRIPTION line, the RATIONALE, then the SEARCH/REPLACE blocks.',
	);
	return {
		content: sections.join('\n\n'),
		report: {droppedResults: results.dropped, droppedCrashLines, droppedNotes: notes.dropped},
	};
}

function assemble(input: PromptInput, plan: Plan, followUps: readonly FollowUp[], system: string) {
	const user = renderUser(input, plan);
	const messages: ChatMessage[] = [
		{role: 'system', content: system},
		{role: 'user', content: user.content},
	];
	let shortenedAnswers = 0;
	for (const f of followUps) {
		const answer = shortenAnswer(f.answer, plan.answerLines);
		if (answer !== f.answer) shortenedAnswers++;
		messages.push({role: 'assistant', content: answer}, {role: 'user', content: f.feedback});
	}
	return {messages, tokens: estimateMessagesTokens(messages), report: {...user.report, shortenedAnswers}};
}

export type BuiltPrompt = {
	messages: ChatMessage[];
	/** The estimate of the prompt's tokens. */
	tokens: number;
	/** What the prompt may take: num_ctx - num_predict - margin. */
	budget: number;
	trimmed: TrimReport;
};

/** Largest n in [lo, hi] with fits(n), given fits is monotone and fits(lo); lo when none above. */
function largest(lo: number, hi: number, fits: (n: number) => boolean): number {
	while (lo < hi) {
		const mid = Math.ceil((lo + hi) / 2);
		if (fits(mid)) lo = mid;
		else hi = mid - 1;
	}
	return lo;
}

/**
 * The messages for one proposal (and its retries, `followUps`), trimmed to fit
 * the model's window. Throws PromptTooLargeError when even the files, the
 * goal and the format alone do not fit.
 */
export function buildProposalMessages(input: PromptInput, limits: PromptLimits, followUps: readonly FollowUp[] = []): BuiltPrompt {
	const budget = promptBudget(limits);
	const system = buildSystemPrompt(input.rules);
	const tryPlan = (plan: Plan) => assemble(input, plan, followUps, system);
	const done = (plan: Plan): BuiltPrompt => {
		const built = tryPlan(plan);
		return {messages: built.messages, tokens: built.tokens, budget, trimmed: built.report};
	};
	const fits = (plan: Plan) => tryPlan(plan).tokens <= budget;

	let plan = fullPlan;
	if (fits(plan)) return done(plan);

	// 1. Old result rows, down to the 5 newest (the best stay listed apart).
	const rows = input.results.length;
	const minRecent = Math.min(5, rows);
	plan = {...plan, recent: largest(minRecent, rows, r => fits({...plan, recent: r}))};
	if (fits(plan)) return done(plan);
	plan = {...plan, recent: minRecent, best: 3};

	// 2. Earlier answers of this conversation (only on retries).
	if (followUps.length > 0) {
		for (const answerLines of [60, 30, 12]) {
			plan = {...plan, answerLines};
			if (fits(plan)) return done(plan);
		}
	}

	// 3. The crash log, from its start.
	if (input.lastCrash) {
		for (const crashLines of [40, 20, 10, 5, 0]) {
			plan = {...plan, crashLines};
			if (fits(plan)) return done(plan);
		}
	}

	// 4. Notes, oldest first.
	if (input.notes.length > 0) {
		const keep = largest(0, input.notes.length, k => fits({...plan, notes: k}));
		plan = {...plan, notes: keep};
		if (fits(plan)) return done(plan);
	}

	// 5. Last resort: only the best row.
	plan = {...plan, recent: 0, best: 1};
	if (fits(plan)) return done(plan);

	const floor = tryPlan(plan).tokens;
	throw new PromptTooLargeError(
		`the prompt needs about ${floor} tokens even with the results, notes and crash log left out ` +
			`(the editable files alone are about ${estimateTokens(renderFiles(input.files, input.rules))}), but num_ctx ${limits.numCtx} ` +
			`less num_predict ${limits.numPredict} leaves ${Math.max(0, budget)}: raise num_ctx (setting numCtx) or lower num_predict`,
	);
}

export type ChatInput = {
	message: string;
	goal: string;
	rules?: ArenaRules;
	results: readonly ExperimentRecord[];
	notes: readonly SteeringNote[];
};

/** The messages for a short answer to the human, with the session's context, trimmed like a proposal's. */
export function buildChatMessages(input: ChatInput, limits: PromptLimits): BuiltPrompt {
	const budget = promptBudget(limits);
	const rules: ArenaRules = input.rules ?? {
		editable: [],
		command: '',
		cwd: '.',
		metric: 'metric',
		direction: 'lower',
		budgetSeconds: 0,
		timeoutSeconds: 0,
		minImprovement: 0,
	};
	// The message just said is already the newest note: do not say it twice.
	const last = input.notes.at(-1);
	const notes = last && last.text.trim() === input.message.trim() ? input.notes.slice(0, -1) : input.notes;
	const system = [
		'You are the research agent of nightshift: you propose experiments on a training script, each trained for a fixed time budget and kept only if the metric improves.',
		'The human watching the run is talking to you. Answer briefly (a few sentences, plain text, no code blocks unless asked), from the context given; say so when the context does not tell.',
		'You cannot change files or the run from this chat; what the human says is kept as a note for your next proposals.',
	].join('\n');
	const render = (recent: number, keepNotes: number) => {
		const results = renderResults(input.results, rules, recent, 5);
		const rendered = renderNotes(notes, keepNotes);
		const sections = [];
		if (input.goal.trim()) sections.push(`# Research goal (program.md)\n${input.goal.trim()}`);
		sections.push(`# Results so far\n${results.text}`);
		if (rendered.text) sections.push(`# Earlier notes from the human\n${rendered.text}`);
		sections.push(`# The human asks\n${input.message.trim()}`);
		const messages: ChatMessage[] = [
			{role: 'system', content: system},
			{role: 'user', content: sections.join('\n\n')},
		];
		return {
			messages,
			tokens: estimateMessagesTokens(messages),
			trimmed: {droppedResults: results.dropped, droppedCrashLines: 0, droppedNotes: rendered.dropped, shortenedAnswers: 0},
		};
	};
	const rows = input.results.length;
	let built = render(Infinity, Infinity);
	if (built.tokens > budget) {
		const recent = largest(0, rows, r => render(r, Infinity).tokens <= budget);
		built = render(recent, Infinity);
		if (built.tokens > budget) {
			const keep = largest(0, notes.length, k => render(0, k).tokens <= budget);
			built = render(0, keep);
		}
	}
	if (built.tokens > budget) {
		throw new PromptTooLargeError(`the question and goal need about ${built.tokens} tokens; num_ctx ${limits.numCtx} leaves ${Math.max(0, budget)}`);
	}
	return {...built, budget};
}
