import {memo} from 'react';
import {Frame} from '../frame.js';
import {paneTitles} from '../keys.js';
import {cursorRow, visualRows, type Buffer} from '../text-buffer.js';
import {showChar, type Line} from '../text.js';

// program.md in place: the text-buffer's view drawn with its cursor, and a
// title that says whether the text is saved. File text is shown in caret
// notation, so a control character in program.md cannot reach the terminal.

export type GoalStatus = {kind: 'saved'; at: number} | {kind: 'saving'} | {kind: 'error'; message: string} | undefined;

export type GoalEditorProps = {
	buffer: Buffer;
	editing: boolean;
	status?: GoalStatus;
	/** The editor `e` opens, for the hint (`$EDITOR` when not known). */
	editor?: string;
	width: number;
	height: number;
	focused: boolean;
};

/** A piece of a line as shown: tabs as spaces, control characters in caret notation (never raw). */
function shown(text: string[]): string {
	let out = '';
	for (const ch of text) out += ch === '\t' ? '    ' : showChar(ch, 0);
	return out;
}

const headingCache = new WeakMap<readonly string[], ReadonlySet<number>>();

/**
 * The lines that are markdown headings: `#` to `######` and a space, in the
 * prose only. The front matter (between the first two `---`) and fenced code
 * hold `#` comments, which are not headings.
 */
export function headingRows(lines: readonly string[]): ReadonlySet<number> {
	const cached = headingCache.get(lines);
	if (cached) return cached;
	const rows = new Set<number>();
	let i = 0;
	if (lines[0]?.trim() === '---') {
		const end = lines.findIndex((l, j) => j > 0 && l.trim() === '---');
		i = end === -1 ? lines.length : end + 1;
	}
	let fence: string | undefined;
	for (; i < lines.length; i++) {
		const line = lines[i]!;
		const opens = /^\s{0,3}(```|~~~)/.exec(line)?.[1];
		if (opens) fence = fence === undefined ? opens : fence === opens ? undefined : fence;
		else if (fence === undefined && /^\s{0,3}#{1,6}(\s|$)/.test(line)) rows.add(i);
	}
	headingCache.set(lines, rows);
	return rows;
}

/** The visible display rows, with the cursor drawn as an inverse cell while editing. */
export function goalLines(buffer: Buffer, editing: boolean, rows: number): Line[] {
	const all = visualRows(buffer.lines, buffer.width);
	const cursor = cursorRow(buffer, all);
	const headings = headingRows(buffer.lines);
	const out: Line[] = [];
	for (let v = buffer.scroll; v < Math.min(all.length, buffer.scroll + rows); v++) {
		const r = all[v]!;
		const chars = Array.from(buffer.lines[r.row]!);
		const text = chars.slice(r.start, r.end);
		const heading = headings.has(r.row);
		const style = heading ? {bold: true, color: 'cyan'} : {};
		if (!editing || v !== cursor) {
			out.push([{text: shown(text), ...style}]);
			continue;
		}
		const at = buffer.col - r.start;
		out.push([
			{text: shown(text.slice(0, at)), ...style},
			{text: at < text.length ? shown([text[at]!]) : ' ', inverse: true},
			{text: shown(text.slice(at + 1)), ...style},
		]);
	}
	return out;
}

function clock(at: number): string {
	const d = new Date(at);
	return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}:${String(d.getSeconds()).padStart(2, '0')}`;
}

export const GoalEditor = memo(function GoalEditor({buffer, editing, status, editor, width, height, focused}: GoalEditorProps) {
	const rows = Math.max(0, height - 2);
	const parts: string[] = [];
	if (status?.kind === 'error') parts.push(status.message);
	else if (status?.kind === 'saving') parts.push('saving…');
	else if (buffer.dirty) parts.push(editing ? 'modified' : 'modified (Ctrl+S saves)');
	else if (status?.kind === 'saved') parts.push(`saved ${clock(status.at)}`);
	if (editing) parts.push('editing · Ctrl+S save · Esc done');
	else if (focused) parts.push(`Enter edit · e ${editor ?? '$EDITOR'}`);
	return (
		<Frame
			title={`${paneTitles.goal} · program.md`}
			info={parts.join(' · ')}
			width={width}
			height={height}
			focused={focused}
			lines={goalLines(buffer, editing, rows)}
		/>
	);
});
