import Spinner from 'ink-spinner';
import {Box, Text} from 'ink';
import React from 'react';
import type {GpuReading, LoopState} from '../../core/events.js';
import type {ExperimentRecord} from '../../core/types.js';
import {useTheme} from '../frame.js';
import {cut, fitLine, type Line} from '../text.js';

export type StatusBarProps = {
	state: LoopState;
	detail?: string;
	run?: {n: number; startedAt: number; budgetSeconds: number};
	now: number;
	best?: ExperimentRecord;
	baseline?: ExperimentRecord;
	metric?: string;
	gpus: readonly GpuReading[];
	hint?: string;
	width: number;
};

function clock(seconds: number): string {
	const s = Math.max(0, Math.round(seconds));
	return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** The status line's segments, without the spinner. */
export function statusLine(p: Omit<StatusBarProps, 'width'>): Line {
	const parts: Line = [];
	const state = p.run ? `running #${p.run.n}` : p.detail && p.state !== 'running' ? `${p.state}: ${p.detail}` : p.state;
	parts.push({text: state, bold: true, color: p.state === 'paused' || p.state === 'waiting' ? 'yellow' : p.state === 'done' ? 'gray' : 'cyan'});
	if (p.run) {
		const left = p.run.budgetSeconds - (p.now - p.run.startedAt) / 1000;
		parts.push({text: left >= 0 ? ` · ${clock(left)} left` : ` · ${clock(-left)} over budget (evaluating)`});
	}
	if (p.best?.metric != null) {
		const delta = p.baseline?.metric != null && p.best.commit !== p.baseline.commit ? ` (${p.best.metric - p.baseline.metric >= 0 ? '+' : ''}${(p.best.metric - p.baseline.metric).toFixed(4)} vs baseline)` : '';
		parts.push({text: ` · best ${p.metric ?? 'metric'} ${p.best.metric.toFixed(4)}${delta}`, color: 'green'});
	}
	for (const g of p.gpus) {
		parts.push({text: ` · GPU${p.gpus.length > 1 ? g.index : ''} ${g.utilization}% ${(g.memoryUsedMb / 1024).toFixed(1)}/${(g.memoryTotalMb / 1024).toFixed(0)}G ${g.temperatureC}°C`});
	}
	parts.push({text: ` · ${p.hint ?? 'Tab focus · ? help · q quit'}`, dim: true});
	return parts;
}

export function StatusBar(props: StatusBarProps) {
	const theme = useTheme();
	const working = props.state === 'proposing' || props.state === 'starting' || props.state === 'stopping';
	const ticking = props.run !== undefined;
	const lead = working ? 2 : ticking ? 2 : 0;
	const line = fitLine(statusLine(props), Math.max(0, props.width - lead));
	return (
		<Box width={props.width} height={1}>
			{working && theme.unicode ? (
				<Text color={theme.color ? 'cyan' : undefined}>
					<Spinner type="dots" />{' '}
				</Text>
			) : null}
			{working && !theme.unicode ? <Text>* </Text> : null}
			{!working && ticking ? <Text color={theme.color ? 'cyan' : undefined}>{theme.unicode ? ['◐ ', '◓ ', '◑ ', '◒ '][Math.floor(props.now / 1000) % 4] : '* '}</Text> : null}
			<Text wrap="truncate">
				{line.map((s, i) => (
					<Text key={i} color={theme.color ? s.color : undefined} bold={theme.color ? s.bold : false} dimColor={theme.color ? s.dim : false}>
						{cut(s.text, props.width)}
					</Text>
				))}
			</Text>
		</Box>
	);
}
