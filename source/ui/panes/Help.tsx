import {Frame} from '../frame.js';
import {bindings, scopeTitles, slashCommands, type Scope} from '../keys.js';
import type {Line} from '../text.js';

const order: Scope[] = ['global', 'goal', 'log', 'chart', 'agent', 'experiments', 'editor', 'input', 'field', 'always', 'quit', 'help'];

/** Generated from the key table and the slash commands: the one source of truth. */
export function helpLines(keyWidth = 18): Line[] {
	const lines: Line[] = [];
	for (const scope of order) {
		const entries = bindings.filter(b => b.scope === scope);
		if (entries.length === 0) continue;
		if (lines.length > 0) lines.push([]);
		lines.push([{text: scopeTitles[scope], bold: true, color: 'cyan'}]);
		for (const b of entries) lines.push([{text: `  ${b.keys.padEnd(keyWidth)}`, bold: true}, {text: b.help}]);
	}
	lines.push([]);
	lines.push([{text: 'Agent commands (type them in the Agent input; any other text is a steering note)', bold: true, color: 'cyan'}]);
	for (const c of slashCommands) lines.push([{text: `  ${`${c.name}${c.args ? ` ${c.args}` : ''}`.padEnd(keyWidth)}`, bold: true}, {text: c.help}]);
	return lines;
}

export function Help({width, height, scroll}: {width: number; height: number; scroll: number}) {
	const all = helpLines();
	const rows = Math.max(0, height - 2);
	const start = Math.max(0, Math.min(scroll, all.length - rows));
	const more = all.length > rows ? ` · ${start + 1}-${Math.min(all.length, start + rows)} of ${all.length} · j/k scroll` : '';
	return <Frame title="Help" info={`? or Esc closes${more}`} width={width} height={height} focused lines={all.slice(start, start + rows)} />;
}

/** Clamps a help scroll position to what there is. */
export function helpMaxScroll(height: number): number {
	return Math.max(0, helpLines().length - Math.max(0, height - 2));
}
