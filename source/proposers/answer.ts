import path from 'node:path';
import {parseEditBlocks} from './edit-blocks.js';
import type {Edit} from '../core/types.js';

// The model's plain-text answer: a one-line description, a short rationale,
// then SEARCH/REPLACE blocks (their grammar lives in core/edits.ts). Small
// local models decorate freely (markdown headings, bold labels, fences,
// <think> sections); this reads through the decoration and says plainly what
// was missing, in words fit to send back to the model.

export type ParsedAnswer = {
	/** One line, whitespace collapsed; undefined when the answer had no prose to take it from. */
	description?: string;
	rationale?: string;
	edits: Edit[];
	/** Malformed blocks, in parseEditBlocks' words. */
	errors: string[];
};

const maxDescription = 120;
const maxRationale = 800;

const descriptionLabel = /^(?:description|title|experiment|change|summary|idea|proposal)$/i;
const rationaleLabel = /^(?:rationale|reason(?:ing)?|why|motivation|hypothesis|explanation)$/i;

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

/** Removes `<think>...</think>` sections some models write into the content (an unclosed one runs to the end). */
export function stripThinking(text: string): string {
	return text.replace(/<think>[\s\S]*?(?:<\/think>|$)/gi, '').replace(/^\s*<\/think>/i, '');
}

const blockStart = /^\s*<{5,9}\s*SEARCH\s*$/;
const fence = /^\s*```/;

/**
 * Maps a block's path onto the editable files where the model was sloppy but
 * unambiguous: `train.py` for `train/train.py`, a leading `./`, or prose that
 * parseEditBlocks took for a path when there is one editable file. Anything
 * else is left for the check to refuse, with the allowed files named.
 */
function fixPath(p: string, editable: readonly string[]): string {
	if (editable.includes(p)) return p;
	const posix = p.replace(/\\/g, '/').replace(/^(?:\.\/)+/, '');
	if (editable.includes(posix)) return posix;
	// A tail of exactly one allowed path: `train.py` or `train/train.py` for `arena/train/train.py`.
	const bySuffix = editable.filter(f => f.endsWith(`/${posix}`));
	if (bySuffix.length === 1 && !posix.split('/').includes('..')) return bySuffix[0]!;
	if (editable.length === 1 && /\s/.test(p)) return editable[0]!;
	return p;
}

/** Reads a model's answer. `editable` gives the default path when there is one file, and the names to map sloppy paths onto. */
export function parseAnswer(text: string, editable: readonly string[]): ParsedAnswer {
	const clean = stripThinking(text).replace(/\r\n?/g, '\n');
	const defaultPath = editable.length === 1 ? editable[0] : undefined;
	const parsed = parseEditBlocks(clean, defaultPath);
	const edits = parsed.edits.map(e => ({...e, path: fixPath(e.path, editable)}));

	// The prose: everything before the first block, less fences and path lines.
	const lines = clean.split('\n');
	const firstBlock = lines.findIndex(l => blockStart.test(l));
	const prose = (firstBlock === -1 ? lines : lines.slice(0, firstBlock)).filter(l => !fence.test(l));
	// Drop the path line(s) right above the first block.
	while (prose.length > 0 && firstBlock !== -1) {
		const last = prose.at(-1)!.trim();
		if (last === '' || looksLikePathLine(last)) prose.pop();
		else break;
	}

	let description: string | undefined;
	const rationale: string[] = [];
	let inRationale = false;
	let awaitingDescription = false;
	for (const raw of prose) {
		const line = raw.trim();
		if (line === '') {
			if (inRationale && rationale.length > 0) rationale.push('');
			continue;
		}
		if (/^[-=*_]{3,}$/.test(line)) continue; // A markdown rule.
		const label = labelled(line);
		if (label && descriptionLabel.test(label.label) && description === undefined) {
			if (label.rest) description = oneLine(label.rest, maxDescription);
			else awaitingDescription = true;
			inRationale = false;
			continue;
		}
		if (label && rationaleLabel.test(label.label)) {
			inRationale = true;
			if (label.rest) rationale.push(label.rest);
			continue;
		}
		if (awaitingDescription) {
			description = oneLine(undecorate(line), maxDescription);
			awaitingDescription = false;
			continue;
		}
		if (description === undefined && !line.endsWith(':')) {
			// No label: the first line of prose (not a lead-in like "Here is the change:") is the description.
			description = oneLine(undecorate(line), maxDescription);
			continue;
		}
		if (description === undefined) continue;
		inRationale = true;
		rationale.push(line);
	}
	const why = rationale
		.join('\n')
		.replace(/\n{3,}/g, '\n\n')
		.trim();
	return {
		...(description ? {description} : {}),
		...(why ? {rationale: why.length > maxRationale ? why.slice(0, maxRationale - 1).trimEnd() + '…' : why} : {}),
		edits,
		errors: parsed.errors,
	};
}

function looksLikePathLine(line: string): boolean {
	const s = undecorate(line)
		.replace(/^(?:file|path)\s*:\s*/i, '')
		.replace(/:$/, '')
		.replace(/^[`'"]+|[`'"]+$/g, '');
	return s.length > 0 && !/\s/.test(s) && /[\w.-]+\.\w+$/.test(s);
}

/** A description made from the edit itself, for an answer that gave none. */
export function describeEdits(edits: readonly Edit[]): string {
	const first = edits[0];
	if (!first) return 'no change';
	const before = new Set(first.search.split('\n').map(l => l.trim()));
	const changed = first.replace
		.split('\n')
		.map(l => l.trim())
		.find(l => l !== '' && !before.has(l));
	const file = path.posix.basename(first.path);
	return oneLine(changed ? `${file}: ${changed}` : `edit ${file}`, maxDescription);
}
