// The screen alone under a fast training log, in a real terminal (a pty from
// util-linux `script`): runTui with a fake loop (bench/tui-driver.mjs) fed
// 1,000 and 10,000 lines a second for 10 s, and an idle run (one progress
// line a second). For each: the screen's CPU (its own process.cpuUsage over
// the stream), bytes written to the terminal a second, snapshots published a
// second, RSS at the start, end and peak, and the live heap. For comparison,
// the same stream written to a pty through `cat`, and the stream generator
// alone. Checks on the way that the terminal was given back (main screen,
// cursor shown) and that React's production build ran. bench/tui-stream.mjs
// measures the whole app (loop, runner and screen) instead. Build first
// (npm run build); last line: `tui: <cpu% at 1000 lines/s> %cpu`.
//
//   BENCH_SECONDS=10 node bench/tui-screen.mjs
import {spawn, spawnSync} from 'node:child_process';
import {existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const driver = path.join(root, 'bench', 'tui-driver.mjs');
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const size = {cols: 120, rows: 40};

if (!existsSync(path.join(root, 'dist', 'ui', 'run-tui.js'))) {
	console.error('tui-screen: build first (npm run build)');
	process.exit(2);
}
if (spawnSync('script', ['--version']).status !== 0) {
	console.error('tui-screen: needs util-linux `script` for a pty');
	process.exit(2);
}
const hasTime = existsSync('/usr/bin/time');

const quote = s => `'${String(s).replace(/'/g, `'\\''`)}'`;
const env = {...process.env, TERM: 'xterm-256color', ...(process.env.BENCH_NODE_ENV ? {NODE_ENV: process.env.BENCH_NODE_ENV} : {})};
for (const k of ['CI', 'GITHUB_ACTIONS', 'CONTINUOUS_INTEGRATION', 'BUILD_NUMBER', 'RUN_ID', 'NO_COLOR']) delete env[k];

const work = mkdtempSync(path.join(tmpdir(), 'nightshift-tui-bench-'));
const readJson = file => {
	try {
		return JSON.parse(readFileSync(file, 'utf8'));
	} catch {
		return undefined;
	}
};
const sleep = ms => new Promise(r => setTimeout(r, ms));

/** Runs `command` in a pty; returns what it wrote (timestamped chunk sizes, and the tail). */
async function inPty(command, {onReport, reportFile, limitMs}) {
	const child = spawn('script', ['-qfec', `stty cols ${size.cols} rows ${size.rows} 2>/dev/null; ${command}`, '/dev/null'], {
		cwd: root,
		env,
		stdio: ['pipe', 'pipe', 'inherit'],
	});
	const chunks = [];
	let tail = '';
	child.stdout.on('data', data => {
		chunks.push([Date.now(), data.length]);
		tail = (tail + data.toString('latin1')).slice(-4096);
	});
	const exited = new Promise(resolve => child.on('exit', code => resolve(code)));
	const until = Date.now() + limitMs;
	let acted = false;
	while (Date.now() < until) {
		const report = readJson(reportFile);
		if (!acted && report?.streamed) {
			acted = true;
			await onReport?.(child, report);
		}
		if (child.exitCode !== null) break;
		await sleep(100);
	}
	if (child.exitCode === null) child.kill('SIGKILL');
	const code = await exited;
	return {chunks, tail, code, report: readJson(reportFile)};
}

const bytesIn = (chunks, start, end) => chunks.filter(([t]) => t >= start && t <= end + 150).reduce((sum, [, n]) => sum + n, 0);
const mb = bytes => (bytes / 1024 / 1024).toFixed(1);

async function tuiCase(name, rate, extra = []) {
	const reportFile = path.join(work, `${name}.json`);
	const command = `exec ${quote(process.execPath)} --expose-gc ${quote(driver)} --rate ${rate} --seconds ${seconds} --report ${quote(reportFile)} ${extra.join(' ')}`;
	const bare = extra.includes('--bare');
	const result = await inPty(command, {
		reportFile,
		limitMs: (seconds + 20) * 1000,
		// The user presses q: nothing is running, so the screen quits at once.
		onReport: async child => {
			if (!bare) {
				await sleep(300);
				child.stdin.write('q');
			}
		},
	});
	const r = result.report;
	if (!r?.streamed) throw new Error(`${name}: the driver did not finish its stream (exit ${result.code})`);
	const window = (r.end - r.start) / 1000;
	const cpu = ((r.cpu.user + r.cpu.system) / 1e6 / window) * 100;
	const rss = r.rss.map(([, v]) => v);
	const restored = bare || (result.tail.includes('\u001b[?1049l') && result.tail.includes('\u001b[?25h'));
	if (!restored) throw new Error(`${name}: the terminal was not given back (no main-screen / show-cursor sequence at exit)`);
	if (!bare && !r.exited) throw new Error(`${name}: the screen did not quit on q`);
	if (!bare && r.react !== 'production') throw new Error(`${name}: React's ${r.react} build was loaded, not production`);
	return {
		name,
		rate,
		cpu,
		bytesPerSecond: bytesIn(result.chunks, r.start, r.end) / window,
		snapshotsPerSecond: (r.published ?? 0) / window,
		rssStart: rss[1] ?? rss[0],
		rssEnd: rss.at(-1),
		rssPeak: Math.max(...rss),
		heapStart: r.heapStart,
		heapEnd: r.heapEnd,
	};
}

