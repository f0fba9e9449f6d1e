import type {Edit} from '../core/types.js';

// SEARCH/REPLACE blocks: what small local models edit best with, and what
// they most often write a little wrong. Read generously: markers of 3 to 9
// characters, ORIGINAL/UPDATED for SEARCH/REPLACE, `SEARCH:`/`REPLACE:`
// labels with the text under them (fenced or not), a fence wrapped inside a
// section, the file named on the line above, in bold, or in the fence's info
// string. Strictness comes later: every edit is located, confined and
// compiled before it is accepted.

/** Lines [start, end) of an answer that a reader took, so that the prose reader skips them. */
export type Span = {start: number; end: number};

export type Fence = Span & {info: string; body: string[]; closed: boolean};

const fenceOpen = /^\s*(`{3,}|~{3,})\s*([^`]*)$/;

/** The fenced regions of an answer; an unclosed fence runs to the end. */
export function findFences(lines: readonly string[]): Fence[] {
	const fences: Fence[] = [];
	for (let i = 0; i < lines.length; i++) {
		const open = fenceOpen.exec(lines[i]!);
		if (!open) continue;
		const mark = open[1]!;
		const close = new RegExp(`^\\s*\\${mark[0]}{${mark.length},}\\s*$`);
		let j = i + 1;
		while (j < lines.length && !close.test(lines[j]!)) j++;
		fences.push({
			start: i,
			end: Math.min(j + 1, lines.length),
			info: open[2]!.trim(),
			body: lines.slice(i + 1, j),
			closed: j < lines.length,
		});
		i = j;
	}
	return fences;
}

