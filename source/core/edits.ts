import {lstatSync, realpathSync} from 'node:fs';
import path from 'node:path';
import type {Edit} from './types.js';
import type {CheckResult} from './proposer.js';

// Edits as the loop takes them: confined to the allowed files, applied in
// memory, matched flexibly, and explained when they miss. How a model writes
// them down (SEARCH/REPLACE blocks, diffs, whole files) is the proposers'
// business (proposers/edit-blocks.ts).

/**
 * Confines a path the model wrote to the allowed files: relative, no `..`,
 * and exactly one of the allowed paths once normalised.
 */
export function checkEditPath(p: string, allowed: readonly string[]): {ok: true; path: string} | {ok: false; reason: string} {
	if (p.includes('\0')) return {ok: false, reason: `path ${JSON.stringify(p)} contains a NUL byte`};
	if (path.posix.isAbsolute(p) || path.win32.isAbsolute(p) || /^[a-zA-Z]:/.test(p)) {
		return {ok: false, reason: `${p} is an absolute path; only ${allowed.join(', ')} may be edited`};
	}
	const parts = p.replace(/\\/g, '/').split('/');
	if (parts.includes('..')) return {ok: false, reason: `${p} leaves the workspace; only ${allowed.join(', ')} may be edited`};
	const normal = path.posix.normalize(parts.join('/'));
	if (!allowed.includes(normal)) {
		return {ok: false, reason: `${p} is not an editable file; only ${allowed.join(', ')} may be edited`};
	}
	return {ok: true, path: normal};
}

/**
 * Refuses a target that is, or sits under, a symlink leading out of `root`:
 * the allowed path names a file in the arena, not whatever a link points at.
 */
export function checkInsideRoot(root: string, relative: string): string | undefined {
	const realRoot = realpathSync(root);
	let current = root;
	for (const part of relative.split('/')) {
		current = path.join(current, part);
		let stat;
		try {
			stat = lstatSync(current);
		} catch {
			return undefined; // Not there yet: nothing to escape through.
		}
		if (stat.isSymbolicLink()) {
			const target = realpathSync(current);
			if (target !== realRoot && !target.startsWith(realRoot + path.sep)) {
				return `${relative} goes through a symlink that leads outside the workspace`;
			}
		}
	}
	return undefined;
}

function countOccurrences(haystack: string, needle: string): number {
	let count = 0;
	for (let at = haystack.indexOf(needle); at !== -1; at = haystack.indexOf(needle, at + 1)) count++;
	return count;
}

const leadingSpace = (s: string): string => /^\s*/.exec(s)![0];

/** Windows of file lines equal to the search lines once each line is trimmed. */
function looseMatches(fileLines: string[], searchLines: string[]): number[] {
	const wanted = searchLines.map(l => l.trim());
	const starts: number[] = [];
	for (let i = 0; i + wanted.length <= fileLines.length; i++) {
		let all = true;
		for (let j = 0; j < wanted.length; j++) {
			if (fileLines[i + j]!.trim() !== wanted[j]) {
				all = false;
				break;
			}
		}
		if (all) starts.push(i);
	}
	return starts;
}

/** Re-indents replacement lines by the difference between what the model wrote and what is in the file. */
function reindent(replaceLines: string[], searchLines: string[], fileLines: string[]): string[] {
	const k = searchLines.findIndex(l => l.trim() !== '');
	if (k === -1) return replaceLines;
	const had = leadingSpace(searchLines[k]!);
	const is = leadingSpace(fileLines[k]!);
	if (had === is) return replaceLines;
	return replaceLines.map(line => {
		if (line.trim() === '') return line;
		if (line.startsWith(had)) return is + line.slice(had.length);
		return line;
	});
}

function bigrams(s: string): Map<string, number> {
	const m = new Map<string, number>();
	for (let i = 0; i < s.length - 1; i++) {
		const g = s.slice(i, i + 2);
		m.set(g, (m.get(g) ?? 0) + 1);
	}
	return m;
}

const words = (s: string): string[] =>
	s
		.toLowerCase()
		.split(/[^a-z0-9]+/)
		.filter(Boolean);

/**
 * How much a file line looks like a line the model wrote: shared character
 * pairs, and above all the model's words (identifiers weigh by length) found
 * in the line. `WARMUP = 0.1` is closer to `WARMUP_RATIO = 0.05` than to
 * `smooth = 0.0`.
 */
