import {execFileSync} from 'node:child_process';
import {closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, writeSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest';
import {classifyDiskError, freeBytes, minFreeBytes} from '../../source/core/disk.js';
import {appendLine, writeFileAtomic} from '../../source/core/fsutil.js';
import {GitError} from '../../source/core/workspace.js';
import {SearchProposer} from '../../source/proposers/search.js';
import {checkInvariants, resultRows, tempFiles} from '../support/invariants.js';
import {makeFaultArena, messages, noTmpfs, startLoop, summaryOf, until} from '../support/faults.js';
import type {TempArena} from '../support/workspace.js';

// Issue 10's disk-full fault: a raw ENOSPC with a stack trace, the
// experiment that had finished recorded as a crash after the restart (its
// result lost), temp files left behind. On a small tmpfs (root only: mount
// needs it), filled while a run trains and again between experiments: the
// loop says what is full and what it needs, holds the finished result,
// starts nothing new, and goes on by itself once there is room; nothing is
// lost and no temp file is left.

const skip = noTmpfs();
let mount: string | undefined;
let arena: TempArena | undefined;

beforeAll(() => {
	if (skip) return;
	mount = mkdtempSync(path.join(tmpdir(), 'nightshift-disk-'));
	execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=48m', 'nightshift-fault', mount]);
});
afterAll(() => {
	if (!mount) return;
	execFileSync('umount', [mount]);
	rmSync(mount, {recursive: true, force: true});
});
afterEach(() => {
	arena?.cleanup();
	arena = undefined;
	if (mount) for (const entry of readdirSync(mount)) rmSync(path.join(mount, entry), {recursive: true, force: true});
});

/** Fills the filesystem of `dir` to the last byte with one file; returns it. */
function fill(dir: string): string {
	const filler = path.join(dir, 'filler');
	const fd = openSync(filler, 'a');
	const block = Buffer.alloc(1024 * 1024, 1);
	try {
		for (let size = block.length; size >= 1;) {
			try {
				writeSync(fd, block, 0, size);
			} catch {
				size = Math.floor(size / 2);
			}
		}
	} finally {
		closeSync(fd);
	}
	return filler;
}

describe('disk full', () => {
	it.skipIf(skip !== undefined)(
		`mid-run: the finished result is held and recorded once there is room; between runs: nothing new starts; both say what is needed${skip ? ` (${skip})` : ''}`,
		async () => {
			arena = makeFaultArena();
			const runs = path.join(mount!, 'runs');
			let filler: string | undefined;
			let heldSince = 0;
			const {loop, events, done} = await startLoop(arena.dir, {proposer: new SearchProposer(), maxExperiments: 5, runsDir: runs});
			loop.subscribe(e => {
				// While #2 trains, and again once #3 is recorded.
				if ((e.type === 'run-start' && e.n === 2) || (e.type === 'run-end' && e.n === 3)) filler = fill(mount!);
				if (e.type === 'message' && e.level === 'warn' && /^disk full/.test(e.text) && filler) {
					heldSince = Date.now();
					const f = filler;
					filler = undefined;
					setTimeout(() => rmSync(f, {force: true}), 1500);
				}
			});
			await until(() => messages(events, 'warn').filter(m => /^disk full/.test(m)).length >= 2, 60_000, 'the second disk-full message');
			// Between runs nothing starts while the disk is full.
			const startsThen = events.filter(e => e.type === 'run-start').length;
			await new Promise(r => setTimeout(r, 1000));
			if (Date.now() - heldSince < 1400) expect(events.filter(e => e.type === 'run-start').length).toBe(startsThen);
			await done;
			const full = messages(events, 'warn').filter(m => /^disk full/.test(m));
			expect(full[0]).toMatch(
				new RegExp(
					`^disk full writing ${runs}/0002-[0-9a-f]{7}/summary\\.json \\(\\d+ B free\\): nightshift needs at least 16 MB free there`,
				),
			);
			expect(full[0]).toMatch(/Experiment 2's result is held and recorded once it fits/);
			expect(full[1]).toMatch(
				new RegExp(
					`^disk full writing ${runs} \\(\\d+ (B|KB) free\\): nightshift needs at least 16 MB free there to go on; free some space`,
				),
			);
			expect(messages(events, 'info').filter(m => m === 'disk space is back: going on')).toHaveLength(2);
			expect(messages(events, 'error')).toEqual([]);
			const rows = resultRows(runs);
			expect(rows).toHaveLength(5);
			// #2 finished while the disk was full: its result is its own, not a crash.
			expect(rows[1]![3]).not.toBe('crash');
			expect(summaryOf(runs, `0002-${rows[1]![0]}`)['run_metric']).toEqual(expect.any(Number));
			expect(readFileSync(path.join(runs, `0002-${rows[1]![0]}`, 'run.log'), 'utf8')).toMatch(
				/nightshift: the disk was full: \d+ bytes of output are missing above; the last lines were:\n(.*\n)*val_bpb: +1\.\d{6}\n/,
			);
			checkInvariants(arena.dir, {runs});
		},
	);

	it.skipIf(skip !== undefined)(`a failed write leaves no temp file and no torn line${skip ? ` (${skip})` : ''}`, () => {
		const dir = path.join(mount!, 'writes');
		execFileSync('mkdir', [dir]);
		const file = path.join(dir, 'summary.json');
		writeFileSync(file, 'old\n');
		// One line that ends 10 bytes short of a page: an append of more than that can land only in part.
		const rows = path.join(dir, 'results.tsv');
		writeFileSync(rows, 'x'.repeat(4086));
		const filler = fill(mount!);
		expect(() => writeFileAtomic(file, 'new content\n'.repeat(1000))).toThrow(/ENOSPC/);
		expect(readFileSync(file, 'utf8')).toBe('old\n');
		expect(() => appendLine(rows, 'y'.repeat(100))).toThrow(/ENOSPC/);
		expect(statSync(rows).size).toBe(4086);
		expect(tempFiles(dir)).toEqual([]);
		expect(readdirSync(dir).sort()).toEqual(['results.tsv', 'summary.json']);
		rmSync(filler);
		writeFileAtomic(file, 'new\n');
		appendLine(rows, 'y');
		expect(readFileSync(file, 'utf8')).toBe('new\n');
		expect(existsSync(path.join(dir, 'results.tsv'))).toBe(true);
	});

	it('classifies ENOSPC and EDQUOT, from Node and from git, naming the path', () => {
		const node = Object.assign(new Error('ENOSPC: no space left on device, write'), {
			code: 'ENOSPC',
			path: '/data/runs/0003-abc/summary.json',
		});
		expect(classifyDiskError(node)).toMatchObject({code: 'ENOSPC', path: '/data/runs/0003-abc/summary.json'});
		expect(classifyDiskError(node)!.message).toMatch(
			/^disk full writing \/data\/runs\/0003-abc\/summary\.json .*needs at least 16 MB free there/,
		);
		const fromGit = new GitError("git commit -q: error: unable to write file '/repo/.git/objects/ab/cdef': No space left on device");
		expect(classifyDiskError(fromGit)).toMatchObject({code: 'ENOSPC', path: '/repo/.git/objects/ab/cdef'});
		expect(classifyDiskError(Object.assign(new Error('quota'), {code: 'EDQUOT'}), '/home/x')).toMatchObject({
			code: 'EDQUOT',
			path: '/home/x',
			message: expect.stringMatching(/^disk quota exceeded writing \/home\/x/),
		});
		expect(
			classifyDiskError(Object.assign(new Error('ENOSPC'), {code: 'ENOSPC', path: '/r/0001-abc/.summary.json.77.1700000000000.tmp'})),
		).toMatchObject({
			path: '/r/0001-abc/summary.json',
		});
		expect(classifyDiskError(new Error('EACCES: permission denied'))).toBeUndefined();
		expect(freeBytes('/nonexistent/deeper')).toEqual(expect.any(Number));
		expect(minFreeBytes).toBe(16 * 1024 * 1024);
	});
});
