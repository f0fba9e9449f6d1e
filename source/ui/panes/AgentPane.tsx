import React from 'react';
import {completions} from '../keys.js';
import {Frame} from '../frame.js';
import type {AgentEntry} from '../state.js';
import {wrap, type Line} from '../text.js';

export type AgentPaneProps = {
	entries: readonly AgentEntry[];
	input: string;
	typing: boolean;
	activity?: string;
	/** Lines scrolled back from the newest. */
	scroll: number;
	width: number;
	height: number;
	focused: boolean;
};

const styleOf: Record<AgentEntry['kind'], {color?: string; dim?: boolean; prefix: string}> = {
	proposal: {color: 'magenta', prefix: ''},
	edit: {color: 'magenta', prefix: ''},
	user: {color: 'cyan', prefix: 'you: '},
	agent: {color: 'green', prefix: 'agent: '},
	info: {dim: true, prefix: ''},
	warn: {color: 'yellow', prefix: 'warn: '},
	error: {color: 'red', prefix: 'error: '},
};

/** Every entry as wrapped lines, oldest first; a streaming proposal shows its newest lines. */
export function agentLines(entries: readonly AgentEntry[], cells: number): Line[] {
	const lines: Line[] = [];
	for (const entry of entries) {
		const style = styleOf[entry.kind];
		if (entry.kind === 'proposal') {
			const head = `#${entry.n} ${entry.streaming ? 'proposing' : 'proposal'} (${entry.proposer}${entry.model ? ` ${entry.model}` : ''})${entry.streaming ? '…' : ''}`;
			lines.push([{text: head, color: 'magenta', bold: true}]);
			if (entry.text.trim() !== '') {
				const body = wrap(entry.text.trimEnd(), Math.max(1, cells - 2));
				for (const l of entry.streaming ? body.slice(-8) : body.slice(0, 3)) lines.push([{text: `  ${l}`, dim: !entry.streaming}]);
				if (!entry.streaming && body.length > 3) lines.push([{text: `  … ${body.length - 3} more lines`, dim: true}]);
			}
			continue;
		}
		if (entry.kind === 'edit') {
			lines.push([{text: `#${entry.n} edit: `, color: 'magenta', bold: true}, {text: entry.description}]);
			for (const d of entry.diff.split('\n')) {
				if (/^(\+\+\+|---|Index|=+$)/.test(d) || d === '') continue;
				const color = d.startsWith('+') ? 'green' : d.startsWith('-') ? 'red' : d.startsWith('@@') ? 'cyan' : undefined;
				for (const l of wrap(d, Math.max(1, cells - 2))) lines.push([{text: `  ${l}`, ...(color ? {color} : {dim: true})}]);
			}
			continue;
		}
		const text = `${style.prefix}${entry.text}${entry.kind === 'agent' && entry.streaming ? '…' : ''}`;
		for (const l of wrap(text, cells)) lines.push([{text: l, ...(style.color ? {color: style.color} : {}), ...(style.dim ? {dim: true} : {})}]);
	}
	return lines;
}

export function AgentPane({entries, input, typing, activity, scroll, width, height, focused}: AgentPaneProps) {
	const inner = Math.max(1, width - 2);
	const hints = typing ? completions(input) : [];
	const footer: Line[] = [];
	if (hints.length > 0) footer.push([{text: hints.map(h => `${h.name}${h.args ? ` ${h.args}` : ''}: ${h.help}`).join(' · '), dim: true}]);
	footer.push(
		typing
			? [{text: '> ', color: 'cyan', bold: true}, {text: input}, {text: ' ', inverse: true}]
			: [{text: focused ? '> Enter to type a message or a /command' : '> Tab here, then Enter, to talk to the agent', dim: true}],
	);
	const rows = Math.max(0, height - 2 - footer.length);
	const all = agentLines(entries, inner);
	const end = Math.max(0, all.length - Math.max(0, Math.min(scroll, all.length - rows)));
	const body = all.slice(Math.max(0, end - rows), end);
	while (body.length < rows) body.unshift([]);
	return <Frame title="Agent" info={activity} width={width} height={height} focused={focused} lines={[...body, ...footer]} />;
}
