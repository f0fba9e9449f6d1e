import {spawn, type ChildProcess} from 'node:child_process';
import {createHash} from 'node:crypto';
import {copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {pathToFileURL} from 'node:url';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';

// The bundled arena (train/prepare.py and train/train.py) run directly, the
// way the loop runs it: a time budget in NIGHTSHIFT_TIME_BUDGET, a private
// cache in NIGHTSHIFT_CACHE, and autoresearch's output read back.

const python = process.env.NIGHTSHIFT_PYTHON || '/usr/bin/python3';
const trainDir = path.resolve(import.meta.dirname, '..', '..', 'train');
const trainPy = path.join(trainDir, 'train.py');
const preparePy = path.join(trainDir, 'prepare.py');

const summaryKeys = [
	'val_bpb',
	'training_seconds',
	'total_seconds',
	'peak_vram_mb',
	'mfu_percent',
	'total_tokens_M',
	'num_steps',
	'num_params_M',
	'depth',
];
// step 00012 (3.4%) | loss: 3.123456 | lrm: 1.00 | dt: 123ms | tok/sec: 12,345 | mfu: 0.0% | epoch: 1 | remaining: 290s
const progressLine =
	/step (\d{5}) \((\d+\.\d)%\) \| loss: (\d+\.\d{6}) \| lrm: (\d+\.\d{2}) \| dt: (\d+)ms \| tok\/sec: ([\d,]+) \| mfu: (\d+\.\d)% \| epoch: (\d+) \| remaining: (\d+)s *\r/g;

let scratch: string;
let cache: string;
let server: ChildProcess | undefined;

beforeAll(async () => {
	scratch = await mkdtemp(path.join(tmpdir(), 'nightshift-train-arena-'));
	cache = await mkdtemp(path.join(tmpdir(), 'nightshift-train-cache-'));
});

afterAll(async () => {
	if (server?.pid !== undefined && server.exitCode === null) server.kill('SIGKILL');
	await rm(scratch, {recursive: true, force: true});
	await rm(cache, {recursive: true, force: true});
});

type Run = {code: number | null; stdout: string; stderr: string; seconds: number};

function run(args: string[], env: Record<string, string> = {}, timeoutMs = 60_000): Promise<Run> {
	return new Promise((resolve, reject) => {
		const started = Date.now();
		const child = spawn(python, args, {
			env: {...process.env, NIGHTSHIFT_CACHE: cache, PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1', ...env},
			stdio: ['ignore', 'pipe', 'pipe'],
		});
		let stdout = '';
		let stderr = '';
		child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
		child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
		const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
		child.on('error', reject);
		child.on('close', code => {
			clearTimeout(timer);
			resolve({code, stdout, stderr, seconds: (Date.now() - started) / 1000});
		});
	});
}

/** The summary block after the last `---`, checked line by line against autoresearch's layout. */
function summary(stdout: string): Record<string, number> {
	const block = stdout
		.slice(stdout.lastIndexOf('\n---\n') + 5)
		.trimEnd()
		.split('\n');
	expect(block.map(l => l.split(':')[0])).toEqual(summaryKeys);
	const values: Record<string, number> = {};
	for (const line of block) {
		const m = /^([a-zA-Z_]+):( +)(\S+)$/.exec(line);
		expect(m, line).not.toBeNull();
		expect(m![1]!.length + 1 + m![2]!.length, `value column of ${JSON.stringify(line)}`).toBe(18);
		const value = Number(m![3]);
		expect(Number.isFinite(value), line).toBe(true);
		values[m![1]!] = value;
	}
	return values;
}

async function sha256(file: string): Promise<string> {
	return createHash('sha256')
		.update(await readFile(file))
		.digest('hex');
}

/** Deterministic text with some structure: sentences from a small vocabulary. */
function prose(seed: number, bytes: number): string {
	const words = [
		'the',
		'model',
		'learns',
		'a',
		'byte',
		'at',
		'time',
		'and',
		'every',
		'night',
		'shift',
		'keeps',
		'what',
		'improves',
		'loss',
		'falls',
		'slowly',
		'while',
		'data',
		'flows',
	];
	let state = seed + 1;
	const next = () => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32;
	let text = '';
	while (text.length < bytes) {
		const n = 4 + Math.floor(next() * 8);
		const sentence = Array.from({length: n}, () => words[Math.floor(next() * words.length)]).join(' ');
		text += sentence[0]!.toUpperCase() + sentence.slice(1) + '. ';
	}
	return text;
}

describe('train.py on the default data', () => {
	it('learns visibly: 10 s of training ends at least 30% below the untrained model, in autoresearch format', async () => {
		const untrained = await run([trainPy], {NIGHTSHIFT_TIME_BUDGET: '0'});
		expect(untrained.code, untrained.stderr).toBe(0);
		const before = summary(untrained.stdout);
		expect(before['num_steps']).toBe(0);
		expect(untrained.stdout).not.toMatch(/step \d{5} \(/);

		const trained = await run([trainPy], {NIGHTSHIFT_TIME_BUDGET: '10'});
		expect(trained.code, trained.stderr).toBe(0);
		const out = trained.stdout;
		expect(out).toMatch(/^device: (cpu|cuda) \(torch [^)]+\)\n/);
		expect(out).not.toMatch(/^FAIL$/m);
		const steps = [...out.matchAll(progressLine)];
		expect(steps.length).toBeGreaterThan(5);
		expect(steps.map(m => Number(m[1]))).toEqual(steps.map((_, i) => i)); // one \r-terminated line per step, from 00000
		expect(Number(steps.at(-1)![3])).toBeLessThan(Number(steps[0]![3])); // the smoothed training loss falls
		expect(out).toMatch(/\r\n---\n/); // a newline after the last progress line, then the block

		const after = summary(out);
		expect(after['num_steps']).toBe(steps.length);
		expect(after['training_seconds']).toBeGreaterThanOrEqual(10);
		expect(after['training_seconds']).toBeLessThan(15);
		expect(after['val_bpb']).toBeLessThanOrEqual(0.7 * before['val_bpb']!);
		console.log(
			`untrained val_bpb ${before['val_bpb']} (${untrained.seconds.toFixed(1)} s wall); ` +
				`10 s budget: val_bpb ${after['val_bpb']} (${((1 - after['val_bpb']! / before['val_bpb']!) * 100).toFixed(1)}% lower), ` +
				`${after['num_steps']} steps, ${trained.seconds.toFixed(1)} s wall`,
		);
	}, 90_000);

	it('prints FAIL and exits non-zero at once when the loss goes NaN or explodes', async () => {
		const copy = path.join(scratch, 'nan');
		await mkdir(copy);
		await copyFile(preparePy, path.join(copy, 'prepare.py'));
		const source = await readFile(trainPy, 'utf8');
		expect(source).toMatch(/^LEARNING_RATE = \S+ {2}# .*$/m);
		await writeFile(path.join(copy, 'train.py'), source.replace(/^LEARNING_RATE = \S+/m, 'LEARNING_RATE = 1e6'));
		// Run from another folder: train.py finds prepare.py next to itself.
		const result = await run([path.join(copy, 'train.py')], {NIGHTSHIFT_TIME_BUDGET: '30'});
		expect(result.code).not.toBe(0);
		expect(result.code).not.toBeNull();
		expect(result.stdout).toMatch(/^FAIL$/m);
		expect(result.stdout).not.toMatch(/^val_bpb:/m);
		expect(result.seconds).toBeLessThan(20);
	}, 60_000);
});

describe('prepare.py', () => {
	it('builds the default data deterministically, says what it built, and caches it', async () => {
		const fresh = await mkdtemp(path.join(scratch, 'cache-'));
		const first = await run([preparePy], {NIGHTSHIFT_CACHE: fresh});
		expect(first.code, first.stderr).toBe(0);
		expect(first.stdout).toMatch(/^prepared stdlib:\d+\.\d+\.\d+: \d+ documents, train [\d,]+ bytes, val [\d,]+ bytes in [\d.]+s -> /m);
		const folder = /^ready: (.+)$/m.exec(first.stdout)![1]!;
		expect(folder.startsWith(path.join(fresh, 'data') + path.sep)).toBe(true);
		expect((await readdir(folder)).sort()).toEqual(['done', 'train.bin', 'val.bin']);

		const again = await run([preparePy], {NIGHTSHIFT_CACHE: fresh});
		expect(again.code, again.stderr).toBe(0);
		expect(again.stdout).toMatch(/^cached stdlib:/m);
		expect(again.stdout).not.toMatch(/^prepared/m);
		expect(again.stdout).toContain(`ready: ${folder}`);

		// Another cache builds the same bytes under the same key.
		const other = await mkdtemp(path.join(scratch, 'cache-'));
		const elsewhere = await run([preparePy], {NIGHTSHIFT_CACHE: other});
		const otherFolder = /^ready: (.+)$/m.exec(elsewhere.stdout)![1]!;
		expect(path.basename(otherFolder)).toBe(path.basename(folder));
		for (const split of ['train.bin', 'val.bin'])
			expect(await sha256(path.join(otherFolder, split))).toBe(await sha256(path.join(folder, split)));
	}, 60_000);

	it('trains on a folder of .txt files (NIGHTSHIFT_DATA), cached apart from the default data', async () => {
		const data = path.join(scratch, 'texts');
		await mkdir(data);
		for (let i = 0; i < 30; i++) await writeFile(path.join(data, `doc${String(i).padStart(2, '0')}.txt`), prose(i, 8_000));
		const result = await run([trainPy], {NIGHTSHIFT_TIME_BUDGET: '2', NIGHTSHIFT_DATA: data});
		expect(result.code, result.stderr).toBe(0);
		const values = summary(result.stdout);
		expect(values['num_steps']).toBeGreaterThan(0);
		expect(values['val_bpb']).toBeLessThan(7);
		const prepared = await run([preparePy], {NIGHTSHIFT_DATA: data});
		expect(prepared.stdout).toMatch(/^cached folder:/m);

		// A file added to the folder makes a new preparation.
		await writeFile(path.join(data, 'doc99.txt'), prose(99, 8_000));
		const changed = await run([preparePy], {NIGHTSHIFT_DATA: data});
		expect(changed.stdout).toMatch(/^prepared folder:.*: 31 documents/m);

		const empty = path.join(scratch, 'empty');
		await mkdir(empty);
		const refused = await run([preparePy], {NIGHTSHIFT_DATA: empty});
		expect(refused.code).not.toBe(0);
		expect(refused.stderr).toMatch(/no \.txt or \.parquet files/);
	}, 60_000);

	it('says pyarrow is needed for .parquet files when it is missing', async () => {
		const probe = await run(['-c', 'import pyarrow']);
		if (probe.code === 0) return; // pyarrow is here: nothing to refuse
		const data = path.join(scratch, 'parquet');
		await mkdir(data);
		await writeFile(path.join(data, 'shard_00000.parquet'), 'PAR1');
		const result = await run([preparePy], {NIGHTSHIFT_DATA: data});
		expect(result.code).not.toBe(0);
		expect(result.stderr).toMatch(/pyarrow/);
	}, 30_000);

	it('downloads shards from a base URL into the cache (loopback http and file://), then uses them as data', async () => {
		const served = path.join(scratch, 'served');
		await mkdir(served);
		for (let i = 0; i < 3; i++) await writeFile(path.join(served, `shard_${String(i).padStart(5, '0')}.txt`), prose(100 + i, 20_000));
		server = spawn(python, ['-u', '-m', 'http.server', '0', '--bind', '127.0.0.1', '--directory', served], {
			stdio: ['ignore', 'pipe', 'pipe'],
		});
		const port = await new Promise<number>((resolve, reject) => {
			const timer = setTimeout(() => reject(new Error('http.server did not start')), 15_000);
			server!.stdout!.setEncoding('utf8').on('data', (d: string) => {
				const m = /port (\d+)/.exec(d);
				if (m) {
					clearTimeout(timer);
					resolve(Number(m[1]));
				}
			});
			server!.on('exit', () => reject(new Error('http.server exited')));
		});
		const base = `http://127.0.0.1:${port}`;
		const pattern = ['--pattern', 'shard_{:05d}.txt'];

		const fetched = await run([preparePy, '--download', '--base-url', base, '--shards', '3', ...pattern]);
		expect(fetched.code, fetched.stderr).toBe(0);
		expect(fetched.stdout.match(/^downloaded shard_\d{5}\.txt/gm)).toHaveLength(3);
		const folder = /NIGHTSHIFT_DATA=(.+)$/m.exec(fetched.stdout)![1]!;
		expect(folder.startsWith(path.join(cache, 'downloads') + path.sep)).toBe(true);
		expect((await readdir(folder)).sort()).toEqual(['shard_00000.txt', 'shard_00001.txt', 'shard_00002.txt']);
		for (const name of await readdir(folder)) expect(await sha256(path.join(folder, name))).toBe(await sha256(path.join(served, name)));

		// Already there: not fetched again.
		const again = await run([preparePy, '--download', '--base-url', base, '--shards', '3', ...pattern]);
		expect(again.stdout).not.toMatch(/^downloaded/m);

		// A missing shard (404) fails at once, with the URL, and leaves no partial file.
		const missing = await run([preparePy, '--download', '--base-url', `${base}/nowhere`, '--shards', '1', ...pattern]);
		expect(missing.code).not.toBe(0);
		expect(missing.stderr).toMatch(/could not download http:\/\/127\.0\.0\.1:\d+\/nowhere\/shard_00000\.txt/);
		expect(missing.seconds).toBeLessThan(10);

		// The same code path from a file:// URL.
		const local = await run([preparePy, '--download', '--base-url', pathToFileURL(served).href, '--shards', '2', ...pattern]);
		expect(local.code, local.stderr).toBe(0);
		const localFolder = /NIGHTSHIFT_DATA=(.+)$/m.exec(local.stdout)![1]!;
		expect((await readdir(localFolder)).sort()).toEqual(['shard_00000.txt', 'shard_00001.txt']);

		// What was downloaded is data.
		const prepared = await run([preparePy], {NIGHTSHIFT_DATA: folder});
		expect(prepared.code, prepared.stderr).toBe(0);
		expect(prepared.stdout).toMatch(/^prepared folder:.*: 3 documents/m);

		server.kill('SIGKILL');
		// No temp files left behind anywhere in the cache.
		const all = await readdir(cache, {recursive: true});
		expect(all.filter(f => String(f).endsWith('.tmp'))).toEqual([]);
	}, 60_000);
});
