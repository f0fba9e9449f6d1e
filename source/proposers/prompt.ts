import {exampleEdit} from './edit-blocks.js';
import {buildDigest, type Digest} from './memory.js';
import {
	buildSystemPrompt,
	chatSystemPrompt,
	chatUserMessage,
	exampleAddedLine,
	proposalUserMessage,
	renderDigest,
	renderFiles,
	shortenAnswer,
	type DigestShown,
	type PromptInput,
	type Shown,
} from './model-text.js';
import type {ExperimentMemory} from '../core/proposer.js';
import type {ArenaRules, Edit, ExperimentRecord, SteeringNote} from '../core/types.js';

// The messages a model is sent, measured and made to fit. Ollama silently
// drops the start of a prompt that overflows num_ctx, so the prompt is
// measured and trimmed here instead, least important first: old result rows,
// earlier answers of a retry, the crash log, the memory digest (it says in a
// few lines what hundreds of rows would), then notes (oldest first: they are
// the human's orders). The files and the format are never cut: if they alone
// do not fit, that is an error the user has to fix (a larger num_ctx). The
// measure is characters / 3.5, scaled by what Ollama reported for the
// model's earlier prompts (TokenCalibration). This module decides how much of
// each section to show; the words themselves are model-text.ts's.

export type ChatMessage = {role: 'system' | 'user' | 'assistant'; content: string};

/** A failed attempt of this proposal, sent back in the same conversation. */
export type FollowUp = {answer: string; feedback: string};

export type PromptLimits = {
	numCtx: number;
	numPredict: number;
	/** Tokens kept free for the chat template and the estimate's error; default max(256, 3% of numCtx). */
	margin?: number;
	/** The model's tokens per estimated token, from TokenCalibration; default 1. */
	scale?: number;
};

/**
 * Token estimate: characters / 3.5, rounded up. Code and English run at about
 * 3.5 to 4.5 characters a token in the tokenizers of current coder models, so
 * this errs on the side of more tokens; the margin absorbs the rest.
 */
export const charsPerToken = 3.5;
/** Per-message overhead of chat templates (role markers, separators). */
const messageOverhead = 8;

export function estimateTokens(text: string, scale = 1): number {
	return Math.ceil((text.length / charsPerToken) * scale);
}

export function estimateMessagesTokens(messages: readonly ChatMessage[], scale = 1): number {
	return messages.reduce((sum, m) => sum + estimateTokens(m.content, scale) + messageOverhead, 0);
}

/** The scale's sane range: 2 to 6 characters a token, whatever a report said. */
const scaleRange = [charsPerToken / 6, charsPerToken / 2] as const;

/**
 * What each model's tokenizer makes of our estimate, learnt from the
 * prompt_eval_count Ollama returns: a running ratio per model, bounded. A
 * count far below the estimate is a prompt Ollama partly had in its cache
 * (it counts only what it evaluated): it says nothing about the tokenizer
 * and is ignored.
 */
export class TokenCalibration {
	private readonly ratios = new Map<string, number>();

	/** The scale for `model`'s next prompts; 1 until it has spoken. */
	scale(model: string): number {
		return this.ratios.get(model) ?? 1;
	}

	observe(model: string, messages: readonly ChatMessage[], promptEvalCount: number): void {
		const estimate = estimateMessagesTokens(messages);
		if (estimate < 64 || promptEvalCount < estimate * scaleRange[0]) return;
		const seen = Math.min(scaleRange[1], Math.max(scaleRange[0], promptEvalCount / estimate));
		const before = this.ratios.get(model);
		this.ratios.set(model, before === undefined ? seen : 0.5 * before + 0.5 * seen);
	}
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
	/** Items of the memory digest left out (Infinity: all of it). */
	droppedMemory: number;
};

