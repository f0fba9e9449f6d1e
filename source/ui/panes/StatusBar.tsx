import {Box} from 'ink';
import {memo, useEffect, useState} from 'react';
import {isIdle, type GpuReading, type LoopState} from '../../core/events.js';
import {formatDelta, formatMetric} from '../../core/metric.js';
import type {ExperimentRecord} from '../../core/types.js';
import {renderLine, Rows, useTheme} from '../frame.js';
import type {ProposerActivity} from '../snapshot.js';
import {width as cellsOf, type Line} from '../text.js';

// The last row: what the loop is doing, the countdown, the best so far and
// the GPUs. It is the one pane that redraws on a timer (the countdown, the
// spinner), so both tick only while there is something to show.

export type StatusBarProps = {
	state: LoopState;
	detail?: string;
	run?: {n: number; startedAt: number; budgetSeconds: number};
	proposer?: ProposerActivity;
	/** Wall clock for the countdown; it only moves while a run is in progress. */
	now: number;
	best?: ExperimentRecord;
	baseline?: ExperimentRecord;
	metric?: string;
	gpus: readonly GpuReading[];
	hint?: string;
	/** A message that must be seen (the Ctrl+C warning): first on the line, whatever else has to go. */
	flash?: string;
	width: number;
};

export function clock(seconds: number): string {
	const s = Math.max(0, Math.round(seconds));
	const h = Math.floor(s / 3600);
	const m = Math.floor((s % 3600) / 60);
	return `${h > 0 ? `${h}:${String(m).padStart(2, '0')}` : m}:${String(s % 60).padStart(2, '0')}`;
}

const num = (x: number, digits = 0): string => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a');

/** True while the loop is busy with something that has no countdown: the spinner turns. */
export function isWorking(p: Pick<StatusBarProps, 'state' | 'run' | 'proposer'>): boolean {
	return !p.run && (p.state === 'proposing' || p.state === 'starting' || p.state === 'stopping' || p.proposer !== undefined);
}

/** The status line's segments (the spinner is drawn before them). */
export function statusLine(p: Omit<StatusBarProps, 'width'>): {left: Line; right: Line} {
	const left: Line = [];
	const stateColor = p.state === 'done' ? 'gray' : isIdle(p.state) ? 'yellow' : 'cyan';
	if (p.run) {
		left.push({text: `running #${p.run.n}`, bold: true, color: stateColor});
		const left_ = p.run.budgetSeconds - (p.now - p.run.startedAt) / 1000;
		left.push({text: left_ >= 0 ? ` ${clock(left_)} left` : ` +${clock(-left_)} over budget (evaluating)`});
		if (p.state === 'stopping') left.push({text: ` · ${p.detail ?? 'stopping'}`, color: 'yellow'});
	} else {
		left.push({text: p.state, bold: true, color: stateColor});
		if (p.detail) left.push({text: `: ${p.detail}`, color: stateColor});
	}
	if (p.proposer && (p.run || p.state !== 'proposing' || p.proposer.phase !== 'waiting')) {
		left.push({text: ` · #${p.proposer.n} ${p.proposer.phase}`, color: 'magenta'});
	}
	if (p.best?.metric != null) {
		const base = p.baseline?.metric;
		const delta = base != null && p.best.commit !== p.baseline?.commit ? ` (${formatDelta(p.best.metric - base, 'short')})` : '';
		left.push({text: ` · best ${p.metric ?? 'metric'} ${formatMetric(p.best.metric, 'short')}${delta}`, color: 'green'});
	}
	for (const g of p.gpus) {
		const label = p.gpus.length > 1 ? `GPU${g.index}` : 'GPU';
		left.push({
			text: ` · ${label} ${num(g.utilization)}% ${num(g.memoryUsedMb / 1024, 1)}/${num(g.memoryTotalMb / 1024, 0)}G ${num(g.temperatureC)}°C`,
		});
	}
	const right: Line = [{text: p.hint ?? 'Tab pane · ? help · q quit', dim: true}];
	return {left, right};
}

const spinnerFrames = {unicode: ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'], ascii: ['-', '\\', '|', '/']};
/** Four frames a second: enough to show life, little to send over SSH. */
export const spinnerMs = 250;

/** A counter that moves every `ms` while `active`; no timer at all otherwise. */
function useTicker(active: boolean, ms: number): number {
	const [tick, setTick] = useState(0);
	useEffect(() => {
		if (!active) return;
		const timer = setInterval(() => setTick(t => t + 1), ms);
		return () => clearInterval(timer);
	}, [active, ms]);
	return tick;
}

export const StatusBar = memo(function StatusBar(props: StatusBarProps) {
	const theme = useTheme();
	const working = isWorking(props);
	const tick = useTicker(working, spinnerMs);
	const frames = theme.unicode ? spinnerFrames.unicode : spinnerFrames.ascii;
	const spinner: Line = working ? [{text: `${frames[tick % frames.length]!} `, color: 'cyan'}] : [];
	const {left, right} = statusLine(props);
	const head = [...spinner, ...(props.flash ? [{text: props.flash, color: 'yellow', bold: true}, {text: ' · '}] : []), ...left];
	const room = Math.max(0, props.width);
	const leftCells = head.reduce((sum, s) => sum + cellsOf(s.text), 0);
	const rightCells = right.reduce((sum, s) => sum + cellsOf(s.text), 0);
	// The key hint follows when there is room for it (left-aligned: trailing blanks cost nothing to send), and goes first when there is not.
	const line = leftCells + rightCells + 3 <= room ? [...head, {text: '   '}, ...right] : head;
	return (
		<Box width={props.width} height={1} flexShrink={0}>
			<Rows rows={[renderLine(line, room, theme)]} width={room} height={1} />
		</Box>
	);
});
