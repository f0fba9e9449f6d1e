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

/** Diff lines an edit shows at most; the rest is a count (Enter on its row in Experiments shows it all). */
const maxDiffLines = 12;
/** Rationale lines an edit shows at most. */
const maxRationaleLines = 4;

/** One entry as lines `cells` wide; `room` is the rows the pane has, so an edit's diff never pushes its header out of view. */
export function entryLines(entry: AgentEntry, cells: number, room = 60): Line[] {
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
				...(entry.proposer ? [{text: ` · ${entry.proposer}`, dim: true}] : []),
			]);
			// The header and the rationale stay in view above the diff: in a short pane, the rationale gets what room allows.
			const rationale = entry.rationale ? wrap(entry.rationale, body) : [];
			const rationaleRoom = Math.max(1, Math.min(maxRationaleLines, room - 3));
			rationale.slice(0, rationaleRoom).forEach((l, i) => {
				const cut = i === rationaleRoom - 1 && rationale.length > rationaleRoom;
				lines.push([{text: `  ${l}${cut ? ' …' : ''}`, dim: true}]);
			});
			const diff = entry.diff.split('\n').filter(d => d !== '' && !/^(\+\+\+|---|Index:|diff |index |={3,}$)/.test(d));
			// The diff gets what is left (at least a line), and a count of the rest.
			const cap = Math.max(1, Math.min(maxDiffLines, room - lines.length - 1));
			const shown: Line[] = [];
			for (const d of diff) {
				const color = d.startsWith('+') ? 'green' : d.startsWith('-') ? 'red' : d.startsWith('@@') ? 'cyan' : undefined;
				for (const l of wrap(d, body)) shown.push([{text: `  ${l}`, ...(color ? {color} : {dim: true})}]);
			}
			lines.push(...shown.slice(0, cap));
			if (shown.length > cap)
				lines.push([{text: `  … ${shown.length - cap} more diff lines (Enter on #${entry.n} in Experiments)`, dim: true}]);
			return lines;
		}
		case 'user':
		case 'agent':
		case 'info':
		case 'warn':
		case 'error': {
			const style = styleOf[entry.kind];
			const text = `${style.prefix}${entry.text}${entry.kind === 'agent' && entry.streaming ? '…' : ''}`;
			const look = {...(style.color ? {color: style.color} : {}), ...(style.dim ? {dim: true} : {})};
			// A summary is one line, cut to the pane; anything else wraps.
			if ('brief' in entry && entry.brief) return [[{text: text.replace(/\s+/g, ' '), ...look}]];
			for (const l of wrap(text, cells)) lines.push([{text: l, ...look}]);
			if (entry.kind === 'user' && isQuestion(entry.text)) lines.push([{text: '  (a question: answered, not kept as a note)', dim: true}]);
			return lines;
		}
	}
}

/** A line that ends in `?` is a question: the loop answers it and keeps no steering note. */
export const isQuestion = (text: string): boolean => text.trim().endsWith('?');

// Entries never change in place (the store replaces them), so their lines can be kept per width and room.
const cache = new WeakMap<AgentEntry, {cells: number; room: number; lines: Line[]}>();

/** Every entry as wrapped lines, oldest first. */
export function agentLines(entries: readonly AgentEntry[], cells: number, room = 60): Line[] {
	const out: Line[] = [];
	for (const entry of entries) {
		let hit = cache.get(entry);
		if (!hit || hit.cells !== cells || hit.room !== room) {
			hit = {cells, room, lines: entryLines(entry, cells, room)};
			cache.set(entry, hit);
		}
		for (const l of hit.lines) out.push(l);
	}
	return out;
}

/** Rows of conversation the pane shows above its footer. */
const bodyRows = (height: number, footer: number): number => Math.max(0, height - 2 - footer);

/** Rows under the conversation: the input line, and a hint above it while typing a /command or a question. */
export function agentFooterRows(input: string, typing: boolean): number {
	return 1 + (typing && (completions(input).length > 0 || isQuestion(input)) ? 1 : 0);
}

/** The furthest back the pane scrolls (lines above the newest screenful). */
export function agentMaxScroll(entries: readonly AgentEntry[], width: number, height: number, footer: number): number {
	const rows = bodyRows(height, footer);
	return Math.max(0, agentLines(entries, Math.max(1, width - 2), rows).length - rows);
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
		footer.push([{text: `Tab completes: ${hints.map(h => h.name).join(' ')}`, dim: true}]);
	} else if (typing && isQuestion(input))
		footer.push([{text: 'Enter asks: the agent answers; a question is not kept as a note', dim: true}]);
	footer.push(inputLine(input, cursor, inner, typing, focused));
	const rows = bodyRows(height, footer.length);
	const all = agentLines(entries, inner, rows);
	const back = Math.max(0, Math.min(scroll, all.length - rows));
	const end = all.length - back;
	const body = all.slice(Math.max(0, end - rows), end);
	while (body.length < rows) body.unshift([]);
	const info = [activity, back > 0 ? `↑ ${back} · G newest` : undefined].filter(Boolean).join(' · ');
	return <Frame title={paneTitles.agent} info={info} width={width} height={height} focused={focused} lines={[...body, ...footer]} />;
});
