import {spawn, spawnSync} from 'node:child_process';
import {mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {parseOutput} from '../../source/core/metrics.js';
import {repoRootDir, torchPython} from '../support/workspace.js';

// The bundled arena on its own: train/train.py and train/prepare.py, run as
// the loop runs them, on this machine's CPU.

const train = path.join(repoRootDir, 'train', 'train.py');
const prepare = path.join(repoRootDir, 'train', 'prepare.py');
let cache: string;
let scratch: string;

beforeAll(() => {
	cache = mkdtempSync(path.join(tmpdir(), 'nightshift-cache-'));
	scratch = mkdtempSync(path.join(tmpdir(), 'nightshift-arena-'));
});
afterAll(() => {
	rmSync(cache, {recursive: true, force: true});
	rmSync(scratch, {recursive: true, force: true});
});

function python(args: string[], env: Record<string, string> = {}) {
	const result = spawnSync(torchPython, args, {
		encoding: 'utf8',
		env: {...process.env, NIGHTSHIFT_CACHE: cache, PYTHONUNBUFFERED: '1', ...env},
		timeout: 120_000,
	});
	return {code: result.status, stdout: result.stdout, stderr: result.stderr};
}

const keys = ['val_bpb', 'training_seconds', 'total_seconds', 'peak_vram_mb', 'mfu_percent', 'total_tokens_M', 'num_steps', 'num_params_M', 'depth'];

describe('train.py', () => {
	it('learns visibly on the CPU: 10 s of training ends at least 30% below the untrained model', () => {
		const untrained = python([train], {NIGHTSHIFT_TIME_BUDGET: '0'});
		expect(untrained.code, untrained.stderr).toBe(0);
		const before = parseOutput(untrained.stdout).summary!['val_bpb'] as number;
		const trained = python([train], {NIGHTSHIFT_TIME_BUDGET: '10'});
		expect(trained.code, trained.stderr).toBe(0);
		const {summary, progress, failed} = parseOutput(trained.stdout);
		expect(failed).toBe(false);
		expect(Object.keys(summary!)).toEqual(keys);
		for (const key of keys) expect(typeof summary![key]).toBe('number');
		const after = summary!['val_bpb'] as number;
		expect(after).toBeLessThanOrEqual(0.7 * before);
		// autoresearch's progress line, `\r`-terminated, and its summary block after `---`.
		expect(trained.stdout).toMatch(/^device: cpu \(torch [\d.]+/);
		expect(trained.stdout).toMatch(/step \d{5} \(\d+\.\d%\) \| loss: \d+\.\d{6} \| lrm: [\d.]+ \| dt: \d+ms \| tok\/sec: [\d,]+ \| mfu: [\d.]+% \| epoch: \d+ \| remaining: \d+s {4}\r/);
		expect(trained.stdout).toMatch(/\n---\nval_bpb: {10}\d+\.\d{6}\ntraining_seconds: \d+\.\d\ntotal_seconds: {4}\d+\.\d\npeak_vram_mb: {5}\d+\.\d\nmfu_percent: {6}\d+\.\d{2}\ntotal_tokens_M: {3}\d+\.\d\nnum_steps: {8}\d+\nnum_params_M: {5}\d+\.\d\ndepth: {12}\d+\n$/);
		expect(progress.length).toBeGreaterThan(5);
		expect(progress.at(-1)!.loss).toBeLessThan(progress[0]!.loss);
		console.log(`untrained val_bpb ${before.toFixed(6)}; after 10 s ${after.toFixed(6)} (${((1 - after / before) * 100).toFixed(1)}% lower), ${summary!['num_steps']} steps`);
	});

	it('prints FAIL and exits non-zero when the loss explodes', () => {
		const copy = path.join(scratch, 'nan');
		mkdirSync(copy);
		writeFileSync(path.join(copy, 'prepare.py'), readFileSync(prepare));
		writeFileSync(path.join(copy, 'train.py'), readFileSync(train, 'utf8').replace(/^LEARNING_RATE = .*$/m, 'LEARNING_RATE = 1e6  # absurd'));
		const result = python([path.join(copy, 'train.py')], {NIGHTSHIFT_TIME_BUDGET: '5'});
		expect(result.code).not.toBe(0);
		expect(result.stdout).toMatch(/^FAIL$/m);
		expect(result.stdout).not.toMatch(/^val_bpb:/m);
	});
});

describe('prepare.py', () => {
	it('prepares the default data once, deterministically, and caches it', () => {
		const first = python([prepare]);
		expect(first.code, first.stderr).toBe(0);
		const folder = /ready: (.*)$/m.exec(first.stdout)![1]!;
		const bins = readdirSync(folder).sort();
		expect(bins).toEqual(['done', 'train.bin', 'val.bin']);
		const again = python([prepare]);
		expect(again.stdout).not.toMatch(/^prepared/m);
		expect(again.stdout).toContain(folder);
	});

	it('trains on a folder of text files (NIGHTSHIFT_DATA)', () => {
		const data = path.join(scratch, 'texts');
		mkdirSync(data);
		for (let i = 0; i < 40; i++) writeFileSync(path.join(data, `doc${i}.txt`), `Document ${i}. ${'The quick brown fox jumps over the lazy dog. '.repeat(50)}\n`);
		const result = python([train], {NIGHTSHIFT_TIME_BUDGET: '2', NIGHTSHIFT_DATA: data});
		expect(result.code, result.stderr).toBe(0);
		expect(parseOutput(result.stdout).summary!['val_bpb']).toBeLessThan(8);
		const empty = path.join(scratch, 'empty');
		mkdirSync(empty);
		const refused = python([prepare], {NIGHTSHIFT_DATA: empty});
		expect(refused.code).not.toBe(0);
		expect(refused.stderr).toMatch(/no .txt or .parquet files/);
	});

	it('downloads shards from a base URL (a loopback server here) into the cache', async () => {
		const served = path.join(scratch, 'served');
		mkdirSync(served);
		for (let i = 0; i < 2; i++) writeFileSync(path.join(served, `shard_${String(i).padStart(5, '0')}.txt`), `shard ${i} `.repeat(2000));
		const server = spawn(torchPython, ['-m', 'http.server', '0', '--bind', '127.0.0.1', '--directory', served], {stdio: ['ignore', 'pipe', 'pipe']});
		try {
			const port = await new Promise<number>((resolve, reject) => {
				const timer = setTimeout(() => reject(new Error('http.server did not start')), 10_000);
				server.stdout.on('data', (d: Buffer) => {
					const m = /port (\d+)/.exec(String(d));
					if (m) {
						clearTimeout(timer);
						resolve(Number(m[1]));
					}
				});
			});
			const result = python([prepare, '--download', '--base-url', `http://127.0.0.1:${port}`, '--shards', '2', '--pattern', 'shard_{:05d}.txt']);
			expect(result.code, result.stderr).toBe(0);
			const folder = /NIGHTSHIFT_DATA=(.*)$/m.exec(result.stdout)![1]!;
			expect(readdirSync(folder).sort()).toEqual(['shard_00000.txt', 'shard_00001.txt']);
			const missing = python([prepare, '--download', '--base-url', `http://127.0.0.1:${port}/nowhere`, '--shards', '1', '--pattern', 'x_{:05d}.txt']);
			expect(missing.code).not.toBe(0);
			expect(missing.stderr).toMatch(/could not download/);
		} finally {
			server.kill('SIGKILL');
		}
	});
});
