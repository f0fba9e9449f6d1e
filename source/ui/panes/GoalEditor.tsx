import React from 'react';
import {Frame} from '../frame.js';
import type {Buffer} from '../text-buffer.js';
import {cut, width as cells, type Line} from '../text.js';

export type GoalEditorProps = {
	buffer: Buffer;
	editing: boolean;
	width: number;
	height: number;
	focused: boolean;
};

/** The visible lines, with the cursor drawn as an inverse cell while editing; long lines scroll sideways. */
export function goalLines(buffer: Buffer, editing: boolean, inner: number, rows: number): Line[] {
	const out: Line[] = [];
	for (let r = buffer.scroll; r < Math.min(buffer.lines.length, buffer.scroll + rows); r++) {
		const text = buffer.lines[r]!;
		if (!editing || r !== buffer.row) {
			out.push([{text: cut(text, inner)}]);
			continue;
		}
		const chars = Array.from(text);
		const before = chars.slice(0, buffer.col).join('');
		const at = chars[buffer.col] ?? ' ';
		const after = chars.slice(buffer.col + 1).join('');
		// Keep the cursor on screen: drop cells from the left as needed.
		let shown = before;
		while (cells(shown) + cells(at) > inner && shown.length > 0) shown = Array.from(shown).slice(1).join('');
		out.push([{text: shown}, {text: at, inverse: true}, {text: after}]);
	}
	return out;
}

export function GoalEditor({buffer, editing, width, height, focused}: GoalEditorProps) {
	const rows = Math.max(0, height - 2);
	const info = editing ? `${buffer.dirty ? 'modified · ' : ''}Ctrl+S save · Esc done` : buffer.dirty ? 'modified (Ctrl+S to save)' : focused ? 'Enter edit · e $EDITOR' : '';
	return <Frame title="Goal · program.md" info={info} width={width} height={height} focused={focused} lines={goalLines(buffer, editing, Math.max(1, width - 2), rows)} />;
}
