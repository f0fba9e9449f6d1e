import {Box} from 'ink';
import {memo} from 'react';
import {isIdle, type GpuReading, type LoopState} from '../../core/events.js';
import {formatDelta, formatMetric} from '../../core/metric.js';
import type {ExperimentRecord} from '../../core/types.js';
import {isWorking} from '../activity.js';
import {renderLine, Rows, useTheme} from '../frame.js';
import type {ProposerActivity, RunView, WorkerView} from '../snapshot.js';
import {width as cellsOf, type Line, type Segment} from '../text.js';

// The last row: what the loop is doing (on each worker, when there are
// several), the countdown, the best so far, the GPUs, and how many results
// came in since the person last looked. The countdown and the spinner move
// with the store's clock (`now`), which ticks only while something counts.

export {isWorking};

export type StatusBarProps = {
	state: LoopState;
	detail?: string;
	run?: Pick<RunView, 'n' | 'startedAt' | 'budgetSeconds'> & {queued?: string};
	/** Every worker, when there are several: each one's state instead of the one run. */
	workers?: readonly WorkerView[];
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
	/** Experiments decided since the person last looked. */
	fresh?: number;
	width: number;
};

export function clock(seconds: number): string {
	const s = Math.max(0, Math.round(seconds));
	const h = Math.floor(s / 3600);
	const m = Math.floor((s % 3600) / 60);
	return `${h > 0 ? `${h}:${String(m).padStart(2, '0')}` : m}:${String(s % 60).padStart(2, '0')}`;
}

const num = (x: number, digits = 0): string => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a');

/** Time left in a run's budget (negative: over it), counted in whole seconds gone, so it moves on the clock's ticks. */
const timeLeft = (run: {startedAt: number; budgetSeconds: number}, now: number): number =>
	run.budgetSeconds - Math.floor(Math.max(0, now - run.startedAt) / 1000);

const countdown = (left: number): string => (left >= 0 ? ` ${clock(left)} left` : ` +${clock(-left)} over budget (evaluating)`);

const gpuText = (g: GpuReading, label: string): string =>
	`${label} ${num(g.utilization)}% ${num(g.memoryUsedMb / 1024, 1)}/${num(g.memoryTotalMb / 1024, 0)}G ${num(g.temperatureC)}°C`;

/** Each worker: its run and countdown (or queued, with why), its GPU's reading when there is one. */
function workerSegments(workers: readonly WorkerView[], gpus: readonly GpuReading[], now: number): Line {
	const line: Line = [];
	for (const w of workers) {
		const gpu = w.gpu === undefined ? undefined : gpus.find(g => g.index === w.gpu);
		const reading = gpu ? ` ${num(gpu.utilization)}% ${num(gpu.memoryUsedMb / 1024, 0)}G` : '';
		line.push({text: ` · ${w.name} `, bold: true});
		if (!w.run) line.push({text: 'idle', color: 'yellow'});
		else if (w.run.queued !== undefined) line.push({text: `#${w.run.n} queued: ${w.run.queued}`, color: 'yellow'});
		else line.push({text: `#${w.run.n}`, color: 'cyan'}, {text: countdown(timeLeft(w.run, now)).replace(' left', '')});
		if (reading) line.push({text: reading, dim: true});
	}
	return line;
}

/** The status line's segments (the spinner is drawn before them). */
export function statusLine(p: Omit<StatusBarProps, 'width'>): {left: Line; right: Line} {
	const left: Line = [];
	const stateColor = p.state === 'done' ? 'gray' : isIdle(p.state) ? 'yellow' : 'cyan';
	const several = p.workers !== undefined && p.workers.length > 1;
	if (several) {
		left.push({text: p.state, bold: true, color: stateColor});
		if (p.state === 'stopping' || isIdle(p.state)) if (p.detail) left.push({text: `: ${p.detail}`, color: stateColor});
		left.push(...workerSegments(p.workers!, p.gpus, p.now));
	} else if (p.run?.queued !== undefined) {
		left.push({text: `queued #${p.run.n}`, bold: true, color: 'yellow'}, {text: `: ${p.run.queued}`, color: 'yellow'});
	} else if (p.run) {
		left.push({text: `running #${p.run.n}`, bold: true, color: stateColor});
		left.push({text: countdown(timeLeft(p.run, p.now))});
		if (p.state === 'stopping') left.push({text: ` · ${p.detail ?? 'stopping'}`, color: 'yellow'});
	} else {
		left.push({text: p.state, bold: true, color: stateColor});
		if (p.detail) left.push({text: `: ${p.detail}`, color: stateColor});
	}
	if (p.proposer && (p.run || p.state !== 'proposing' || p.proposer.phase !== 'waiting')) {
		left.push({text: ` · #${p.proposer.n} ${p.proposer.phase}`, color: 'magenta'});
	}
	if (p.fresh) left.push({text: ` · ${p.fresh} new (s)`, color: 'yellow', bold: true});
	if (p.best?.metric != null) {
		const base = p.baseline?.metric;
		const delta = base != null && p.best.n !== p.baseline?.n ? ` (${formatDelta(p.best.metric - base, 'short')})` : '';
		left.push({text: ` · best ${p.metric ?? 'metric'} ${formatMetric(p.best.metric, 'short')}${delta}`, color: 'green'});
	}
	// GPUs the workers did not show (one worker, or GPUs no worker names).
	const named = new Set(several ? p.workers!.flatMap(w => (w.gpu === undefined ? [] : [w.gpu])) : []);
	const rest = p.gpus.filter(g => !named.has(g.index));
	for (const g of rest) left.push({text: ` · ${gpuText(g, p.gpus.length > 1 ? `GPU${g.index}` : 'GPU')}`});
	const right: Line = [{text: p.hint ?? 'Tab pane · ? help · q quit', dim: true}];
	return {left, right};
}

const spinnerFrames = {unicode: ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'], ascii: ['-', '~', '=', '~']};

/** The spinner's frame: one a second, on the store's clock (a turn a second shows life and costs one small frame). */
function spinnerFrame(now: number, unicode: boolean): string {
	const frames = unicode ? spinnerFrames.unicode : spinnerFrames.ascii;
	return frames[Math.floor(now / 1000) % frames.length]!;
}

export const StatusBar = memo(function StatusBar(props: StatusBarProps) {
	const theme = useTheme();
	const working = isWorking(props) && !(props.workers && props.workers.some(w => w.run));
	const spinner: Line = working ? [{text: `${spinnerFrame(props.now, theme.unicode)} `, color: 'cyan'}] : [];
	const {left, right} = statusLine(props);
	const flash: Segment[] = props.flash ? [{text: props.flash, color: 'yellow', bold: true}, {text: ' · '}] : [];
	const head = [...spinner, ...flash, ...left];
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