export function describeTrim(t: TrimReport): string | undefined {
	const parts: string[] = [];
	if (t.droppedResults) parts.push(`${t.droppedResults} older result row${t.droppedResults === 1 ? '' : 's'}`);
	if (t.shortenedAnswers) parts.push(`${t.shortenedAnswers} earlier answer${t.shortenedAnswers === 1 ? '' : 's'} shortened`);
	if (t.droppedCrashLines) parts.push(`${t.droppedCrashLines} crash log line${t.droppedCrashLines === 1 ? '' : 's'}`);
	if (t.droppedMemory === Infinity) parts.push('the memory digest');
	else if (t.droppedMemory) parts.push(`${t.droppedMemory} item${t.droppedMemory === 1 ? '' : 's'} of the memory digest`);
	if (t.droppedNotes) parts.push(`${t.droppedNotes} oldest note${t.droppedNotes === 1 ? '' : 's'}`);
	return parts.length ? parts.join(', ') : undefined;
}

/** How much of each section to show, and of each earlier answer (lines; Infinity for all). */
type Plan = Shown & {answerLines: number};

/** The digest from whole to gone: what is cut as the window tightens. */
const digestLevels: Array<DigestShown | undefined> = [
	{lineage: 12, deadEnds: 8, nearMisses: 5, tries: 3},
	{lineage: 6, deadEnds: 5, nearMisses: 3, tries: 2},
	{lineage: 3, deadEnds: 3, nearMisses: 2, tries: 1},
	{lineage: 1, deadEnds: 2, nearMisses: 1, tries: 1},
	undefined,
];

const fullPlan: Plan = {recent: Infinity, best: 5, crashLines: Infinity, notes: Infinity, digest: digestLevels[0], answerLines: Infinity};

/** Digest items the first level leaves out anyway (the oldest keeps, the tail of long lists): not a trim to report. */
const usualDigestCut = (digest: Digest | undefined): number => (digest ? renderDigest(digest, digestLevels[0]!).dropped : 0);

function assemble(input: PromptInput, plan: Plan, followUps: readonly FollowUp[], system: string, scale: number, usualCut: number) {
	const {content, droppedMemory, ...dropped} = proposalUserMessage(input, plan);
	const messages: ChatMessage[] = [
		{role: 'system', content: system},
		{role: 'user', content},
	];
	let shortenedAnswers = 0;
	for (const f of followUps) {
		const answer = shortenAnswer(f.answer, plan.answerLines);
		if (answer !== f.answer) shortenedAnswers++;
		messages.push({role: 'assistant', content: answer}, {role: 'user', content: f.feedback});
	}
	return {
		messages,
		tokens: estimateMessagesTokens(messages, scale),
		report: {...dropped, shortenedAnswers, droppedMemory: Math.max(0, droppedMemory - usualCut)},
	};
}

export type BuiltPrompt = {
	messages: ChatMessage[];
	/** The estimate of the prompt's tokens. */
	tokens: number;
	/** What the prompt may take: num_ctx - num_predict - margin. */
	budget: number;
	trimmed: TrimReport;
	/** The format's example the system prompt showed (an answer that copies it is not a proposal). */
	example: Edit;
};

/** What a proposal's prompt is made of: the request's parts, the memory it is digested from. */
export type ProposalInput = Omit<PromptInput, 'example' | 'digest'> & {history?: readonly ExperimentMemory[]};

