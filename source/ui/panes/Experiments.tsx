import React from 'react';
import type {Direction, ExperimentRecord} from '../../core/types.js';
import {Frame, useTheme} from '../frame.js';
import type {Experiment} from '../state.js';
import {type Line} from '../text.js';

export type ExperimentsProps = {
	experiments: readonly Experiment[];
	best?: ExperimentRecord;
	baseline?: ExperimentRecord;
	running?: {n: number; description: string};
	direction?: Direction;
	scroll: number;
	width: number;
	height: number;
	focused: boolean;
};

const statusColor = {keep: 'green', discard: 'yellow', crash: 'red'} as const;

export function experimentLines(props: Omit<ExperimentsProps, 'width' | 'height' | 'focused' | 'scroll'>, star: string): Line[] {
	const lines: Line[] = [];
	if (props.running) {
		lines.push([
			{text: `${String(props.running.n).padStart(3)} `},
			{text: 'running ', color: 'cyan'},
			{text: '        '},
			{text: ` ${props.running.description}`},
		]);
	}
	for (const e of [...props.experiments].reverse()) {
		const isBest = props.best?.commit === e.commit;
		const metric = e.metric === null ? '   —    ' : e.metric.toFixed(4).padStart(8);
		const delta =
			e.metric !== null && props.baseline?.metric != null && e.commit !== props.baseline.commit
				? ` ${e.metric - props.baseline.metric >= 0 ? '+' : ''}${(e.metric - props.baseline.metric).toFixed(4)}`
				: '';
		lines.push([
			{text: `${String(e.n).padStart(3)} `},
			{text: e.status.padEnd(7), color: statusColor[e.status], dim: e.status === 'discard'},
			{text: isBest ? `${star}` : ' ', color: 'green', bold: true},
			{text: metric, bold: isBest},
			{text: delta, dim: true},
			{text: ` ${e.description}`, dim: e.status !== 'keep'},
		]);
	}
	if (lines.length === 0) lines.push([{text: 'no experiments yet', dim: true}]);
	return lines;
}

export function Experiments(props: ExperimentsProps) {
	const theme = useTheme();
	const all = experimentLines(props, theme.unicode ? '★' : '*');
	const rows = Math.max(0, props.height - 2);
	const start = Math.max(0, Math.min(props.scroll, all.length - rows));
	const kept = props.experiments.filter(e => e.status === 'keep').length;
	const info = `${props.experiments.length} runs, ${kept} kept${props.direction ? `, ${props.direction} is better` : ''}`;
	return <Frame title="Experiments" info={info} width={props.width} height={props.height} focused={props.focused} lines={all.slice(start, start + rows)} />;
}
