import {
	buildSystemPrompt,
	chatSystemPrompt,
	chatUserMessage,
	proposalUserMessage,
	renderFiles,
	shortenAnswer,
	type PromptInput,
	type Shown,
} from './model-text.js';
import type {ArenaRules, ExperimentRecord, SteeringNote} from '../core/types.js';

// The messages a model is sent, measured and made to fit. Ollama silently
// drops the start of a prompt that overflows num_ctx, so the prompt is
// measured and trimmed here instead, least important first: old result rows,
// then the crash log, then notes (oldest first). The files and the format are
// never cut: if they alone do not fit, that is an error the user has to fix
// (a larger num_ctx). This module decides how much of each section to show;
// the words themselves are model-text.ts's.

export type ChatMessage = {role: 'system' | 'user' | 'assistant'; content: string};

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

/** How much of each section to show, and of each earlier answer (lines; Infinity for all). */
type Plan = Shown & {answerLines: number};

const fullPlan: Plan = {recent: Infinity, best: 5, crashLines: Infinity, notes: Infinity, answerLines: Infinity};

function assemble(input: PromptInput, plan: Plan, followUps: readonly FollowUp[], system: string) {
	const {content, ...dropped} = proposalUserMessage(input, plan);
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
	return {messages, tokens: estimateMessagesTokens(messages), report: {...dropped, shortenedAnswers}};
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

/** The messages for a short answer to the human, with the session's context, trimmed like a proposal's. */
export function buildChatMessages(input: ChatInput, limits: PromptLimits): BuiltPrompt {
	const budget = promptBudget(limits);
	// The message just said is already the newest note: do not say it twice.
	const last = input.notes.at(-1);
	const notes = last && last.text.trim() === input.message.trim() ? input.notes.slice(0, -1) : input.notes;
	const text = {message: input.message, goal: input.goal, rules: input.rules ?? noRules, results: input.results, notes};
	const render = (recent: number, keepNotes: number) => {
		const user = chatUserMessage(text, recent, keepNotes);
		const messages: ChatMessage[] = [
			{role: 'system', content: chatSystemPrompt},
			{role: 'user', content: user.content},
		];
		return {
			messages,
			tokens: estimateMessagesTokens(messages),
			trimmed: {droppedResults: user.droppedResults, droppedCrashLines: 0, droppedNotes: user.droppedNotes, shortenedAnswers: 0},
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
		throw new PromptTooLargeError(
			`the question and goal need about ${built.tokens} tokens; num_ctx ${limits.numCtx} leaves ${Math.max(0, budget)}`,
		);
	}
	return {...built, budget};
}
