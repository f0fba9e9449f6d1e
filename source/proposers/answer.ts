import path from 'node:path';
import {findFences, isFenceLine, parseEditBlocks, pathInInfo, pathOnLine, type Span} from './edit-blocks.js';
import {parseUnifiedDiffs, type HunkLine} from './unified-diff.js';
import type {Edit} from '../core/types.js';

// The model's plain-text answer, read generously: the one-line description
// wherever it stands (before or after the edits, under a heading or a bold
// label, never a chatty lead-in), the rationale, and every edit in whatever
// shape it came: SEARCH/REPLACE blocks (edit-blocks.ts), unified diffs
// (unified-diff.ts), or a fenced whole file. `<think>` sections are dropped
// first, so a draft inside one is never taken. What is not an edit is noted
// (a snippet, a whole file that may not change, markers we cannot read) so
// that the feedback can say what was found instead. Locating and checking the
// edits is match.ts's and repair.ts's.

export type Candidate =
	| {kind: 'block'; edit: Edit; line: number}
	| {kind: 'hunk'; path: string | undefined; lines: HunkLine[]; oldStart?: number; line: number}
	| {kind: 'whole'; path: string; content: string; line: number};

/** Something in the answer that looked like an edit but is not one we can use. */
export type Finding =
	| {kind: 'snippet'; path?: string}
	| {kind: 'not-editable'; path: string}
	| {kind: 'elided'; path: string}
	| {kind: 'wrong-markers'; sample: string};

export type ParsedAnswer = {
	/** One line, whitespace collapsed; undefined when the answer had no DESCRIPTION line. */
	description?: string;
	rationale?: string;
	/** The edits in the order they were written. */
	candidates: Candidate[];
	/** Malformed blocks, in words fit for the model. */
	errors: string[];
	findings: Finding[];
};

const maxDescription = 120;
const maxRationale = 800;

