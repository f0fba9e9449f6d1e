import {describeEdits, parseAnswer, type Candidate, type ParsedAnswer} from './answer.js';
import {resolveBlock, resolveHunk, searchLines, wholeFileEdits, type Resolved} from './match.js';
import type {AnswerProblem, EditFailure, EditRef, Excerpt} from './model-text.js';
import {applyEdits, checkEditPath} from '../core/edits.js';
import type {CheckResult, ProposalRequest} from '../core/proposer.js';
import type {Edit} from '../core/types.js';

// An answer judged: read generously (answer.ts), each edit located on its own
// (match.ts), then all of them checked strictly by the loop's dry run
// (confinement, compile, not a repeat). Where some edits apply and others do
// not, the ones that applied are carried to the next attempt and the model is
// asked again for the failed ones only; the final proposal holds both. A
// failure of the whole (a compile error, a repeat) carries nothing: the next
// answer starts afresh.

/** Edits that applied in earlier attempts of this proposal, with the description their answer gave. */
export type Carry = {edits: Edit[]; description?: string; rationale?: string};

export type Verdict = {proposal: {description: string; rationale?: string; edits: Edit[]}} | {problem: AnswerProblem; carry: Carry};

export type JudgeContext = {numPredict: number; example: Edit; carry: Carry};

type Answer = {content: string; doneReason: string};

function refOf(c: Candidate, number: number): EditRef {
	// No default: each shape is named its own way.
	switch (c.kind) {
		case 'block':
			return {number, shape: 'block', path: c.edit.path, first: searchLines(c.edit.search).find(l => l.trim() !== '') ?? ''};
		case 'hunk':
			return {
				number,
				shape: 'hunk',
				...(c.path ? {path: c.path} : {}),
				first: c.lines.find(l => l.op === '-')?.text ?? c.lines.find(l => l.text.trim() !== '')?.text ?? '',
			};
		case 'whole':
			return {number, shape: 'whole', path: c.path, first: ''};
	}
}

/** Failure of a located edit, with the places or the closest lines from the file. */
function failureOf(ref: EditRef, found: Exclude<Resolved, {ok: true}>, content: string): EditFailure {
	if (found.unchanged) return {...ref, why: 'unchanged'};
	if (found.several) {
		const lines = content.split('\n');
		return {...ref, why: 'several', places: found.several.map(line => ({line, text: lines[line - 1] ?? ''}))};
	}
	return {...ref, why: 'no-match', ...(found.closest ? {closest: found.closest} : {})};
}

/** Was this block applied in an earlier attempt (the model sent it again)? Its REPLACE is then in the file already. */
function resent(c: Candidate, carry: Carry, content: string): boolean {
	if (c.kind !== 'block' || carry.edits.length === 0) return false;
	const wanted = c.edit.replace.trim();
	return wanted !== '' && content.includes(wanted) && carry.edits.some(e => e.replace.includes(wanted));
}

type Resolution = {edits: Edit[]; applied: EditRef[]; failed: EditFailure[]};

function resolveAll(parsed: ParsedAnswer, req: ProposalRequest, carry: Carry): Resolution {
	const {editable} = req.rules;
	const base = carry.edits.length > 0 ? applyEdits(req.files, carry.edits, editable) : undefined;
	const working: Record<string, string> = {...(base?.ok ? base.files : req.files)};
	const out: Resolution = {edits: [], applied: [], failed: []};
	for (const [i, c] of parsed.candidates.entries()) {
		const ref = refOf(c, i + 1);
		const target = c.kind === 'block' ? c.edit.path : c.path;
		if (target === undefined) {
			out.failed.push({...ref, why: 'no-path'});
			continue;
		}
		const allowed = checkEditPath(target, editable);
		const content = allowed.ok ? working[allowed.path] : undefined;
		if (!allowed.ok || content === undefined) {
			out.failed.push(allowed.ok ? {...ref, why: 'no-file'} : {...ref, why: 'refused', reason: allowed.reason});
			continue;
		}
		const file = allowed.path;
		if (c.kind === 'whole') {
			const whole = wholeFileEdits(file, content, c.content);
			if (whole.edits.length === 0) out.failed.push({...ref, why: 'unchanged'});
			else {
				out.edits.push(...whole.edits);
				out.applied.push(ref);
				working[file] = whole.content;
			}
			continue;
		}
		if (c.kind === 'block' && c.edit.search.trim() === '') {
			out.failed.push({...ref, why: 'empty-search'});
			continue;
		}
		const done = c.kind === 'block' ? resolveBlock({...c.edit, path: file}, content) : resolveHunk(file, c, content);
		if (done.ok && done.edit.search === done.edit.replace) out.failed.push({...ref, why: 'unchanged'});
		else if (done.ok) {
			out.edits.push(done.edit);
			out.applied.push(ref);
			working[file] = done.content;
		} else if (!resent(c, carry, content)) out.failed.push(failureOf(ref, done, content));
	}
	return out;
}

