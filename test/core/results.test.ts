import {appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {afterEach, beforeEach, describe, expect, it} from 'vitest';
import {claimRunFolder, formatRow, ResultsFile} from '../../source/core/results.js';

let dir: string;
beforeEach(() => {
	dir = mkdtempSync(path.join(tmpdir(), 'nightshift-results-'));
});
afterEach(() => rmSync(dir, {recursive: true, force: true}));

describe('results.tsv', () => {
	it("writes autoresearch's header and rows", () => {
		const results = new ResultsFile(dir, 'val_bpb');
		results.append({row: 1, n: 1, commit: 'a1b2c3d', metric: 0.9979, memoryGb: 44.0, status: 'keep', description: 'baseline'});
		results.append({
			row: 2,
			n: 2,
			commit: 'b2c3d4e',
			metric: null,
			memoryGb: 0,
			status: 'crash',
			description: 'double the width\t(OOM)\nreally',
		});
		expect(readFileSync(results.path, 'utf8')).toBe(
			'commit\tval_bpb\tmemory_gb\tstatus\tdescription\n' +
				'a1b2c3d\t0.997900\t44.0\tkeep\tbaseline\n' +
				'b2c3d4e\t0.000000\t0.0\tcrash\tdouble the width (OOM) really\n',
		);
		expect(results.load().records.map(r => [r.n, r.status, r.metric])).toEqual([
			[1, 'keep', 0.9979],
			[2, 'crash', null],
		]);
	});

	it('reports a malformed line by number and never rewrites the file', () => {
		const results = new ResultsFile(dir, 'val_bpb');
		results.append({row: 1, n: 1, commit: 'a1b2c3d', metric: 1, memoryGb: 0, status: 'keep', description: 'baseline'});
		appendFileSync(results.path, 'this is not a row\n');
		results.append({row: 3, n: 3, commit: 'c3d4e5f', metric: 0.9, memoryGb: 0, status: 'keep', description: 'better'});
		const before = readFileSync(results.path, 'utf8');
		const loaded = results.load();
		expect(loaded.problems).toEqual([expect.stringMatching(/^results.tsv line 3: cannot read "this is not a row"/)]);
		expect(loaded.records.map(r => r.commit)).toEqual(['a1b2c3d', 'c3d4e5f']);
		expect(readFileSync(results.path, 'utf8')).toBe(before);
	});

	it('notices a header for another metric', () => {
		writeFileSync(path.join(dir, 'results.tsv'), 'commit\tval_loss\tmemory_gb\tstatus\tdescription\n');
		expect(new ResultsFile(dir, 'val_bpb').load().problems[0]).toMatch(/metric column is `val_loss`/);
	});

	it('formats like autoresearch', () => {
		expect(formatRow({row: 1, n: 1, commit: 'abcdef0', metric: 1.23456789, memoryGb: 12.345, status: 'discard', description: ''})).toBe(
			'abcdef0\t1.234568\t12.3\tdiscard\t(no description)',
		);
	});
});

describe('run folders', () => {
	it('claims numbers that no other worker holds', () => {
		expect(claimRunFolder(dir, 'aaaaaaa', 1).n).toBe(1);
		expect(claimRunFolder(dir, 'bbbbbbb', 1).n).toBe(2);
		expect(claimRunFolder(dir, 'ccccccc', 7).n).toBe(7);
		expect(path.basename(claimRunFolder(dir, 'ddddddd', 1).dir)).toBe('0008-ddddddd');
	});
});