function similarity(line: string, wanted: string): number {
	if (line === wanted) return 1;
	if (line.length < 2 || wanted.length < 2) return 0;
	const ga = bigrams(line);
	const gb = bigrams(wanted);
	let common = 0;
	for (const [g, n] of ga) common += Math.min(n, gb.get(g) ?? 0);
	const dice = (2 * common) / (line.length - 1 + wanted.length - 1);
	const have = new Set(words(line));
	const want = words(wanted);
	const total = want.reduce((sum, w) => sum + w.length, 0);
	const found = want.reduce(
		(sum, w) => sum + (have.has(w) ? w.length : [...have].some(h => h.includes(w) && w.length > 2) ? w.length * 0.8 : 0),
		0,
	);
	return 0.4 * dice + 0.6 * (total === 0 ? 0 : found / total);
}

/** The run of real lines most like the search text: what to show a model whose SEARCH missed. */
export function closestLines(content: string, search: string): string | undefined {
	const fileLines = content.split('\n');
	const searchLines = search.split('\n').map(l => l.trim());
	if (fileLines.length === 0 || searchLines.length === 0) return undefined;
	const trimmed = fileLines.map(l => l.trim());
	const window = Math.min(searchLines.length, fileLines.length);
	let best = -1;
	let bestAt = 0;
	for (let i = 0; i + window <= fileLines.length; i++) {
		let score = 0;
		for (let j = 0; j < window; j++) score += similarity(trimmed[i + j]!, searchLines[j]!);
		if (score > best) {
			best = score;
			bestAt = i;
		}
	}
	if (best <= 0) return undefined;
	return fileLines.slice(bestAt, bestAt + window).join('\n');
}

/**
 * Applies edits in order to in-memory files. Each SEARCH must match exactly
 * one place: exactly first, then line by line ignoring surrounding white
 * space. Nothing on disk changes.
 */
export function applyEdits(files: Readonly<Record<string, string>>, edits: readonly Edit[], allowed: readonly string[]): CheckResult {
	const out: Record<string, string> = {...files};
	if (edits.length === 0) return {ok: false, reason: 'the answer has no SEARCH/REPLACE block'};
	for (const [index, edit] of edits.entries()) {
		const checked = checkEditPath(edit.path, allowed);
		if (!checked.ok) return {ok: false, index, reason: checked.reason};
		const content = out[checked.path];
		if (content === undefined) return {ok: false, index, reason: `${checked.path} is not among the files given`};
		if (edit.search.trim() === '') {
			return {ok: false, index, reason: `edit ${index + 1} in ${checked.path}: SEARCH is empty; copy the exact lines to change`};
		}
		const exact = countOccurrences(content, edit.search);
		if (exact === 1) {
			out[checked.path] = content.replace(edit.search, () => edit.replace);
			continue;
		}
		if (exact > 1) {
			return {
				ok: false,
				index,
				reason: `edit ${index + 1} in ${checked.path}: SEARCH matches ${exact} places; include more surrounding lines so it matches one`,
			};
		}
		const fileLines = content.split('\n');
		const searchLines = edit.search.split('\n');
		while (searchLines.length > 1 && searchLines.at(-1)!.trim() === '') searchLines.pop();
		while (searchLines.length > 1 && searchLines[0]!.trim() === '') searchLines.shift();
		const starts = looseMatches(fileLines, searchLines);
		if (starts.length === 1) {
			const at = starts[0]!;
			const matched = fileLines.slice(at, at + searchLines.length);
			const replacement = reindent(edit.replace.split('\n'), searchLines, matched);
			fileLines.splice(at, searchLines.length, ...replacement);
			out[checked.path] = fileLines.join('\n');
			continue;
		}
		if (starts.length > 1) {
			return {
				ok: false,
				index,
				reason: `edit ${index + 1} in ${checked.path}: SEARCH matches ${starts.length} places; include more surrounding lines so it matches one`,
			};
		}
		const closest = closestLines(content, edit.search);
		return {
			ok: false,
			index,
			reason: `edit ${index + 1} in ${checked.path}: SEARCH does not match the file; copy the lines exactly as they are`,
			...(closest === undefined ? {} : {closest}),
		};
	}
	for (const [p, content] of Object.entries(out)) {
		if (content === files[p]) delete out[p];
	}
	if (Object.keys(out).length === 0) return {ok: false, reason: 'the edits change nothing'};
	return {ok: true, files: {...files, ...out}};
}