/** The digest of a history, for the prompt and the chat; none before the first decided experiment. */
export function digestFor(
	history: readonly ExperimentMemory[] | undefined,
	rules: ArenaRules,
	files?: Readonly<Record<string, string>>,
): Digest | undefined {
	if (!history || history.length === 0) return undefined;
	return buildDigest(history, {direction: rules.direction, ...(files ? {files} : {})});
}

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
export function buildProposalMessages(request: ProposalInput, limits: PromptLimits, followUps: readonly FollowUp[] = []): BuiltPrompt {
	const budget = promptBudget(limits);
	const {history, ...rest} = request;
	const example = exampleEdit(request.files, request.rules.editable, exampleAddedLine);
	const digest = digestFor(history, request.rules, request.files);
	const input: PromptInput = {...rest, example, ...(digest ? {digest} : {})};
	const system = buildSystemPrompt(input.rules, example);
	const usualCut = usualDigestCut(digest);
	const tryPlan = (plan: Plan) => assemble(input, plan, followUps, system, limits.scale ?? 1, usualCut);
	const done = (plan: Plan): BuiltPrompt => {
		const built = tryPlan(plan);
		return {messages: built.messages, tokens: built.tokens, budget, trimmed: built.report, example};
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

	// 4. The memory digest, level by level.
	if (digest) {
		for (const level of digestLevels.slice(1)) {
			plan = {...plan, digest: level};
			if (fits(plan)) return done(plan);
		}
	}

	// 5. Notes, oldest first.
	if (input.notes.length > 0) {
		const keep = largest(0, input.notes.length, k => fits({...plan, notes: k}));
		plan = {...plan, notes: keep};
		if (fits(plan)) return done(plan);
	}

	// 6. Last resort: only the best row.
	plan = {...plan, recent: 0, best: 1};
	if (fits(plan)) return done(plan);

	const floor = tryPlan(plan).tokens;
	throw new PromptTooLargeError(
		`the prompt needs about ${floor} tokens even with the results, memory, notes and crash log left out ` +
			`(the editable files alone are about ${estimateTokens(renderFiles(input.files, input.rules), limits.scale)}), but num_ctx ${limits.numCtx} ` +
			`less num_predict ${limits.numPredict} leaves ${Math.max(0, budget)}: raise num_ctx (setting numCtx) or lower num_predict`,
	);
}

export type ChatInput = {
	message: string;
	goal: string;
	rules?: ArenaRules;
	results: readonly ExperimentRecord[];
	notes: readonly SteeringNote[];
	/** The session's memory, digested for the answer ("what worked so far?"). */
	history?: readonly ExperimentMemory[];
	files?: Readonly<Record<string, string>>;
};

/** Stands in for the arena's rules in a chat before the first proposal: only the results table's header reads them. */
const noRules: ArenaRules = {
	editable: [],
	command: '',
	cwd: '.',
	metric: 'metric',
	direction: 'lower',
	budgetSeconds: 0,
	timeoutSeconds: 0,
	minImprovement: 0,
	judge: 'noise',
	baselineRuns: 1,
	confirmRuns: 1,
};

/** The messages for a short answer to the human, with the session's context: old rows go first, then the digest, then old notes. */
export function buildChatMessages(input: ChatInput, limits: PromptLimits): BuiltPrompt {
	const budget = promptBudget(limits);
	// The message just said is already the newest note: do not say it twice.
	const last = input.notes.at(-1);
	const notes = last && last.text.trim() === input.message.trim() ? input.notes.slice(0, -1) : input.notes;
	const rules = input.rules ?? noRules;
	const digest = digestFor(input.history, rules, input.files);
	const text = {message: input.message, goal: input.goal, rules, results: input.results, notes, ...(digest ? {digest} : {})};
	const render = (recent: number, keepNotes: number, level: number) => {
		const user = chatUserMessage(text, recent, keepNotes, digestLevels[level]);
		const messages: ChatMessage[] = [
			{role: 'system', content: chatSystemPrompt},
			{role: 'user', content: user.content},
		];
		const droppedMemory = !digest || level === 0 ? 0 : level >= digestLevels.length - 1 ? Infinity : 1;
		return {
			messages,
			tokens: estimateMessagesTokens(messages, limits.scale),
			trimmed: {
				droppedResults: user.droppedResults,
				droppedCrashLines: 0,
				droppedNotes: user.droppedNotes,
				shortenedAnswers: 0,
				droppedMemory,
			},
		};
	};
	const rows = input.results.length;
	const fits = (b: {tokens: number}) => b.tokens <= budget;
	let built = render(Infinity, Infinity, 0);
	if (!fits(built))
		built = render(
			largest(0, rows, r => fits(render(r, Infinity, 0))),
			Infinity,
			0,
		);
	for (let level = 1; !fits(built) && level < digestLevels.length; level++) built = render(0, Infinity, level);
	if (!fits(built))
		built = render(
			0,
			largest(0, notes.length, k => fits(render(0, k, digestLevels.length - 1))),
			digestLevels.length - 1,
		);
	if (!fits(built)) {
		throw new PromptTooLargeError(
			`the question and goal need about ${built.tokens} tokens; num_ctx ${limits.numCtx} leaves ${Math.max(0, budget)}`,
		);
	}
	return {...built, budget, example: {path: '', search: '', replace: ''}};
}
