import {afterEach, describe, expect, it} from 'vitest';
import type {LoopEvent} from '../../source/core/events.js';
import type {ExperimentRecord} from '../../source/core/types.js';
import type {Experiment} from '../../source/ui/snapshot.js';
import {newSince, summarize, summaryLines} from '../../source/ui/summary.js';
import type {FakeControl} from './fake-control.js';
import {cleanupAll, keys, mount, record, session} from './helpers.js';

// The morning view: what happened since the person last looked (or since
// the start), worked out from the results; opened at start when a resumed
// session has news, and with `s`; closing it tells the loop (markSeen).

afterEach(cleanupAll);

const hour = 3_600_000;
const t0 = Date.now() - 7 * hour;
const at = (ms: number) => new Date(t0 + ms).toISOString();

/** A night: a baseline, two keeps (judged against the best, with their noise bands), discards, a crash, a run stopped by hand, a re-run. */
function night(): Experiment[] {
	const e = (
		n: number,
		status: ExperimentRecord['status'],
		extra: Partial<ExperimentRecord>,
		endMs: number,
		seconds = 300,
	): Experiment => ({
		...record(n, `c${n}`.padEnd(7, '0'), status === 'crash' ? null : 3 - n / 100, status, `CHANGE_${n} 1 -> 2`),
		endedAt: at(endMs),
		seconds,
		worker: n % 2 === 0 ? 'w1' : 'w0',
		...extra,
	});
	return [
		e(1, 'keep', {description: 'baseline'}, 0.1 * hour),
		e(2, 'keep', {delta: -0.012, band: 0.006, runs: 3}, 1 * hour),
		e(3, 'discard', {delta: 0.004, band: 0.006}, 2 * hour),
		e(4, 'crash', {reason: 'CUDA out of memory'}, 3 * hour, 20),
		e(5, 'rerun', {of: 2}, 3.5 * hour),
		e(6, 'keep', {delta: -0.02, band: 0.005, runs: 1}, 4 * hour),
		e(7, 'crash', {reason: 'stopped by hand'}, 5 * hour, 60),
		e(8, 'discard', {delta: 0.001, band: 0.006}, 6 * hour),
	];
}

describe('the morning view, worked out', () => {
	it('counts since the person last looked: experiments run, kept, discarded, crashed, stopped; the pace and the busy share', () => {
		const experiments = night();
		const s = summarize({
			experiments,
			since: 'seen',
			seen: at(1.5 * hour),
			now: t0 + 6.5 * hour,
			best: experiments[5],
			baseline: experiments[0],
			workers: ['w0', 'w1'],
		});
		expect(s.since).toBe('seen');
		// #3, #4, #6, #7, #8 (the re-run #5 is not an experiment).
		expect(s.run).toBe(5);
		expect(s.kept.map(e => e.n)).toEqual([6]);
		expect(s.discarded).toBe(2);
		expect(s.crashes.map(e => e.n)).toEqual([4, 7]);
		expect(s.stopped).toBe(1);
		expect(s.minutesPer).toBeCloseTo((5 * 60) / 5);
		// w0 ran #3, #5, #7 (300 + 300 + 60 s); w1 ran #4, #6, #8 (20 + 300 + 300 s), in 5 h.
		expect(s.busy).toEqual([
			{worker: 'w0', share: 660 / (5 * 3600)},
			{worker: 'w1', share: 620 / (5 * 3600)},
		]);
		const text = summaryLines(s, 'val_bpb')
			.map(l => l.map(x => x.text).join(''))
			.join('\n');
		expect(text).toContain('Since you last looked');
		expect(text).toContain('5 experiments run · 1 kept · 2 discarded · 2 crashed (1 stopped by hand)');
		expect(text).toContain('#6 CHANGE_6 1 -> 2  -0.020 ± 0.005');
		expect(text).toContain('#4 CHANGE_4 1 -> 2: CUDA out of memory');
		expect(text).toContain('#7 CHANGE_7 1 -> 2: stopped by hand');
		expect(text).toMatch(/val_bpb 2\.9400 \(#6 CHANGE_6 1 -> 2\), the baseline 2\.9900: -0\.0500 \(-1\.7%\)/);
		expect(text).toContain('60.0 min per experiment · trainer busy w0 4%, w1 3% of the time');
	});

	it('counts from the start when asked, or when the person never looked, with the runs and band of each keep', () => {
		const experiments = night();
		const s = summarize({experiments, since: 'seen', seen: undefined, now: t0 + 6.5 * hour, workers: ['w0', 'w1']});
		expect(s.since).toBe('start');
		expect(s.run).toBe(7);
		expect(s.kept.map(e => e.n)).toEqual([1, 2, 6]);
		const text = summaryLines(s)
			.map(l => l.map(x => x.text).join(''))
			.join('\n');
		expect(text).toContain('#2 CHANGE_2 1 -> 2  -0.012 ± 0.006, 3 runs');
		expect(newSince(experiments, undefined)).toBe(7);
		expect(newSince(experiments, at(4.5 * hour))).toBe(2);
		expect(summaryLines(summarize({experiments: [], since: 'seen', seen: at(0), now: t0, workers: []}))[1]![0]!.text).toBe(
			'Nothing finished since then.',
		);
	});
});

describe('the morning view on the screen', () => {
	const resumed: LoopEvent = {...session, resumed: true} as LoopEvent;
	const replay = (control: FakeControl) => {
		control.seen = at(1.5 * hour);
		control.emit(resumed);
		const all = night();
		for (const e of all) control.emit({type: 'recorded', n: e.n, record: e, best: all[5], baseline: all[0]});
	};

	it('opens at start when a resumed session has news; the status bar counts them; Esc closes and marks seen', async () => {
		const {control, frame, press, until} = mount(100, 40, undefined, {}, replay);
		await until(f => f.includes('The night so far'));
		expect(frame()).toContain('Since you last looked');
		expect(frame()).toContain('5 experiments run · 1 kept · 2 discarded · 2 crashed (1 stopped by hand)');
		expect(frame().split('\n').at(-1)).toContain('5 new (s)');
		// a: since the start, and back.
		await press('a');
		expect(frame()).toContain('Since the start');
		expect(frame()).toContain('7 experiments run · 3 kept');
		await press('a', keys.esc);
		expect(frame()).not.toContain('The night so far');
		expect(control.intents).toContainEqual(['markSeen']);
		expect(frame().split('\n').at(-1)).not.toContain('new (s)');
		// s opens it again, now with nothing new.
		await press('s');
		expect(frame()).toContain('Nothing finished since then.');
	});

	it('stays closed at start in a fresh session, and when nothing happened since the person looked', async () => {
		const fresh = mount(100, 40, undefined, {}, control => {
			control.emit(session);
			const all = night();
			for (const e of all) control.emit({type: 'recorded', n: e.n, record: e, best: all[5], baseline: all[0]});
		});
		expect(fresh.frame()).not.toContain('The night so far');
		const seen = mount(100, 40, undefined, {}, control => {
			replay(control);
			control.seen = at(7 * hour);
		});
		expect(seen.frame()).not.toContain('The night so far');
	});
});
