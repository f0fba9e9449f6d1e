import type {Finding} from './answer.js';
import {fenced, formatLines, oneLine} from './model-text.js';
import type {Edit} from '../core/types.js';

// What the model is told when its answer could not be used: the longest part
// of model-text.ts, kept in its own file and re-exported from there (callers
// import model-visible text from model-text.ts alone). Feedback teaches: it
// says what was found instead of an edit, which edits applied and are kept,
// where a SEARCH nearly matched or matched several places (with line numbers),
// and quotes the proposed code, not the file on disk, at a syntax error.

/** An edit of an answer, as the feedback names it: its number in the answer, its file, its first SEARCH line. */
export type EditRef = {number: number; shape: 'block' | 'hunk' | 'whole'; path?: string; first: string};

export type EditFailure = EditRef &
	(
		| {why: 'no-match'; closest?: {line: number; text: string}}
		| {why: 'several'; places: Array<{line: number; text: string}>}
		/** The loop's confinement refused its path, in core's words. */
		| {why: 'refused'; reason: string}
		| {why: 'no-file'}
		| {why: 'empty-search'}
		| {why: 'no-path'}
		| {why: 'unchanged'}
	);

/** Lines of a proposed file around an error: `first` is the first line's number, `at` the error's, `column` 0-based. */
export type Excerpt = {first: number; lines: string[]; at: number; column: number};

/** Why an answer could not be used, as repair.ts found it. */
export type AnswerProblem =
	| {kind: 'cut-off'; numPredict: number}
	| {kind: 'empty'}
	| {kind: 'malformed'; errors: readonly string[]}
	| {kind: 'no-edit'; findings: readonly Finding[]}
	| {kind: 'edits'; applied: readonly EditRef[]; failed: readonly EditFailure[]; malformed: readonly string[]}
	| {kind: 'compile'; path: string; message: string; excerpt?: Excerpt}
	| {kind: 'repeats'; n: number; description: string; state: 'tried' | 'running' | 'prepared'}
	| {kind: 'unchanged'}
	| {kind: 'copied-example'}
	| {kind: 'refused'; reason: string; closest?: string; path?: string};

/** What went wrong, for the user and the retry event, and what to tell the model in the same conversation. */
export type AnswerFeedback = {reason: string; feedback: string};

export type FeedbackContext = {editable: readonly string[]; example: Edit};

const reminder = (c: FeedbackContext): string =>
	`Write the whole answer again in the same format: the DESCRIPTION line, the RATIONALE, then the SEARCH/REPLACE blocks, each after a line with the file path (${c.editable.join(', ')}).`;
const copyExactly = 'Copy SEARCH lines exactly from the file as it was given above, with the same indentation and characters.';
const markers = 'Each block needs the <<<<<<< SEARCH, ======= and >>>>>>> REPLACE lines, each alone on its line, in that order.';

function found(f: Finding | undefined, c: FeedbackContext): string {
	if (f === undefined) return 'it holds only prose, no edit';
	// No default: each finding is said in its own words.
	switch (f.kind) {
		case 'snippet':
			return `it holds a code block that is neither a SEARCH/REPLACE block nor the whole of ${f.path ?? c.editable.join(' or ')}`;
		case 'not-editable':
			return `it holds a whole file for ${f.path}, which may not change (only ${c.editable.join(', ')} may be edited)`;
		case 'elided':
			return `it holds ${f.path} with parts left out ("..."), which would delete them`;
		case 'wrong-markers':
			return `its edit markers cannot be read (\`${f.sample}\`). ${markers}`;
	}
}

const refOf = (e: EditRef): string =>
	`edit ${e.number}${e.shape === 'hunk' ? ' (a hunk of your diff)' : e.shape === 'whole' ? ' (your whole file)' : ''}`;
const quoteFirst = (e: EditRef): string => (e.first ? ` (\`${e.first.trim().slice(0, 60)}\`)` : '');
const cap = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

