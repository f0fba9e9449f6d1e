import {memo} from 'react';
import {Frame} from '../frame.js';
import type {Line} from '../text.js';

// The overlay that shows something to read in full: an experiment's diff
// and log, the change since the baseline, the memory digest, the morning
// view. Lines come ready (details.ts, summary.ts); this only scrolls them.

export type ViewerProps = {
	title: string;
	/** What the keys do here, at the right of the top edge. */
	keys: string;
	lines: readonly Line[];
	scroll: number;
	width: number;
	height: number;
};

/** Rows of text the viewer shows at this height. */
export const viewerRows = (height: number): number => Math.max(0, height - 2);

/** The furthest a viewer of this height scrolls. */
export function viewerMaxScroll(lines: number, height: number): number {
	return Math.max(0, lines - viewerRows(height));
}

export const Viewer = memo(function Viewer({title, keys, lines, scroll, width, height}: ViewerProps) {
	const rows = viewerRows(height);
	const start = Math.max(0, Math.min(scroll, viewerMaxScroll(lines.length, height)));
	const where = lines.length > rows ? `${start + 1}-${Math.min(lines.length, start + rows)} of ${lines.length} · ` : '';
	return <Frame title={title} info={`${where}${keys}`} width={width} height={height} focused lines={lines.slice(start, start + rows)} />;
});