const descriptionLabel = /^(?:description|title|experiment|change|summary|idea|proposal)$/i;
/** Labels that name the description on the line after them when their own line has none. */
const headingLabel = /^(?:description|title|summary)$/i;
const rationaleLabel = /^(?:rationale|reason(?:ing)?|why|motivation|hypothesis|explanation)$/i;
/** Politeness and lead-ins: never a description, never a rationale. */
const chatty =
	/^(?:sure|certainly|of course|okay|ok|great|absolutely|alright|here(?:'s|’s| is| are)|below is|i(?:'ll|’ll| will| would| propose| suggest| hope)|let(?:'s|’s| me)|hope this|feel free)\b/i;

/** Markdown decoration around a line: headings, quotes, list bullets, bold/italic/code marks. */
function undecorate(line: string): string {
	return line
		.trim()
		.replace(/^(?:#{1,6}\s+|>\s*|[-*+]\s+|\d+[.)]\s+)+/, '')
		.replace(/^[*_`]+|[*_`]+$/g, '')
		.trim();
}

/** `LABEL: text`, `**Label:** text`, `## Label - text`, `Label` alone: the label and the text after it. */
function labelled(line: string): {label: string; rest: string} | undefined {
	const s = undecorate(line);
	const m = /^([A-Za-z][A-Za-z ]{1,20}?)\s*[*_]*\s*(?::|：|\s[-–—]\s)\s*[*_]*\s*(.*)$/.exec(s);
	if (m) return {label: m[1]!.trim(), rest: m[2]!.replace(/^[*_]+|[*_]+$/g, '').trim()};
	if (/^[A-Za-z][A-Za-z ]{1,20}$/.test(s)) return {label: s.trim(), rest: ''};
	return undefined;
}

function oneLine(text: string, max: number): string {
	const s = text.replace(/\s+/g, ' ').trim();
	return s.length > max ? s.slice(0, max - 1).trimEnd() + '…' : s;
}

/**
 * Removes `<think>...</think>` sections some models write into the content:
 * an unclosed one runs to the end, and a closing tag with no opening one
 * (the template ate it) ends a section that began the answer.
 */
export function stripThinking(text: string): string {
	const close = text.search(/<\/think>/i);
	const open = text.search(/<think>/i);
	const orphan = close !== -1 && (open === -1 || open > close) ? text.slice(close).replace(/^<\/think>/i, '') : text;
	return orphan.replace(/<think>[\s\S]*?(?:<\/think>|$)/gi, '');
}

/**
 * Maps a path the model wrote onto the editable files where it was sloppy
 * but unambiguous: `train.py` for `train/train.py`, a leading `./`. Anything
 * else is left for the check to refuse, with the allowed files named.
 */
export function fixPath(p: string, editable: readonly string[]): string {
	if (editable.includes(p)) return p;
	const posix = p.replace(/\\/g, '/').replace(/^(?:\.\/)+/, '');
	if (editable.includes(posix)) return posix;
	const bySuffix = editable.filter(f => f.endsWith(`/${posix}`));
	if (bySuffix.length === 1 && !posix.split('/').includes('..')) return bySuffix[0]!;
	return p;
}

/** Does `text` look like the whole of `old` rewritten, rather than a piece of it? */
function wholeOf(text: string, old: string): boolean {
	const oldLines = old.split('\n').filter(l => l.trim() !== '');
	const have = new Set(oldLines.map(l => l.trim()));
	const newLines = text.split('\n').filter(l => l.trim() !== '');
	const shared = newLines.filter(l => have.has(l.trim())).length;
	return newLines.length >= 0.6 * oldLines.length && shared >= 0.5 * oldLines.length;
}

/** A line that stands for code left out (`# ... rest unchanged`), and was not in the file already. */
function elides(text: string, old: string): boolean {
	const had = new Set(old.split('\n').map(l => l.trim()));
	return text
		.split('\n')
		.some(
			l =>
				!had.has(l.trim()) &&
				(/^\s*(?:#|\/\/)?\s*(?:\.\.\.|…)\s*$/.test(l) ||
					/^\s*#.*(?:\.\.\.|…|\b(?:rest of|remaining|unchanged|same as before|omitted|as before)\b)/i.test(l)),
		);
}

const overlaps = (span: Span, spans: readonly Span[]) => spans.some(s => s.start < span.end && span.start < s.end);

/** Reads a model's answer. `editable` names the files that may change; `files` (their content) lets a fenced whole file be recognised. */
export function parseAnswer(text: string, editable: readonly string[], files: Readonly<Record<string, string>> = {}): ParsedAnswer {
	const clean = stripThinking(text).replace(/\r\n?/g, '\n');
	const lines = clean.split('\n');
	const defaultPath = editable.length === 1 ? editable[0] : undefined;
	const reading = parseEditBlocks(clean, defaultPath);
	const taken: Span[] = [...reading.spans];
	const candidates: Candidate[] = reading.blocks.map(b => ({
		kind: 'block',
		edit: {...b.edit, path: fixPath(b.edit.path, editable)},
		line: b.span.start,
	}));
	const hunks = parseUnifiedDiffs(lines, i => taken.some(s => i >= s.start && i < s.end));
	for (const h of hunks) {
		const p = h.path ?? defaultPath;
		candidates.push({
			kind: 'hunk',
			path: p === undefined ? undefined : fixPath(p, editable),
			lines: h.lines,
			...(h.oldStart ? {oldStart: h.oldStart} : {}),
			line: h.span.start,
		});
		taken.push(h.span);
	}
	const findings: Finding[] = [];
	const fences = findFences(lines);
	for (const fence of fences) {
		if (overlaps(fence, taken) || /^(?:diff|patch)\b/i.test(fence.info) || fence.body.every(l => l.trim() === '')) continue;
		const named = pathInInfo(fence.info) ?? namedAbove(lines, fence.start);
		const target = named === undefined ? defaultPath : fixPath(named, editable);
		const body = fence.body.join('\n');
		const old = target === undefined ? undefined : files[target];
		if (target !== undefined && !editable.includes(target)) findings.push({kind: 'not-editable', path: target});
		else if (old === undefined || target === undefined || !wholeOf(body, old))
			findings.push({kind: 'snippet', ...(target ? {path: target} : {})});
		else if (elides(body, old)) findings.push({kind: 'elided', path: target});
		else candidates.push({kind: 'whole', path: target, content: body, line: fence.start});
	}
	const inFence = (i: number) => fences.some(f => i >= f.start && i < f.end);
	const isTaken = (i: number) => taken.some(s => i >= s.start && i < s.end);
	for (const [i, line] of lines.entries()) {
		if (!isTaken(i) && !inFence(i) && /^\s*(?:<{2,}|>{2,}|={5,})|\[\/?(?:SEARCH|REPLACE)\]|^\W*(?:SEARCH|REPLACE)\W*$/i.test(line)) {
			findings.push({kind: 'wrong-markers', sample: line.trim()});
			break;
		}
	}
	candidates.sort((a, b) => a.line - b.line);
	const prose = lines.filter((l, i) => !isTaken(i) && !inFence(i) && !isPathLine(l));
	return {...readProse(prose), candidates, errors: reading.errors, findings};
}

/** The path on a line just above a fence (blank lines between allowed). */
function namedAbove(lines: readonly string[], fence: number): string | undefined {
	for (let i = fence - 1; i >= Math.max(0, fence - 3); i--) {
		const line = lines[i]!;
		if (line.trim() === '') continue;
		return isFenceLine(line) ? undefined : pathOnLine(line);
	}
	return undefined;
}

const isPathLine = (line: string): boolean =>
	line.trim() !== '' && !/\s/.test(undecorate(line).replace(/^(?:file|path)\s*:\s*/i, '')) && pathOnLine(line) !== undefined;

/** The description and rationale from the answer's prose (blocks, diffs, fences and path lines already taken out). */
function readProse(prose: readonly string[]): {description?: string; rationale?: string} {
	let description: string | undefined;
	const labelledWhy: string[] = [];
	const looseWhy: string[] = [];
	let inRationale = false;
	let awaiting = false;
	for (const raw of prose) {
		const line = raw.trim();
		if (line === '') {
			if (inRationale && labelledWhy.length > 0) labelledWhy.push('');
			continue;
		}
		if (/^[-=*_]{3,}$/.test(line)) continue; // A markdown rule.
		const label = labelled(line);
		if (label && descriptionLabel.test(label.label) && description === undefined) {
			if (label.rest) description = oneLine(label.rest, maxDescription);
			else awaiting = headingLabel.test(label.label);
			inRationale = false;
			continue;
		}
		if (label && rationaleLabel.test(label.label)) {
			inRationale = true;
			if (label.rest) labelledWhy.push(label.rest);
			continue;
		}
		const plain = undecorate(line);
		if (chatty.test(plain) || line.endsWith(':')) continue;
		if (awaiting) {
			description = oneLine(plain, maxDescription);
			awaiting = false;
			continue;
		}
		if (/^#{1,6}\s/.test(line)) {
			inRationale = false;
			continue;
		}
		if (inRationale) labelledWhy.push(line);
		else if (description !== undefined) looseWhy.push(line);
	}
	const why = (labelledWhy.length > 0 ? labelledWhy : looseWhy)
		.join('\n')
		.replace(/\n{3,}/g, '\n\n')
		.trim();
	return {
		...(description ? {description} : {}),
		...(why ? {rationale: why.length > maxRationale ? why.slice(0, maxRationale - 1).trimEnd() + '…' : why} : {}),
	};
}

const constantLine = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*([^#]+?)\s*(?:#.*)?$/;

/** What a set of edits does, for an answer that gave no DESCRIPTION line: `NAME old -> new` for a changed constant. */
export function describeEdits(edits: readonly Edit[]): string {
	const first = edits[0];
	if (!first) return 'no change';
	const before = first.search.split('\n').map(l => l.trim());
	const after = first.replace.split('\n').map(l => l.trim());
	const added = after.filter(l => l !== '' && !before.includes(l));
	const removed = before.filter(l => l !== '' && !after.includes(l));
	const more = edits.length > 1 ? ` (+${edits.length - 1} more edit${edits.length > 2 ? 's' : ''})` : '';
	const was = removed.map(l => constantLine.exec(l)).find(Boolean);
	const now = added.map(l => constantLine.exec(l)).find(m => m && was && m[1] === was[1]);
	if (was && now) return oneLine(`${now[1]} ${was[2]} -> ${now[2]}${more}`, maxDescription);
	const file = path.posix.basename(first.path);
	const changed = added[0] ?? (removed[0] === undefined ? undefined : `remove ${removed[0]}`);
	return oneLine(changed ? `${file}: ${changed}${more}` : `edit ${file}${more}`, maxDescription);
}
