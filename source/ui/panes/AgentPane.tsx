import {memo} from 'react';
import {Frame, useTheme} from '../frame.js';
import {paneTitles} from '../keys.js';
import {completions, usage} from '../slash.js';
import type {AgentEntry} from '../snapshot.js';
import {cutLeft, width as cellsOf, wrap, type Line} from '../text.js';

// The conversation with the loop: proposals as they stream, the edits as
// diffs, the chat, the loop's messages, and the input line with /command
// hints from the command table.

export type AgentPaneProps = {
	entries: readonly AgentEntry[];
	/** The input line's text and cursor (code points). */
	input: string;
	cursor: number;
	typing: boolean;
	/** What the proposer and the loop are doing, for the title. */
	activity?: string;
	/** Lines scrolled back from the newest. */
	scroll: number;
	width: number;
	height: number;
	focused: boolean;
};

const styleOf: Record<'user' | 'agent' | 'info' | 'warn' | 'error', {color?: string; dim?: boolean; prefix: string}> = {
	user: {color: 'cyan', prefix: 'you: '},
	agent: {color: 'green', prefix: 'agent: '},
	info: {dim: true, prefix: ''},
	warn: {color: 'yellow', prefix: 'warn: '},
	error: {color: 'red', prefix: 'error: '},
};

const maxDiffLines = 60;

/** One entry as lines `cells` wide. */
export function entryLines(entry: AgentEntry, cells: number): Line[] {
	const lines: Line[] = [];
	const body = Math.max(1, cells - 2);
	switch (entry.kind) {
		case 'proposal': {
			const who = `${entry.proposer}${entry.model ? ` ${entry.model}` : ''}`;
			lines.push([
				{
					text: `#${entry.n} ${entry.streaming ? 'proposing' : 'proposal'} (${who})${entry.streaming ? '…' : ''}`,
					color: 'magenta',
					bold: true,
				},
			]);
			const text = entry.text.trim();
			const thinking = entry.thinking.trim();
			if (entry.streaming) {
				// While it streams: the newest lines of the answer, or of the reasoning until the answer starts.
				const tail = (text !== '' ? wrap(text, body) : wrap(thinking, body)).slice(-8);
				for (const l of tail) lines.push([{text: `  ${l}`, dim: text === ''}]);
			} else if (text !== '') {
				const all = wrap(text, body);
				for (const l of all.slice(0, 3)) lines.push([{text: `  ${l}`, dim: true}]);
				if (all.length > 3) lines.push([{text: `  … ${all.length - 3} more lines`, dim: true}]);
			}
			return lines;
		}
		case 'edit': {
			lines.push([
				{text: `#${entry.n} edit: `, color: 'magenta', bold: true},
				{text: entry.description, bold: true},
			]);
			if (entry.rationale) for (const l of wrap(entry.rationale, body)) lines.push([{text: `  ${l}`, dim: true}]);
			const diff = entry.diff.split('\n').filter(d => d !== '' && !/^(\+\+\+|---|Index:|diff |index |={3,}$)/.test(d));
			for (const d of diff.slice(0, maxDiffLines)) {
				const color = d.startsWith('+') ? 'green' : d.startsWith('-') ? 'red' : d.startsWith('@@') ? 'cyan' : undefined;
				for (const l of wrap(d, body)) lines.push([{text: `  ${l}`, ...(color ? {color} : {dim: true})}]);
			}
			if (diff.length > maxDiffLines)
				lines.push([{text: `  … ${diff.length - maxDiffLines} more diff lines (runs/<n>/diff.patch)`, dim: true}]);
			return lines;
		}
		case 'user':
		case 'agent':
		case 'info':
		case 'warn':
		case 'error': {
			const style = styleOf[entry.kind];
			const text = `${style.prefix}${entry.text}${entry.kind === 'agent' && entry.streaming ? '…' : ''}`;
			for (const l of wrap(text, cells))
				lines.push([{text: l, ...(style.color ? {color: style.color} : {}), ...(style.dim ? {dim: true} : {})}]);
			return lines;
		}
	}
}

// Entries never change in place (the store replaces them), so their lines can be kept per width.
const cache = new WeakMap<AgentEntry, {cells: number; lines: Line[]}>();

/** Every entry as wrapped lines, oldest first. */
export function agentLines(entries: readonly AgentEntry[], cells: number): Line[] {
	const out: Line[] = [];
	for (const entry of entries) {
		let hit = cache.get(entry);
		if (!hit || hit.cells !== cells) {
			hit = {cells, lines: entryLines(entry, cells)};
			cache.set(entry, hit);
		}
		for (const l of hit.lines) out.push(l);
	}
	return out;
}

/** The input line: the cursor kept in view, the text before it cut at the left when it does not fit. */
export function inputLine(text: string, cursor: number, cells: number, typing: boolean, focused = true): Line {
	const prompt = {text: '> ', color: 'cyan', bold: true};
	const room = Math.max(1, cells - 2);
	const idle = focused
		? 'Enter: write to the agent (kept as a steering note) · / a command'
		: '/ a command · Tab here, Enter to write to the agent';
	if (!typing) return [prompt, {text: text === '' ? idle : text, dim: true}];
	const chars = Array.from(text);
	const at = chars[cursor] ?? ' ';
	let before = chars.slice(0, cursor).join('');
	const after = chars.slice(cursor + 1).join('');
	if (cellsOf(before) + cellsOf(at) > room) before = cutLeft(before, room - cellsOf(at));
	return [prompt, {text: before}, {text: at, inverse: true}, {text: after}];
}

export const AgentPane = memo(function AgentPane({
	entries,
	input,
	cursor,
	typing,
	activity,
	scroll,
	width,
	height,
	focused,
}: AgentPaneProps) {
	const theme = useTheme();
	const inner = Math.max(1, width - 2);
	const hints = typing ? completions(input) : [];
	const footer: Line[] = [];
	if (hints.length === 1) {
		const h = hints[0]!;
		footer.push([
			{text: usage(h), bold: true},
			{text: ` ${theme.unicode ? '—' : '-'} ${h.help}`, dim: true},
		]);
	} else if (hints.length > 1) {
		footer.push([
			{text: hints.map(h => h.name).join('  '), dim: true},
			{text: '  (Tab completes)', dim: true},
		]);
	}
	footer.push(inputLine(input, cursor, inner, typing, focused));
	const rows = Math.max(0, height - 2 - footer.length);
	const all = agentLines(entries, inner);
	const back = Math.max(0, Math.min(scroll, all.length - rows));
	const end = all.length - back;
	const body = all.slice(Math.max(0, end - rows), end);
	while (body.length < rows) body.unshift([]);
	const info = [activity, back > 0 ? `↑ ${back} · G newest` : undefined].filter(Boolean).join(' · ');
	return <Frame title={paneTitles.agent} info={info} width={width} height={height} focused={focused} lines={[...body, ...footer]} />;
});
