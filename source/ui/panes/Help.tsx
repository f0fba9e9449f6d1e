import {Frame} from '../frame.js';
import {bindingsByScope} from '../keys.js';
import {slashCommands, usage} from '../slash.js';
import {width as cellsOf, type Line} from '../text.js';

// The `?` overlay (and /help): drawn from the key table and the /command
// table themselves, as docs/TUI.md is, so it lists exactly what the keys and
// commands do.

const commandsTitle = 'Agent commands (type them in the Agent input; any other text is a steering note)';

/** Keys and commands in one column as wide as the longest, with two spaces before the help (never none). */
const keyColumn = (): number =>
	Math.max(...bindingsByScope().flatMap(g => g.bindings.map(b => cellsOf(b.keys))), ...slashCommands.map(c => cellsOf(usage(c)))) + 2;

export function helpLines(keyWidth = keyColumn()): Line[] {
	const lines: Line[] = [];
	for (const group of bindingsByScope()) {
		if (lines.length > 0) lines.push([]);
		lines.push([{text: group.title, bold: true, color: 'cyan'}]);
		for (const b of group.bindings) lines.push([{text: `  ${b.keys.padEnd(keyWidth)}`, bold: true}, {text: b.help}]);
	}
	lines.push([]);
	lines.push([{text: commandsTitle, bold: true, color: 'cyan'}]);
	for (const c of slashCommands) lines.push([{text: `  ${usage(c).padEnd(keyWidth)}`, bold: true}, {text: c.help}]);
	return lines;
}

export function Help({width, height, scroll}: {width: number; height: number; scroll: number}) {
	const all = helpLines();
	const rows = Math.max(0, height - 2);
	const start = Math.max(0, Math.min(scroll, all.length - rows));
	const more = all.length > rows ? ` · ${start + 1}-${Math.min(all.length, start + rows)} of ${all.length} · j/k scroll` : '';
	return (
		<Frame title="Help" info={`? or Esc closes${more}`} width={width} height={height} focused lines={all.slice(start, start + rows)} />
	);
}

/** Clamps a help scroll position to what there is. */
export function helpMaxScroll(height: number): number {
	return Math.max(0, helpLines().length - Math.max(0, height - 2));
}
