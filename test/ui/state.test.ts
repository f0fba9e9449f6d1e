import {describe, expect, it} from 'vitest';
import {logCapacity, LogRing, UiStore} from '../../source/ui/state.js';
import {chartLines, resample} from '../../source/ui/panes/LossChart.js';
import {layout} from '../../source/ui/layout.js';

describe('the UI store', () => {
	it('keeps 10,000 log lines in a bounded ring and publishes a bounded number of snapshots', async () => {
		const store = new UiStore(10);
		let published = 0;
		store.subscribe(() => published++);
		store.handle({type: 'run-start', n: 1, commit: 'abc1234', description: 'x', budgetSeconds: 1, timeoutSeconds: 5, startedAt: Date.now()});
		const started = Date.now();
		for (let i = 0; i < 10_000; i++) {
			store.handle({type: 'log', n: 1, text: `line ${i}`, partial: i % 2 === 0});
			store.handle({type: 'progress', n: 1, step: i, loss: 1 / (i + 1)});
		}
		await new Promise(r => setTimeout(r, 250));
		const elapsed = Date.now() - started;
		expect(published).toBeLessThanOrEqual(Math.ceil(elapsed / 100) + 1);
		const snap = store.getSnapshot();
		expect(snap.log.length).toBeLessThanOrEqual(logCapacity);
		expect(snap.log.at(-1)!.text).toBe('line 9999');
		expect(snap.loss.length).toBeLessThanOrEqual(4000);
		// Idle: nothing changes, nothing is published.
		const before = published;
		await new Promise(r => setTimeout(r, 300));
		expect(published).toBe(before);
		store.dispose();
	});

	it('replaces a partial line with the next one', () => {
		const ring = new LogRing(10);
		ring.push({text: 'step 1', partial: true});
		ring.push({text: 'step 2', partial: true});
		ring.push({text: 'step 2', partial: false});
		ring.push({text: 'done', partial: false});
		expect(ring.view().map(l => l.text)).toEqual(['step 2', 'done']);
	});

	it('keeps the best run\'s loss curve when a run becomes the best', () => {
		const store = new UiStore();
		const rec = {n: 1, commit: 'aaaaaaa', metric: 1, memoryGb: 0, status: 'keep' as const, description: 'baseline'};
		store.handle({type: 'run-start', n: 1, commit: 'aaaaaaa', description: 'x', budgetSeconds: 1, timeoutSeconds: 5, startedAt: 0});
		store.handle({type: 'progress', n: 1, step: 1, loss: 3});
		store.handle({type: 'run-end', n: 1, record: rec, best: rec, baseline: rec, seconds: 1});
		store.flush();
		expect(store.getSnapshot().bestLoss).toEqual([{step: 1, loss: 3}]);
		store.dispose();
	});
});

describe('the chart data', () => {
	it('resamples to the pane width and never lets a non-finite value through', () => {
		const points = Array.from({length: 1000}, (_, i) => ({step: i + 1, loss: i === 500 ? Number.NaN : 10 - i / 100}));
		const values = resample(points, 50, 1000);
		expect(values).toHaveLength(50);
		expect(values.every(Number.isFinite)).toBe(true);
		expect(resample([], 50, 10)).toEqual([]);
		expect(resample(points.slice(0, 100), 50, 1000)).toHaveLength(5);
		for (const width of [20, 40, 80]) {
			const {lines} = chartLines({mode: 'run', loss: points, bestLoss: [], experiments: [], width, height: 10});
			expect(lines.length).toBeGreaterThan(1);
		}
	});
});

describe('layout', () => {
	it.each([
		[80, 24],
		[120, 40],
		[250, 70],
	])('fills %ix%i exactly', (columns, rows) => {
		const l = layout(columns, rows);
		expect(l.goal.height + l.chart.height + l.agent.height + 1).toBe(rows);
		expect(l.goal.width + l.log.width).toBe(columns);
		expect(l.chart.width + l.experiments.width).toBe(columns);
		expect(Math.min(l.goal.height, l.chart.height, l.agent.height)).toBeGreaterThanOrEqual(5);
	});
});
