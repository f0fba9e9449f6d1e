import {memo} from 'react';
import {formatDelta, formatMetric} from '../../core/metric.js';
import type {Direction, ExperimentRecord} from '../../core/types.js';
import {Frame, useTheme} from '../frame.js';
import {paneTitles} from '../keys.js';
import type {Experiment} from '../snapshot.js';
import {padStart, type Line} from '../text.js';

// The results table, newest first, the running experiment on top and the
// best marked: the morning-after view of what the night kept. Metrics are
// written by core's formatMetric, the one format the printer uses too.

export type ExperimentsProps = {
	experiments: readonly Experiment[];
	best?: ExperimentRecord;
	baseline?: ExperimentRecord;
	running?: {n: number; description: string};
	direction?: Direction;
	metric?: string;
	/** Rows scrolled down from the newest. */
	scroll: number;
	width: number;
	height: number;
	focused: boolean;
};

const statusColor = {keep: 'green', discard: 'yellow', crash: 'red', rerun: 'gray'} as const;

/** The table's lines, newest first: a header, the running experiment, then every result. */
export function experimentLines(
	props: Omit<ExperimentsProps, 'width' | 'height' | 'focused' | 'scroll'>,
	inner: number,
	star: string,
): Line[] {
	const wideEnough = inner >= 56;
	const metricName = props.metric ?? 'metric';
	const n = Math.max(3, String(Math.max(props.running?.n ?? 0, ...props.experiments.map(e => e.n))).length);
	const metricWidth = Math.max(7, ...props.experiments.map(e => (e.metric === null ? 1 : formatMetric(e.metric, 'short').length)));
	const header: Line = [
		{
			text: `${'#'.padStart(n)} ${'status'.padEnd(7)}  ${padStart(metricName, metricWidth)}${wideEnough ? ` ${(star === '*' ? 'vs base' : 'Δ base').padStart(metricWidth + 1)}` : ''}  description`,
			dim: true,
			bold: true,
		},
	];
	const lines: Line[] = [header];
	if (props.running) {
		lines.push([
			{text: `${String(props.running.n).padStart(n)} `},
			{text: 'running', color: 'cyan', bold: true},
			{text: `  ${' '.repeat(metricWidth)}${wideEnough ? ' '.repeat(metricWidth + 2) : ''}  `},
			{text: props.running.description},
		]);
	}
	const base = props.baseline?.metric ?? null;
	for (let i = props.experiments.length - 1; i >= 0; i--) {
		const e = props.experiments[i]!;
		const isBest = props.best !== undefined && props.best.commit === e.commit;
		const metric = e.metric === null ? '—' : formatMetric(e.metric, 'short');
		const delta = e.metric !== null && base !== null && e.commit !== props.baseline?.commit ? formatDelta(e.metric - base, 'short') : '';
		lines.push([
			{text: `${String(e.n).padStart(n)} `},
			{text: e.status.padEnd(7), color: statusColor[e.status], dim: e.status === 'discard'},
			{text: isBest ? ` ${star}` : '  ', color: 'green', bold: true},
			{text: padStart(metric, metricWidth), bold: isBest},
			...(wideEnough ? [{text: ` ${padStart(delta, metricWidth + 1)}`, dim: true}] : []),
			{text: `  ${e.description}`, dim: e.status !== 'keep'},
		]);
	}
	if (lines.length === 1) lines.push([{text: 'no experiments yet', dim: true}]);
	return lines;
}

export const Experiments = memo(function Experiments(props: ExperimentsProps) {
	const theme = useTheme();
	const inner = Math.max(1, props.width - 2);
	const [header, ...body] = experimentLines(props, inner, theme.unicode ? '★' : '*');
	const rows = Math.max(0, props.height - 3);
	const start = Math.max(0, Math.min(props.scroll, body.length - rows));
	const kept = props.experiments.filter(e => e.status === 'keep').length;
	const more = body.length > rows ? ` · ${start + 1}-${Math.min(body.length, start + rows)} of ${body.length}` : '';
	const info = `${props.experiments.length} run${props.experiments.length === 1 ? '' : 's'}, ${kept} kept${props.direction ? ` · ${props.direction} is better` : ''}${more}`;
	return (
		<Frame
			title={paneTitles.experiments}
			info={info}
			width={props.width}
			height={props.height}
			focused={props.focused}
			lines={[header!, ...body.slice(start, start + rows)]}
		/>
	);
});
