import React from 'react';
import {Frame} from '../frame.js';
import {bindings, slashCommands, type Scope} from '../keys.js';
import type {Line} from '../text.js';

const scopeName: Record<Scope, string> = {
	global: 'anywhere',
	typing: 'while typing',
	goal: 'Goal pane',
	log: 'Training pane',
	chart: 'Loss pane',
	agent: 'Agent pane',
	experiments: 'Experiments pane',
};

/** Generated from the key table and the slash commands: the one source of truth. */
export function helpLines(): Line[] {
	const lines: Line[] = [];
	const scopes = [...new Set(bindings.map(b => b.scope))];
	for (const scope of scopes) {
		lines.push([{text: scopeName[scope], bold: true, color: 'cyan'}]);
		for (const b of bindings.filter(x => x.scope === scope)) lines.push([{text: `  ${b.keys.padEnd(14)}`, bold: true}, {text: b.help}]);
	}
	lines.push([{text: 'Agent commands (type in the Agent pane; plain text becomes a steering note)', bold: true, color: 'cyan'}]);
	for (const c of slashCommands) lines.push([{text: `  ${`${c.name}${c.args ? ` ${c.args}` : ''}`.padEnd(22)}`, bold: true}, {text: c.help}]);
	return lines;
}

export function Help({width, height, scroll}: {width: number; height: number; scroll: number}) {
	const all = helpLines();
	const rows = Math.max(0, height - 2);
	const start = Math.max(0, Math.min(scroll, all.length - rows));
	return <Frame title="Help" info="? or Esc to close · j/k scroll" width={width} height={height} focused lines={all.slice(start, start + rows)} />;
}