/** The proposed file's lines around a compile error, from Python's `File "...", line N` and its caret. */
function excerptOf(reason: string, proposed: string | undefined): {message: string; excerpt?: Excerpt} {
	const lines = reason.split('\n');
	const message = (lines.findLast(l => l.trim() !== '') ?? reason).replace(/^.*does not compile:\s*/, '').trim();
	// `File "x", line N` names the error's line; other `line N`s (`after function definition on line 1`) only point back.
	const found = /File "[^"]*", line (\d+)/.exec(reason) ?? /line (\d+)/.exec(reason);
	const at = found ? Number(found[1]) : undefined;
	if (proposed === undefined || at === undefined) return {message};
	const fileLines = proposed.split('\n');
	const line = fileLines[at - 1];
	if (line === undefined) return {message};
	// Python shows the line (from the file on disk, which may differ) and a caret: its column counts only where the shown line is ours.
	const shown = lines.findIndex(l => /^\s*\^+\s*$/.test(l));
	const code = shown > 0 ? lines[shown - 1]! : undefined;
	const indent = /^\s*/.exec(line)![0].length;
	let column = indent;
	if (code !== undefined && code.trim() === line.trim()) column = indent + lines[shown]!.indexOf('^') - /^\s*/.exec(code)![0].length;
	const first = Math.max(1, at - 3);
	return {
		message,
		excerpt: {first, lines: fileLines.slice(first - 1, Math.min(fileLines.length, at + 2)), at, column: Math.max(0, column)},
	};
}

function refusal(checked: Extract<CheckResult, {ok: false}>, edits: Edit[], req: ProposalRequest): AnswerProblem {
	if (checked.repeats) return {kind: 'repeats', ...checked.repeats};
	if (/does not compile/.test(checked.reason)) {
		const path = /^(\S+) does not compile/.exec(checked.reason)?.[1] ?? edits[0]?.path ?? '';
		const proposed = applyEdits(req.files, edits, req.rules.editable);
		return {kind: 'compile', path, ...excerptOf(checked.reason, proposed.ok ? proposed.files[path] : undefined)};
	}
	if (/changes? nothing/.test(checked.reason)) return {kind: 'unchanged'};
	const path = checked.index === undefined ? undefined : edits[checked.index]?.path;
	return {
		kind: 'refused',
		reason: checked.reason,
		...(path ? {path} : {}),
		...(checked.closest === undefined ? {} : {closest: checked.closest}),
	};
}

const sameEdit = (a: Edit, b: Edit) => a.path === b.path && a.search.trim() === b.search.trim() && a.replace.trim() === b.replace.trim();

/** Parses, locates and dry-runs an answer. */
export async function judgeAnswer(answer: Answer, req: ProposalRequest, context: JudgeContext): Promise<Verdict> {
	const {carry} = context;
	if (answer.doneReason === 'length') return {problem: {kind: 'cut-off', numPredict: context.numPredict}, carry};
	const parsed = parseAnswer(answer.content, req.rules.editable, req.files);
	if (parsed.candidates.length === 0) {
		const problem: AnswerProblem =
			parsed.errors.length > 0
				? {kind: 'malformed', errors: parsed.errors}
				: answer.content.trim() === ''
					? {kind: 'empty'}
					: {kind: 'no-edit', findings: parsed.findings};
		return {problem, carry};
	}
	const resolved = resolveAll(parsed, req, carry);
	const described = {
		...((carry.description ?? parsed.description) ? {description: carry.description ?? parsed.description} : {}),
		...((carry.rationale ?? parsed.rationale) ? {rationale: carry.rationale ?? parsed.rationale} : {}),
	};
	if (resolved.failed.length > 0 || parsed.errors.length > 0) {
		const problem: AnswerProblem = {kind: 'edits', applied: resolved.applied, failed: resolved.failed, malformed: parsed.errors};
		return {
			problem,
			carry: resolved.edits.length > 0 || carry.edits.length > 0 ? {edits: [...carry.edits, ...resolved.edits], ...described} : {edits: []},
		};
	}
	const edits = [...carry.edits, ...resolved.edits];
	if (edits.length === 0) return {problem: {kind: 'unchanged'}, carry: {edits: []}};
	if (carry.edits.length === 0 && edits.length === 1 && sameEdit(edits[0]!, context.example))
		return {problem: {kind: 'copied-example'}, carry: {edits: []}};
	const checked = await req.check(edits);
	if (!checked.ok) return {problem: refusal(checked, edits, req), carry: {edits: []}};
	return {
		proposal: {
			description: described.description ?? describeEdits(edits),
			...(described.rationale ? {rationale: described.rationale} : {}),
			edits,
		},
	};
}
