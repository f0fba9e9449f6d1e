import {memo} from 'react';
import type {Direction} from '../../core/types.js';
import {table, tableRows, type TableInput} from '../experiment-table.js';
import {Frame, useTheme} from '../frame.js';
import {paneTitles} from '../keys.js';
import type {Line} from '../text.js';

// The results table, newest first, the runs in progress on top and the best
// marked: the morning-after view of what the night kept. With focus, a
// selected row (j/k) that Enter opens. Rows and columns: experiment-table.ts.

export type ExperimentsProps = TableInput & {
	direction?: Direction;
	/** Rows scrolled down from the newest. */
	scroll: number;
	/** The selected row (an index into tableRows), drawn in inverse while the pane has focus. */
	selected?: number;
	width: number;
	height: number;
	focused: boolean;
};

/** Rows of results the pane shows at this height (below its header). */
export const experimentRows = (height: number): number => Math.max(0, height - 3);

/** The first row shown: `scroll`, moved as little as needed to show the selected row. */
export function firstShown(scroll: number, selected: number | undefined, rows: number, total: number): number {
	let start = Math.max(0, Math.min(scroll, total - rows));
	if (selected !== undefined && rows > 0) start = Math.max(Math.min(start, selected), selected - rows + 1, 0);
	return start;
}

export const Experiments = memo(function Experiments(props: ExperimentsProps) {
	const theme = useTheme();
	const inner = Math.max(1, props.width - 2);
	const all = tableRows(props);
	const rows = experimentRows(props.height);
	const selected = props.focused && props.selected !== undefined && all.length > 0 ? Math.min(props.selected, all.length - 1) : undefined;
	const start = firstShown(props.scroll, selected, rows, all.length);
	const visible = all.slice(start, start + rows);
	const t = table(props, visible, inner, theme.unicode);
	const body: Line[] = visible.map((row, i) => t.line(row, start + i === selected));
	if (all.length === 0) body.push([{text: 'no experiments yet', dim: true}]);
	const decided = props.experiments.filter(e => e.status !== 'rerun');
	const kept = decided.filter(e => e.status === 'keep').length;
	const more = all.length > rows ? ` · ${start + 1}-${Math.min(all.length, start + rows)} of ${all.length}` : '';
	const hint = props.focused && all.length > 0 ? ' · Enter opens' : '';
	const info = `${decided.length} run${decided.length === 1 ? '' : 's'}, ${kept} kept${props.direction ? ` · ${props.direction} is better` : ''}${more}${hint}`;
	return (
		<Frame
			title={paneTitles.experiments}
			info={info}
			width={props.width}
			height={props.height}
			focused={props.focused}
			lines={[t.header, ...body]}
		/>
	);
});
