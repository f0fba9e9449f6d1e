import {structuredPatch} from 'diff';
import {closestLines} from '../core/edits.js';
import type {Edit} from '../core/types.js';
import {sides, type HunkLine} from './unified-diff.js';

// Where an edit goes, found flexibly and written down exactly. A model's
// SEARCH is matched against the file in tiers (exact, then ignoring trailing
// space, indentation, spacing inside the line, and comments the model left
// out), and the edit that comes out carries the file's own lines as its
// SEARCH, unique in the file, with REPLACE re-indented to match. So the
// loop's strict applyEdits (exact, then trimmed lines) takes it as it is, and
// a prepared proposal re-applies on a new best. A diff's hunk is located the
// same way, with some of its context dropped if need be (a little fuzz) and
// its header's line number breaking ties (an offset is allowed).

/** A located SEARCH: lines [start, end) of the file, 0-based. */
export type Located =
	| {ok: true; start: number; end: number}
	| {ok: false; several: number[]}
	| {ok: false; several?: undefined; closest?: {line: number; text: string}};

/** The code of a line without its comment (a `#` outside quotes); the whole line when nothing is left. */
function codeOf(line: string): string {
	let quote: string | undefined;
	for (let i = 0; i < line.length; i++) {
		const c = line[i]!;
		if (quote) {
			if (c === '\\') i++;
			else if (c === quote) quote = undefined;
		} else if (c === '"' || c === "'") quote = c;
		else if (c === '#') return line.slice(0, i).trim() === '' ? line : line.slice(0, i);
	}
	return line;
}

const tiers: Array<(line: string) => string> = [
	l => l.replace(/\s+$/, ''),
	l => l.trim(),
	l => l.replace(/\s+/g, ''),
	l => codeOf(l).replace(/\s+/g, ''),
];

/** SEARCH lines as the model meant them: no blank lines around, no `12 | ` gutter copied from our feedback. */
export function searchLines(search: string): string[] {
	let lines = search.replace(/\r\n?/g, '\n').split('\n');
	while (lines.length > 1 && lines.at(-1)!.trim() === '') lines.pop();
	while (lines.length > 1 && lines[0]!.trim() === '') lines.shift();
	const gutter = /^\s*\d+\s?\| ?/;
	if (lines.every(l => l.trim() === '' || gutter.test(l))) lines = lines.map(l => l.replace(gutter, ''));
	return lines;
}

function windows(fileLines: readonly string[], wanted: readonly string[], norm: (l: string) => string): number[] {
	const want = wanted.map(norm);
	const have = fileLines.map(norm);
	const starts: number[] = [];
	for (let i = 0; i + want.length <= have.length; i++) {
		let all = true;
		for (let j = 0; j < want.length && all; j++) all = have[i + j] === want[j];
		if (all) starts.push(i);
	}
	return starts;
}

/** Finds `wanted` in the file, tier by tier; `near` (0-based) picks the nearest of several places. */
export function locate(fileLines: readonly string[], wanted: readonly string[], near?: number): Located {
	if (wanted.every(l => l.trim() === '')) return {ok: false};
	for (const norm of tiers) {
		const starts = windows(fileLines, wanted, norm);
		if (starts.length === 1) return {ok: true, start: starts[0]!, end: starts[0]! + wanted.length};
		if (starts.length > 1) {
			if (near !== undefined) {
				const by = [...starts].sort((a, b) => Math.abs(a - near) - Math.abs(b - near));
				if (Math.abs(by[0]! - near) < Math.abs(by[1]! - near)) return {ok: true, start: by[0]!, end: by[0]! + wanted.length};
			}
			return {ok: false, several: starts.map(s => s + 1)};
		}
	}
	const content = fileLines.join('\n');
	const closest = closestLines(content, wanted.join('\n'));
	if (closest === undefined) return {ok: false};
	const at = content.indexOf(closest);
	return {ok: false, closest: {line: content.slice(0, at).split('\n').length, text: closest}};
}

const indentOf = (s: string): string => /^\s*/.exec(s)![0];

/**
 * The model's REPLACE in the file's indentation: each indentation its SEARCH
 * used maps to the file's at the same line (2 spaces for 4, a tab for 4
 * spaces); one the SEARCH did not use is scaled by the same ratio, or
 * shifted by the first line's offset when there is no ratio to go by.
 */
function reindent(replace: readonly string[], wanted: readonly string[], found: readonly string[]): string[] {
	const map = new Map<string, string>();
	for (const [i, line] of wanted.entries()) {
		const there = found[i];
		if (line.trim() !== '' && there !== undefined) map.set(indentOf(line), indentOf(there));
	}
	if ([...map].every(([a, b]) => a === b)) return [...replace];
	const unit = [...map].find(([a, b]) => a.length > 0 && b.length > 0);
	const fill = unit?.[1][0] ?? ' ';
	const first = [...map][0];
	return replace.map(line => {
		if (line.trim() === '') return line;
		const had = indentOf(line);
		const mapped = map.get(had);
		if (mapped !== undefined) return mapped + line.trimStart();
		if (unit) return fill.repeat(Math.round((had.length * unit[1].length) / unit[0].length)) + line.trimStart();
		return first && had.startsWith(first[0]) ? first[1] + line.slice(first[0].length) : line;
	});
}

