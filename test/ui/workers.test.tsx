import type React from 'react';
import {afterEach, describe, expect, it} from 'vitest';
import type {GpuReading, LoopEvent} from '../../source/core/events.js';
import type {ExperimentRecord} from '../../source/core/types.js';
import {Experiments} from '../../source/ui/panes/Experiments.js';
import {StatusBar, statusLine} from '../../source/ui/panes/StatusBar.js';
import type {Experiment, WorkerView} from '../../source/ui/snapshot.js';
import {UiStore} from '../../source/ui/state.js';
import {cleanupAll, draw, expectStraight, keys, mount, record, session} from './helpers.js';

// Several workers, re-runs and verdicts against the best: each row says
// which worker ran it, a re-run is a dimmed row of its own, a judged row
// shows its difference from the best and the noise band, the best marker
// goes where the events say the best is; Training and Loss follow one
// worker (w switches); the status line says what each worker does.

const unmounts: Array<() => void> = [];
afterEach(() => {
	for (const u of unmounts.splice(0)) u();
	cleanupAll();
});
function show(node: React.ReactElement, theme = {color: true, unicode: true}) {
	const result = draw(node, theme);
	unmounts.push(result.unmount);
	return result;
}

const exp = (r: ExperimentRecord, seconds = 60): Experiment => ({...r, seconds});
const judged = (n: number, metric: number, status: ExperimentRecord['status'], extra: Partial<ExperimentRecord>) =>
	exp({...record(n, `c${n}`.padEnd(7, '0'), metric, status, `LEARNING_RATE ${n}e-3 -> ${n + 1}e-3`), ...extra});

const night: Experiment[] = [
	exp({...record(1, 'aaaaaaa', 1.05, 'keep', 'baseline'), worker: 'w0', budget: 300}),
	judged(2, 1.038, 'keep', {worker: 'w1', delta: -0.012, band: 0.006, runs: 3, budget: 300}),
	// The re-runs of #2 share its commit: neither carries the best marker.
	exp({...record(3, 'c2'.padEnd(7, '0'), 1.04, 'rerun', 'LEARNING_RATE 2e-3 -> 3e-3'), of: 2, worker: 'w0', budget: 300}),
	judged(4, 1.041, 'discard', {worker: 'w1', delta: 0.003, band: 0.006, budget: 300}),
	judged(5, 1.03, 'keep', {worker: 'w0', delta: -0.008, band: 0.006, overruled: true, budget: 300}),
	exp({...record(6, 'c6'.padEnd(7, '0'), null, 'crash', 'DEPTH 2 -> 3'), reason: 'stopped by hand', worker: 'w1', budget: 120}),
];