function failureText(f: EditFailure, c: FeedbackContext): string {
	const file = f.path ?? c.editable[0] ?? 'the file';
	const head = `${cap(refOf(f))}${quoteFirst(f)} did not apply`;
	// No default: each failure is said in its own words.
	switch (f.why) {
		case 'no-match':
			return `${head}: its SEARCH does not match ${file}.${f.closest ? ` The closest lines of ${file} (from line ${f.closest.line}) are:\n${fenced(f.closest.text)}` : ''}`;
		case 'several':
			return `${head}: its SEARCH matches ${f.places.length} places in ${file}, at lines ${f.places.map(p => p.line).join(', ')}:\n${f.places.map(p => `- line ${p.line}: \`${p.text.trim()}\``).join('\n')}\nAdd a neighbouring line that differs, so that it matches one place.`;
		case 'refused':
			return `${head}: ${f.reason}.`;
		case 'no-file':
			return `${head}: ${file} is not among the files given.`;
		case 'empty-search':
			return `${head}: its SEARCH is empty; copy the exact lines to change into it.`;
		case 'no-path':
			return `${head}: it does not say which file it edits; put the path on the line before it.`;
		case 'unchanged':
			return `${cap(refOf(f))}${quoteFirst(f)} changes nothing: its REPLACE is the same as its SEARCH. Put the new lines in REPLACE.`;
	}
}

function failureReason(f: EditFailure): string {
	const at = `${refOf(f)}${f.path ? ` in ${f.path}` : ''}`;
	// No default: each failure is said in its own words.
	switch (f.why) {
		case 'no-match':
			return `${at}: SEARCH does not match the file`;
		case 'several':
			return `${at}: SEARCH matches ${f.places.length} places`;
		case 'refused':
			return `${at}: ${f.reason}`;
		case 'no-file':
			return `${at}: not among the files given`;
		case 'empty-search':
			return `${at}: SEARCH is empty`;
		case 'no-path':
			return `${at}: no file path`;
		case 'unchanged':
			return `${at}: the edit changes nothing`;
	}
}

/** Numbered lines with a caret under the error, fenced. */
function excerptText(e: Excerpt): string {
	const width = String(e.first + e.lines.length - 1).length;
	const out: string[] = [];
	for (const [i, line] of e.lines.entries()) {
		const n = e.first + i;
		out.push(`${String(n).padStart(width)} | ${line}`);
		if (n === e.at) out.push(`${' '.repeat(width)} | ${' '.repeat(e.column)}^`);
	}
	return fenced(out.join('\n'));
}

export function answerFeedback(problem: AnswerProblem, c: FeedbackContext): AnswerFeedback {
	// No default: every kind of problem needs its own words.
	switch (problem.kind) {
		case 'cut-off':
			return {
				reason: `the answer was cut off at the length limit (num_predict ${problem.numPredict} tokens)`,
				feedback:
					`Your answer was cut off at the length limit (${problem.numPredict} tokens) before it was complete, so none of it was used. ` +
					'Answer again, much shorter: the DESCRIPTION line, one or two sentences of RATIONALE, and SEARCH/REPLACE blocks that hold only the few lines that change. Do not repeat the file.',
			};
		case 'empty':
			return {reason: 'the answer was empty', feedback: `Your answer was empty.\n${formatLines(c.example).join('\n')}`};
		case 'malformed': {
			const reason = `malformed SEARCH/REPLACE block: ${problem.errors.join('; ')}`;
			return {reason, feedback: `Your answer could not be used: ${reason}. ${markers} ${reminder(c)}`};
		}
		case 'no-edit': {
			const what = found(problem.findings[0], c);
			return {
				reason: `the answer has no edit that can be used: ${what.split('. ')[0]}`,
				feedback: `Your answer has no edit that can be used: ${what}.\n\n${formatLines(c.example).join('\n')}`,
			};
		}
		case 'edits': {
			const {applied, failed} = problem;
			const parts: string[] = [];
			if (applied.length > 0)
				parts.push(
					`${cap(applied.map(a => `${refOf(a)}${quoteFirst(a)}`).join(', '))} applied and ${applied.length === 1 ? 'is' : 'are'} kept: do not send ${applied.length === 1 ? 'it' : 'them'} again.`,
				);
			parts.push(...failed.map(f => failureText(f, c)));
			if (problem.malformed.length > 0) parts.push(`The answer also has a malformed block: ${problem.malformed.join('; ')}. ${markers}`);
			if (applied.length > 0)
				parts.push(
					`Send again only the ${failed.length === 1 ? 'edit' : 'edits'} that did not apply (${failed.map(f => f.number).join(', ')}), fixed, each after its file path line. ${copyExactly}`,
				);
			else parts.push(`${copyExactly} ${reminder(c)}`);
			const reason = [...failed.map(failureReason), ...problem.malformed].join('; ');
			return {reason, feedback: parts.join('\n')};
		}
		case 'compile': {
			const at = problem.excerpt ? ` at line ${problem.excerpt.at}` : '';
			const quote = problem.excerpt ? ` Your version of ${problem.path} there:\n${excerptText(problem.excerpt)}\n` : ' ';
			return {
				reason: `${problem.path} does not compile: ${problem.message}${at}`,
				feedback: `With your edits, ${problem.path} does not compile: ${problem.message}${at}.${quote}Fix it; none of the edits was kept. ${reminder(c)}`,
			};
		}
		case 'repeats': {
			const when = {tried: 'was already tried', running: 'is running now', prepared: 'is prepared to run next'}[problem.state];
			return {
				reason: `the edit repeats experiment #${problem.n} (${oneLine(problem.description)}), which ${when}`,
				feedback: `Your edit makes the files the same as experiment #${problem.n} (${oneLine(problem.description)}), which ${when}. Propose something different: another idea, or another part of the file. ${reminder(c)}`,
			};
		}
		case 'unchanged':
			return {
				reason: 'the edit changes nothing',
				feedback: `Your edit changes nothing: the files stay exactly as they are (its REPLACE is the same as its SEARCH). Put the new lines in REPLACE. ${reminder(c)}`,
			};
		case 'copied-example':
			return {
				reason: 'the answer copied the format example',
				feedback: `Your edit is the example from the format description, not a proposal of yours. Propose your own change, chosen from the results and the memory above. ${reminder(c)}`,
			};
		case 'refused': {
			const file = problem.path ?? c.editable[0] ?? 'the file';
			const closest =
				problem.closest === undefined
					? ''
					: `\nThe lines of ${file} closest to your SEARCH are:\n${fenced(problem.closest)}\n${copyExactly}`;
			return {reason: problem.reason, feedback: `Your edit could not be applied: ${problem.reason}.${closest}\n${reminder(c)}`};
		}
	}
}
