import {describe, expect, it} from 'vitest';
import {parseOutput, parseProgress, SummaryReader, TerminalLines} from '../../source/core/output.js';

const progress = (step: number, loss: number) =>
	`step ${String(step).padStart(5, '0')} (${(step / 10).toFixed(1)}%) | loss: ${loss.toFixed(6)} | lrm: 1.00 | dt: 120ms | tok/sec: 12,345 | mfu: 0.0% | epoch: 1 | remaining: ${100 - step}s    `;

describe('TerminalLines', () => {
	it('collapses \\r progress lines as a terminal shows them, however the chunks split', () => {
		const output = `device: cpu\n${progress(1, 5.5)}\r${progress(2, 5.1)}\r${progress(3, 4.9)}\r\n---\nval_bpb:          1.234567\n`;
		for (const size of [1, 2, 3, 7, 64, output.length]) {
			const lines = new TerminalLines();
			const got = [];
			for (let i = 0; i < output.length; i += size) got.push(...lines.feed(output.slice(i, i + size)));
			got.push(...lines.end());
			expect(got.filter(l => !l.partial).map(l => l.text)).toEqual(['device: cpu', progress(3, 4.9), '---', 'val_bpb:          1.234567']);
			expect(got.filter(l => l.partial && !l.open).map(l => l.text)).toEqual([progress(1, 5.5), progress(2, 5.1), progress(3, 4.9)]);
		}
	});

	it("shows autoresearch's own style (`\\r` before the line, no newline) without waiting for the next step", () => {
		const lines = new TerminalLines();
		expect(lines.feed(`\r${progress(1, 5.5)}`)).toEqual([{text: progress(1, 5.5), partial: true, open: true}]);
		expect(lines.feed(`\r${progress(2, 5.1)}`)).toEqual([
			{text: progress(1, 5.5), partial: true},
			{text: progress(2, 5.1), partial: true, open: true},
		]);
		const {progress: parsed} = parseOutput(`\r${progress(1, 5.5)}\r${progress(2, 5.1)}\n---\nval_bpb: 1.0\n`);
		expect(parsed.map(p => p.step)).toEqual([1, 2]);
	});

	it('overwrites from the start of the line, keeping what a shorter line does not cover', () => {
		const lines = new TerminalLines();
		expect(lines.feed('abcdef\rxy\n')).toEqual([
			{text: 'abcdef', partial: true},
			{text: 'xycdef', partial: false},
		]);
	});

	it('keeps \\r\\n as a plain line end and flushes the unterminated rest at the end', () => {
		const lines = new TerminalLines();
		expect(lines.feed('one\r\ntwo')).toEqual([
			{text: 'one', partial: true},
			{text: 'one', partial: false},
			{text: 'two', partial: true, open: true},
		]);
		expect(lines.end()).toEqual([{text: 'two', partial: false}]);
	});

	it('does not grow without bound on output with no line ends', () => {
		const lines = new TerminalLines();
		const out = lines.feed('x'.repeat(200_000));
		expect(out).toHaveLength(1);
		expect(lines.end()).toEqual([]);
	});
});

describe('parseProgress', () => {
	it("reads autoresearch's progress line", () => {
		expect(parseProgress(progress(12, 3.123456))).toEqual({step: 12, pct: 1.2, loss: 3.123456, remaining: 88});
	});
	it('reads nan and inf losses, and nothing from other lines', () => {
		expect(parseProgress('step 00005 (1.0%) | loss: nan | lrm: 1.00')?.loss).toBeNaN();
		expect(parseProgress('step 00005 | loss: inf')?.loss).toBe(Infinity);
		expect(parseProgress('val_bpb: 1.0')).toBeUndefined();
		expect(parseProgress('stepping up')).toBeUndefined();
	});
});

describe('summary', () => {
	const summary = [
		'---',
		'val_bpb:          0.997900',
		'training_seconds: 300.1',
		'total_seconds:    325.9',
		'peak_vram_mb:     45060.2',
		'mfu_percent:      39.80',
		'total_tokens_M:   499.6',
		'num_steps:        953',
		'num_params_M:     50.3',
		'depth:            8',
	].join('\n');

	it('reads every key of the block after the last ---', () => {
		const {summary: s, failed, progress: p} = parseOutput(`${progress(1, 4)}\r${progress(2, 3)}\r\n---\nnot: this\n${summary}\n`);
		expect(failed).toBe(false);
		expect(p.map(x => x.step)).toEqual([1, 2]);
		expect(s).toEqual({
			val_bpb: 0.9979,
			training_seconds: 300.1,
			total_seconds: 325.9,
			peak_vram_mb: 45060.2,
			mfu_percent: 39.8,
			total_tokens_M: 499.6,
			num_steps: 953,
			num_params_M: 50.3,
			depth: 8,
		});
	});

	it('notices FAIL and has no summary without ---', () => {
		const reader = new SummaryReader();
		reader.push('step 1 | loss: nan');
		reader.push('FAIL');
		expect(reader.failed).toBe(true);
		expect(reader.summary).toBeUndefined();
	});
});