describe('the Experiments pane with workers and verdicts', () => {
	it('shows the worker, re-runs dimmed, a budget that differs, and the difference from the best with its band and runs', () => {
		const {frame, raw} = show(
			<Experiments
				experiments={night}
				best={night[1]}
				baseline={night[0]}
				runs={[{n: 7, commit: 'c7', description: 'WARMUP 10 -> 50', startedAt: 0, budgetSeconds: 300, worker: 'w0'}]}
				workers={2}
				budgetSeconds={300}
				metric="val_bpb"
				direction="lower"
				scroll={0}
				width={110}
				height={12}
				focused={false}
			/>,
		);
		const row = (n: number) => frame.split('\n').find(l => new RegExp(`^[│║]\\s*${n} `).test(l))!;
		expect(frame).toMatch(/#\s+w\s+status/);
		expect(frame).toContain('vs best');
		expect(row(7)).toMatch(/7 w0 running/);
		expect(row(2)).toMatch(/2 w1 keep\s+★ 1\.0380\s+-0\.012±0\.006 ×3\s+LEARNING_RATE 2e-3 -> 3e-3/);
		expect(row(3)).toMatch(/3 w0 re-run\s+1\.0400\s+re-run of #2/);
		expect(row(3)).not.toContain('★');
		expect(row(4)).toMatch(/4 w1 discard\s+1\.0410\s+\+0\.003±0\.006/);
		expect(row(5)).toMatch(/5 w0 keep!\s+1\.0300/);
		expect(row(5)).not.toContain('★');
		expect(row(6)).toMatch(/6 w1 stopped\s+—\s+DEPTH 2 -> 3 @120s/);
		// Re-runs are dim; a run stopped by hand is not painted as a crash.
		const rawRow = (text: string) => raw.split('\n').find(l => l.includes(text))!;
		expect(rawRow('re-run of #2')).toMatch(/\u001b\[2m[^\u001b]*re-run/);
		expect(rawRow('stopped')).not.toContain('\u001b[31m');
		expect(rawRow('stopped')).toContain('\u001b[35m');
		expectStraight(frame, 110);
	});

	it('marks only the best the events carry, never a re-run or a discard of its commit', () => {
		const discardOfBest = exp({...record(8, 'c2'.padEnd(7, '0'), 1.1, 'discard', 'same commit as the best')});
		const {frame} = show(
			<Experiments experiments={[...night, discardOfBest]} best={night[1]} scroll={0} width={90} height={14} focused={false} />,
		);
		expect(frame.match(/★/g)).toHaveLength(1);
		expect(frame).toMatch(/2 keep\s+★/);
	});

	it('shows a pending Slurm job as queued with its reason, and an experiment waiting for its re-runs', () => {
		const {frame} = show(
			<Experiments
				experiments={night.slice(0, 2)}
				runs={[{n: 9, commit: '', description: '', startedAt: 0, budgetSeconds: 0, worker: 'w1', queued: 'Priority'}]}
				pending={[{n: 8, metric: 1.02, detail: 'close to the best: 2 more runs', description: 'WIDTH 128 -> 256'}]}
				workers={2}
				scroll={0}
				width={100}
				height={8}
				focused={false}
			/>,
		);
		expect(frame).toMatch(/9 w1 queued .*\(queued: Priority\)/);
		expect(frame).toMatch(/8\s+judging\s+1\.0200\s+.*WIDTH 128 -> 256 \(waiting for its re-runs\)/);
	});
});

describe('the status line with workers', () => {
	const gpu = (index: number, utilization: number): GpuReading => ({
		index,
		name: 'H100',
		utilization,
		memoryUsedMb: 40960,
		memoryTotalMb: 81920,
		temperatureC: 60,
	});
	it("says what each worker does, with its GPU's reading, and a queued job's reason", () => {
		const now = 1_000_000;
		const workers: WorkerView[] = [
			{name: 'w0', gpu: 0, run: {n: 7, commit: 'c', description: '', startedAt: now - 30_000, budgetSeconds: 300, worker: 'w0'}},
			{name: 'w1', gpu: 1, run: {n: 8, commit: '', description: '', startedAt: now, budgetSeconds: 0, worker: 'w1', queued: 'Resources'}},
			{name: 'w2'},
		];
		const {left} = statusLine({state: 'running', now, workers, gpus: [gpu(0, 97), gpu(1, 3)]});
		const text = left.map(s => s.text).join('');
		expect(text).toContain('w0 #7 4:30 97% 40G');
		expect(text).toContain('w1 #8 queued: Resources 3% 40G');
		expect(text).toContain('w2 idle');
		// One worker: as before, a run and its countdown.
		const one = show(
			<StatusBar state="running" run={{n: 3, startedAt: now, budgetSeconds: 60, queued: 'Priority'}} now={now} gpus={[]} width={80} />,
		);
		expect(one.frame).toContain('queued #3: Priority');
	});
});

describe('following one worker', () => {
	const two: LoopEvent = {
		...session,
		workers: [
			{name: 'w0', gpu: 0},
			{name: 'w1', gpu: 1},
		],
	} as LoopEvent;
	const start = (n: number, worker: string): LoopEvent => ({
		type: 'run-start',
		n,
		commit: `c${n}`.padEnd(7, '0'),
		description: `experiment ${n}`,
		budgetSeconds: 60,
		timeoutSeconds: 180,
		startedAt: Date.now(),
		worker,
	});

	it('keeps each worker its own log; w switches what Training and Loss show', async () => {
		const {emit, frame, press} = mount(120, 40);
		await emit(
			two,
			start(2, 'w0'),
			start(3, 'w1'),
			{type: 'log', n: 2, text: 'from w0', partial: false, worker: 'w0'},
			{type: 'log', n: 3, text: 'from w1', partial: false, worker: 'w1'},
		);
		expect(frame()).toContain('Training w0 #2');
		expect(frame()).toContain('from w0');
		expect(frame()).not.toContain('from w1');
		expect(frame()).toMatch(/running #2 #3/);
		await press('w');
		expect(frame()).toContain('Training w1 #3');
		expect(frame()).toContain('from w1');
		expect(frame()).toContain('loss by step, #3 (w1)');
		expect(frame()).toContain('Training and Loss follow w1');
		// A line from the worker nobody watches publishes nothing of the log.
		const store = new UiStore(1000);
		store.handle(two);
		store.handle(start(2, 'w0'));
		store.handle(start(3, 'w1'));
		store.flush();
		const log = store.getSnapshot().log;
		store.handle({type: 'log', n: 3, text: 'unseen', partial: false, worker: 'w1'});
		store.flush();
		expect(store.getSnapshot().log).toBe(log);
		store.dispose();
	});

	it('says so when there is one worker only', async () => {
		const {emit, frame, press} = mount(120, 40);
		await emit(session);
		await press('w');
		expect(frame()).toContain('one worker: Training and Loss show it');
		void keys;
	});
});
