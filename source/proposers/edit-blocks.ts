import type {Edit} from '../core/types.js';

// SEARCH/REPLACE blocks: what small local models edit best with. The model
// writes a path line, then the block; we parse, confine and apply it.

const searchMarker = /^\s*<{5,9}\s*SEARCH\s*$/;
const dividerMarker = /^\s*={5,9}\s*$/;
const replaceMarker = /^\s*>{5,9}\s*REPLACE\s*$/;
const fenceLine = /^\s*```/;

/** Strips the decoration models put around a path: backticks, bold, `File:`, a trailing colon. */
function cleanPathLine(line: string): string {
	let s = line.trim();
	s = s.replace(/^#+\s*/, '');
	s = s.replace(/^(?:file|path)\s*:\s*/i, '');
	s = s.replace(/^[*`'"]+|[*`'"]+$/g, '');
	s = s.replace(/:$/, '');
	return s.trim();
}

function looksLikePath(s: string): boolean {
	return s.length > 0 && s.length < 300 && !/\s{2,}/.test(s) && /[\w.-]+\.\w+$/.test(s);
}

export function formatEditBlock(edit: Edit): string {
	return [edit.path, '<<<<<<< SEARCH', edit.search, '=======', edit.replace, '>>>>>>> REPLACE'].join('\n');
}

/**
 * Finds every SEARCH/REPLACE block in free text. A block's path is the last
 * path-like line before it (fences skipped); `defaultPath` serves when there
 * is none, as with a single editable file.
 */
export function parseEditBlocks(text: string, defaultPath?: string): {edits: Edit[]; errors: string[]} {
	const lines = text.replace(/\r\n?/g, '\n').split('\n');
	const edits: Edit[] = [];
	const errors: string[] = [];
	let lastPath: string | undefined;
	let i = 0;
	while (i < lines.length) {
		const line = lines[i]!;
		if (!searchMarker.test(line)) {
			if (!fenceLine.test(line) && line.trim() !== '') {
				const candidate = cleanPathLine(line);
				lastPath = looksLikePath(candidate) ? candidate : lastPath;
			}
			i++;
			continue;
		}
		const blockNumber = edits.length + errors.length + 1;
		const search: string[] = [];
		const replace: string[] = [];
		let j = i + 1;
		while (j < lines.length && !dividerMarker.test(lines[j]!)) search.push(lines[j++]!);
		if (j >= lines.length) {
			errors.push(`block ${blockNumber}: no ======= line after <<<<<<< SEARCH`);
			break;
		}
		j++;
		while (j < lines.length && !replaceMarker.test(lines[j]!)) {
			if (searchMarker.test(lines[j]!)) break;
			replace.push(lines[j++]!);
		}
		if (j >= lines.length || !replaceMarker.test(lines[j]!)) {
			errors.push(`block ${blockNumber}: no >>>>>>> REPLACE line to end it`);
			i = j;
			continue;
		}
		const filePath = lastPath ?? defaultPath;
		if (filePath === undefined) {
			errors.push(`block ${blockNumber}: no file path line before <<<<<<< SEARCH`);
		} else {
			edits.push({path: filePath, search: search.join('\n'), replace: replace.join('\n')});
		}
		i = j + 1;
	}
	return {edits, errors};
}