function occurrences(haystack: string, needle: string): number {
	let n = 0;
	for (let at = haystack.indexOf(needle); at !== -1; at = haystack.indexOf(needle, at + 1)) n++;
	return n;
}

/**
 * The exact edit for file lines [start, end) becoming `replacement`, grown by
 * unchanged neighbours until its SEARCH occurs once in the file (applyEdits
 * counts substrings, so `x = 1` must not also hide inside `max = 1`).
 */
export function exactEdit(path: string, fileLines: readonly string[], start: number, end: number, replacement: readonly string[]): Edit {
	const content = fileLines.join('\n');
	let [s, e] = [start, end];
	let before: string[] = [];
	let after: string[] = [];
	const search = () => fileLines.slice(s, e).join('\n');
	while ((search().trim() === '' || occurrences(content, search()) !== 1) && (s > 0 || e < fileLines.length)) {
		if (s > 0) before = [fileLines[--s]!, ...before];
		if (e < fileLines.length) after = [...after, fileLines[e++]!];
	}
	return {path, search: search(), replace: [...before, ...replacement, ...after].join('\n')};
}

export type Resolved = {ok: true; edit: Edit; content: string} | (Exclude<Located, {ok: true}> & {unchanged?: boolean});

/** Applies an exact edit produced by exactEdit (its SEARCH occurs once). */
const applied = (content: string, edit: Edit): string => content.replace(edit.search, () => edit.replace);

/** A SEARCH/REPLACE block against a file's current content. */
export function resolveBlock(edit: Edit, content: string): Resolved {
	const wanted = searchLines(edit.search);
	const replace = edit.replace.replace(/\r\n?/g, '\n').split('\n');
	if (wanted.join('\n').trimEnd() === replace.join('\n').trimEnd()) return {ok: false, unchanged: true};
	// A fragment of a line that occurs once is taken as written, as applyEdits would.
	if (!edit.search.includes('\n') && edit.search.trim() !== '' && occurrences(content, edit.search) === 1) {
		return {ok: true, edit, content: applied(content, edit)};
	}
	const fileLines = content.split('\n');
	const found = locate(fileLines, wanted);
	if (!found.ok) return found;
	const exact = exactEdit(edit.path, fileLines, found.start, found.end, reindent(replace, wanted, fileLines.slice(found.start, found.end)));
	return {ok: true, edit: exact, content: applied(content, exact)};
}

/** A diff's hunk against a file's current content: all its context first, then up to 3 context lines fewer. */
export function resolveHunk(path: string, hunk: {lines: HunkLine[]; oldStart?: number}, content: string): Resolved {
	const fileLines = content.split('\n');
	const {lines} = hunk;
	const lead = lines.findIndex(l => l.op !== ' ');
	const trail = lines.length - 1 - lines.findLastIndex(l => l.op !== ' ');
	let first: Located | undefined;
	for (let drop = 0; drop <= Math.min(3, lead + trail); drop++) {
		// Keep the context before the change longest: it says best where the change goes.
		for (let back = Math.min(drop, trail); back >= 0 && drop - back <= lead; back--) {
			const front = drop - back;
			const part = lines.slice(front, lines.length - back);
			const {before, after} = sides(part);
			if (before.every(l => l.trim() === '')) continue;
			const near = hunk.oldStart === undefined ? undefined : hunk.oldStart - 1 + front;
			const found = locate(fileLines, before, near);
			first ??= found;
			if (!found.ok) continue;
			const exact = exactEdit(path, fileLines, found.start, found.end, reindent(after, before, fileLines.slice(found.start, found.end)));
			return {ok: true, edit: exact, content: applied(content, exact)};
		}
	}
	if (first && !first.ok) return first;
	return {ok: false};
}

/**
 * A whole new file as small edits, one per changed region, so that it reads
 * like any other proposal and re-applies on a new best; one edit of the
 * whole file when the regions cannot be told apart.
 */
export function wholeFileEdits(path: string, old: string, next: string): {edits: Edit[]; content: string} {
	const wanted = old.endsWith('\n') && !next.endsWith('\n') ? `${next}\n` : next;
	if (wanted === old) return {edits: [], content: old};
	const whole = {edits: [{path, search: old, replace: wanted}], content: wanted};
	const patch = structuredPatch(path, path, old, wanted, '', '', {context: 2});
	const edits: Edit[] = [];
	let content = old;
	for (const h of patch.hunks) {
		const lines = h.lines.filter(l => !l.startsWith('\\')).map(l => ({op: l[0] as HunkLine['op'], text: l.slice(1)}));
		const done = resolveHunk(path, {lines, oldStart: h.oldStart + content.split('\n').length - old.split('\n').length}, content);
		if (!done.ok) return whole;
		edits.push(done.edit);
		content = done.content;
	}
	return content === wanted ? {edits, content} : whole;
}