async function catCase(name, rate) {
	const reportFile = path.join(work, `${name}.json`);
	const timeFile = path.join(work, `${name}.time`);
	const sink = hasTime ? `/usr/bin/time -f '%U %S %M' -o ${quote(timeFile)} cat` : 'cat';
	const command = `${quote(process.execPath)} ${quote(driver)} --cat --rate ${rate} --seconds ${seconds} --report ${quote(reportFile)} | ${sink}`;
	const started = Date.now();
	const result = await inPty(command, {reportFile, limitMs: (seconds + 20) * 1000});
	const r = result.report;
	const end = r?.end ?? Date.now();
	const start = r?.start ?? started;
	const window = (end - start) / 1000;
	let cpu = Number.NaN;
	let rss = Number.NaN;
	if (hasTime && existsSync(timeFile)) {
		const [user, system, maxKb] = readFileSync(timeFile, 'utf8').trim().split('\n').at(-1).split(' ').map(Number);
		cpu = ((user + system) / window) * 100;
		rss = maxKb * 1024;
	}
	return {name, rate, cpu, bytesPerSecond: bytesIn(result.chunks, start, end) / window, rssPeak: rss};
}

const rows = [];
try {
	rows.push(await tuiCase('tui 1000', 1000));
	rows.push(await tuiCase('tui 10000', 10_000));
	rows.push(await tuiCase('tui idle', 1));
	rows.push(await tuiCase('generator alone 1000', 1000, ['--bare']));
	rows.push(await tuiCase('generator alone 10000', 10_000, ['--bare']));
	rows.push(await catCase('cat 1000', 1000));
	rows.push(await catCase('cat 10000', 10_000));
} finally {
	rmSync(work, {recursive: true, force: true});
}

const fmt = (x, digits = 1) => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a');
const table = [
	[
		'case',
		'lines/s',
		'CPU % (1 core)',
		'tty bytes/s',
		'snapshots/s',
		'RSS start MB',
		'RSS end MB',
		'RSS peak MB',
		'heap start MB',
		'heap end MB',
	],
	...rows.map(r => [
		r.name,
		String(r.rate),
		fmt(r.cpu),
		fmt(r.bytesPerSecond, 0),
		r.snapshotsPerSecond === undefined ? '' : fmt(r.snapshotsPerSecond),
		r.rssStart === undefined ? '' : mb(r.rssStart),
		r.rssEnd === undefined ? '' : mb(r.rssEnd),
		Number.isFinite(r.rssPeak) ? mb(r.rssPeak) : 'n/a',
		r.heapStart === undefined ? '' : mb(r.heapStart),
		r.heapEnd === undefined ? '' : mb(r.heapEnd),
	]),
];
const widths = table[0].map((_, i) => Math.max(...table.map(row => row[i].length)));
console.log(
	`tui-screen: ${seconds} s per case, pty ${size.cols}x${size.rows}, node ${process.version}${hasTime ? '' : ' (no /usr/bin/time: cat CPU n/a)'}`,
);
for (const row of table) console.log(row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  '));
console.log('(cat rows: CPU and peak RSS of cat itself; generator rows: the fake loop with no screen; heap: live heap after a full GC)');
console.log(`tui: ${fmt(rows[0].cpu)} %cpu`);