export const isFenceLine = (line: string): boolean => /^\s*(?:`{3,}|~{3,})/.test(line);

const searchMarker = /^\s*<{3,9}\s*(?:SEARCH|ORIGINAL|FIND)\s*:?\s*$/i;
const dividerMarker = /^\s*={3,9}\s*$/;
const replaceMarker = /^\s*>{3,9}\s*(?:REPLACE|UPDATED?)\s*:?\s*$/i;
/** `SEARCH:`, `**SEARCH:**`, `### SEARCH:`, with what follows on the line. */
const searchLabel = /^\s*(?:[#>*_`-]+\s*)*SEARCH\s*[*_`]*\s*:\s*[*_`]*\s*(.*)$/i;
const replaceLabel = /^\s*(?:[#>*_`-]+\s*)*REPLACE\s*[*_`]*\s*:\s*[*_`]*\s*(.*)$/i;

/** True for a line that opens a SEARCH/REPLACE block in either form. */
export const opensBlock = (line: string): boolean => searchMarker.test(line) || searchLabel.test(line);

/** Strips the decoration models put around a path: heading marks, bold, backticks, `File:`, a trailing colon. */
function cleanPath(text: string): string {
	return text
		.trim()
		.replace(/^#+\s*/, '')
		.replace(/^(?:file(?:name)?|path)\s*:\s*/i, '')
		.replace(/^[*`'"_]+|[*`'"_:]+$/g, '')
		.trim();
}

function looksLikePath(s: string): boolean {
	return s.length > 0 && s.length < 300 && !/\s/.test(s) && /^[\w./\\-]*[\w-]\.\w{1,8}$/.test(s) && !/^\d+(?:\.\d+)+$/.test(s);
}

/** The path a line names, alone (`train/train.py`, `**train/train.py**`) or at the end of a lead-in (`In \`train.py\`:`). */
export function pathOnLine(line: string): string | undefined {
	const whole = cleanPath(line);
	if (looksLikePath(whole)) return whole;
	const tail = /[`*"']([\w./\\-]+\.\w{1,8})[`*"']\s*:?\s*$/.exec(line.trim());
	return tail && looksLikePath(tail[1]!) ? tail[1] : undefined;
}

/** A path in a fence's info string: ```python train/train.py, ```train.py, ```py title="train.py". */
export function pathInInfo(info: string): string | undefined {
	for (const token of info.split(/[\s:,]+/)) {
		const bare = token.replace(/^\w+=/, '').replace(/^["'`]+|["'`]+$/g, '');
		if (looksLikePath(bare)) return bare;
	}
	return undefined;
}

/** A section's lines less a fence wrapped around them (some models fence SEARCH and REPLACE separately). */
function unwrap(lines: string[]): string[] {
	const out = [...lines];
	while (out.length > 0 && out[0]!.trim() === '') out.shift();
	if (out.length > 0 && isFenceLine(out[0]!)) out.shift();
	while (out.length > 0 && out.at(-1)!.trim() === '') out.pop();
	if (out.length > 0 && isFenceLine(out.at(-1)!)) out.pop();
	return out.length === lines.length ? lines : out;
}

export type Block = {edit: Edit; span: Span};

export type BlockReading = {blocks: Block[]; errors: string[]; spans: Span[]};

/**
 * Finds every SEARCH/REPLACE block in free text. A block's path is the last
 * path named before it (on its own line or in a fence's info string);
 * `defaultPath` serves when there is none, as with a single editable file.
 */
export function parseEditBlocks(text: string, defaultPath?: string): BlockReading {
	const lines = text.replace(/\r\n?/g, '\n').split('\n');
	const reading: BlockReading = {blocks: [], errors: [], spans: []};
	let lastPath: string | undefined;
	const add = (search: string[], replace: string[], span: Span) => {
		const number = reading.blocks.length + reading.errors.length + 1;
		const path = lastPath ?? defaultPath;
		reading.spans.push(span);
		if (path === undefined) reading.errors.push(`block ${number}: no file path line before it`);
		else reading.blocks.push({edit: {path, search: unwrap(search).join('\n'), replace: unwrap(replace).join('\n')}, span});
	};
	let i = 0;
	while (i < lines.length) {
		const line = lines[i]!;
		if (searchMarker.test(line)) {
			i = readMarkers(lines, i, reading, add);
			continue;
		}
		const label = searchLabel.exec(line);
		if (label) {
			i = readLabels(lines, i, label[1]!, reading, add);
			continue;
		}
		const named = isFenceLine(line) ? pathInInfo(line.replace(/^\s*[`~]+/, '')) : line.trim() === '' ? undefined : pathOnLine(line);
		if (named !== undefined) lastPath = named;
		i++;
	}
	return reading;
}

type Add = (search: string[], replace: string[], span: Span) => void;

function readMarkers(lines: string[], start: number, reading: BlockReading, add: Add): number {
	const number = reading.blocks.length + reading.errors.length + 1;
	const search: string[] = [];
	let j = start + 1;
	while (j < lines.length && !dividerMarker.test(lines[j]!) && !replaceMarker.test(lines[j]!)) search.push(lines[j++]!);
	if (j >= lines.length || replaceMarker.test(lines[j]!)) {
		reading.errors.push(`block ${number}: no ======= line between SEARCH and REPLACE`);
		reading.spans.push({start, end: j});
		return j >= lines.length ? j : j + 1;
	}
	const replace: string[] = [];
	j++;
	while (j < lines.length && !replaceMarker.test(lines[j]!) && !searchMarker.test(lines[j]!)) replace.push(lines[j++]!);
	if (j >= lines.length || !replaceMarker.test(lines[j]!)) {
		reading.errors.push(`block ${number}: no >>>>>>> REPLACE line to end it`);
		reading.spans.push({start, end: j});
		return j;
	}
	add(search, replace, {start, end: j + 1});
	return j + 1;
}

/** A labelled section's text: a fence under the label, the rest of the label's line, or the lines up to a blank one. */
function readSection(lines: string[], from: number, rest: string, stop: RegExp): {text: string[]; next: number} {
	let j = from;
	if (rest.trim() !== '' && !isFenceLine(rest)) {
		const text = [rest];
		while (j < lines.length && lines[j]!.trim() !== '' && !stop.test(lines[j]!) && !isFenceLine(lines[j]!)) text.push(lines[j++]!);
		return {text, next: j};
	}
	while (j < lines.length && lines[j]!.trim() === '') j++;
	if (j < lines.length && isFenceLine(lines[j]!)) {
		const [fence] = findFences(lines.slice(j));
		return {text: fence!.body, next: j + fence!.end};
	}
	const text: string[] = [];
	while (j < lines.length && lines[j]!.trim() !== '' && !stop.test(lines[j]!) && !isFenceLine(lines[j]!)) text.push(lines[j++]!);
	return {text, next: j};
}

function readLabels(lines: string[], start: number, rest: string, reading: BlockReading, add: Add): number {
	const search = readSection(lines, start + 1, rest, replaceLabel);
	let j = search.next;
	while (j < lines.length && (lines[j]!.trim() === '' || isFenceLine(lines[j]!))) j++;
	const label = j < lines.length ? replaceLabel.exec(lines[j]!) : null;
	if (!label) {
		const number = reading.blocks.length + reading.errors.length + 1;
		reading.errors.push(`block ${number}: SEARCH: without a REPLACE: after it`);
		reading.spans.push({start, end: search.next});
		return search.next;
	}
	const replace = readSection(lines, j + 1, label[1]!, searchLabel);
	add(search.text, replace.text, {start, end: replace.next});
	return replace.next;
}

export function formatEditBlock(edit: Edit): string {
	return [edit.path, '<<<<<<< SEARCH', edit.search, '=======', edit.replace, '>>>>>>> REPLACE'].join('\n');
}

const assignment = /^([A-Z][A-Z0-9_]*)\s*=\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?)(\s*(?:#.*)?)$/i;

/** A number doubled, written the way it was: `3e-4` -> `6e-4`, `64` -> `128`, `0.1` -> `0.2`. */
function doubled(raw: string): string {
	const value = Number(raw) * 2;
	if (/e/i.test(raw)) {
		const [mantissa, exponent] = value.toExponential().split('e');
		return `${Number(Number(mantissa).toPrecision(3))}e${Number(exponent)}`;
	}
	if (!raw.includes('.')) return String(Math.round(value));
	const text = String(Number(value.toPrecision(6)));
	return text.includes('.') || text.includes('e') ? text : `${text}.0`;
}

/**
 * The format's example, built from a real line of the file: the last
 * numeric constant of the hyperparameter block (of the file when it has
 * none), doubled. A model that copies the example's SEARCH copies a line that
 * exists, and the last constant (a rotary base, a clip) is rarely the change
 * a model means, so that a copy can be told from a proposal.
 * `addedLine` (model-text.ts's words) serves a file without one.
 */
export function exampleEdit(files: Readonly<Record<string, string>>, editable: readonly string[], addedLine: string): Edit {
	const path = editable.find(f => files[f] !== undefined) ?? editable[0] ?? 'train.py';
	const lines = (files[path] ?? '').split('\n');
	const start = lines.findIndex(l => /^#\s*-+\s*hyperparameters\s*-+/i.test(l.trim()));
	const end = start === -1 ? -1 : lines.findIndex((l, i) => i > start && /^#\s*-+\s*end hyperparameters/i.test(l.trim()));
	const region = start === -1 ? lines : lines.slice(start + 1, end === -1 ? undefined : end);
	for (const line of [...region].reverse()) {
		const m = assignment.exec(line);
		if (m) return {path, search: line, replace: `${m[1]} = ${doubled(m[2]!)}${m[3]}`};
	}
	// No numeric constant anywhere: the example adds a line after a real one.
	const first = lines.find(l => l.trim() !== '' && !l.trim().startsWith('#')) ?? '';
	return {path, search: first, replace: `${first}\n${addedLine}`};
}
