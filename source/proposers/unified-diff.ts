import type {Span} from './edit-blocks.js';

// Unified diffs, as models write them when told to write SEARCH/REPLACE
// blocks: with or without `---`/`+++` headers, with `@@ -12,3 +12,4 @@` or
// bare `@@ ... @@` hunk headers, with the space of blank context lines lost.
// A hunk is read into its lines here; match.ts finds where it goes (by its
// content, the header's line number only breaking ties) and turns it into an
// edit, so a diff is checked exactly like a SEARCH/REPLACE block.

export type HunkLine = {op: ' ' | '-' | '+'; text: string};

export type Hunk = {
	/** The file from the `+++` (or `---`) header; undefined when the diff named none. */
	path?: string;
	/** The old file's line number from the header, 1-based; a hint, not a rule. */
	oldStart?: number;
	lines: HunkLine[];
	span: Span;
};

const hunkHeader = /^@@\s*(?:-(\d+)(?:,\d+)?\s+\+\d+(?:,\d+)?)?[^@]*@@/;
const oldHeader = /^---\s+(\S+)/;
const newHeader = /^\+\+\+\s+(\S+)/;

/** `b/train/train.py` -> `train/train.py`; `/dev/null` stays as it is, for the check to refuse. */
function headerPath(raw: string): string {
	return raw.replace(/^[ab]\//, '');
}

function bodyLine(line: string): HunkLine | undefined {
	if (line === '') return {op: ' ', text: ''};
	const op = line[0];
	if (op === ' ' || op === '-' || op === '+') return {op, text: line.slice(1)};
	return undefined;
}

/** Every hunk in the answer's lines outside `taken`. */
export function parseUnifiedDiffs(lines: readonly string[], taken: (line: number) => boolean): Hunk[] {
	const hunks: Hunk[] = [];
	let path: string | undefined;
	/** Where the `---` header of the next hunk began: its span covers the headers too. */
	let headers: number | undefined;
	let i = 0;
	while (i < lines.length) {
		if (taken(i)) {
			i++;
			continue;
		}
		const line = lines[i]!;
		const old = oldHeader.exec(line);
		const next = lines[i + 1] ?? '';
		if (old && newHeader.test(next)) {
			const target = newHeader.exec(next)![1]!;
			path = headerPath(target === '/dev/null' ? old[1]! : target);
			headers = i;
			const after = lines[i + 2] ?? '';
			// Headers followed straight by -/+ lines: a hunk without its @@ line.
			if (!hunkHeader.test(after) && /^[-+]/.test(after)) {
				i = readHunk(lines, i + 2, i, undefined, path, hunks, taken);
				headers = undefined;
				continue;
			}
			i += 2;
			continue;
		}
		const header = hunkHeader.exec(line);
		if (header) {
			i = readHunk(lines, i + 1, headers ?? i, header[1] === undefined ? undefined : Number(header[1]), path, hunks, taken);
			headers = undefined;
			continue;
		}
		i++;
	}
	return hunks;
}

function readHunk(
	lines: readonly string[],
	from: number,
	start: number,
	oldStart: number | undefined,
	path: string | undefined,
	hunks: Hunk[],
	taken: (line: number) => boolean,
): number {
	const body: HunkLine[] = [];
	let j = from;
	for (; j < lines.length && !taken(j); j++) {
		const line = lines[j]!;
		if (hunkHeader.test(line) || (oldHeader.test(line) && newHeader.test(lines[j + 1] ?? ''))) break;
		const parsed = bodyLine(line);
		if (line.startsWith('\\')) continue; // `\ No newline at end of file`
		if (!parsed) break;
		body.push(parsed);
	}
	// Blank lines after the last change are the prose's, not context.
	let end = j;
	while (body.length > 0 && body.at(-1)!.op === ' ' && body.at(-1)!.text.trim() === '') {
		body.pop();
		end--;
	}
	if (body.some(l => l.op !== ' ')) {
		hunks.push({...(path === undefined ? {} : {path}), ...(oldStart === undefined ? {} : {oldStart}), lines: body, span: {start, end}});
	}
	return j;
}

/** The lines a hunk expects (context and removed) and the lines it leaves (context and added). */
export function sides(lines: readonly HunkLine[]): {before: string[]; after: string[]} {
	return {before: lines.filter(l => l.op !== '+').map(l => l.text), after: lines.filter(l => l.op !== '-').map(l => l.text)};
}
