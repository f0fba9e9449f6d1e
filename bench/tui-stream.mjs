// The screen under a firehose: the real app (loop and TUI) in a real pty
// (util-linux `script`), its run printing synthetic training output at 1,000
// and 10,000 lines a second for 10 s, and at idle (one progress line a
// second). Measures the app's CPU time per second, bytes written to the
// terminal per second and RSS; and the same stream through `cat` in a pty.
// Prints each case against `cat`, the targets, `tui: <cpu % of one core at
// 1,000 lines/s> %cpu`, and last `tui: <KB/s to the terminal at idle> KB/s idle`.
//
//   BENCH_SECONDS=10 (each case's length)  BENCH_RATES=1000,10000,1 (the cases)
import {execFileSync, spawn} from 'node:child_process';
import {mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';

const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const root = path.resolve(import.meta.dirname, '..');
const cli = path.join(root, 'dist', 'cli.js');
const python = process.env.NIGHTSHIFT_PYTHON ?? (existsPython('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
const ticks = Number(execFileSync('getconf', ['CLK_TCK'], {encoding: 'utf8'}).trim());
const pageSize = 4096;

function existsPython(p) {
	try {
		statSync(p);
		return true;
	} catch {
		return false;
	}
}

// The synthetic run: `rate` lines a second for `seconds`, every tenth a whole line, the rest `\r` progress.
const generator = `import os, sys, time
rate = float(os.environ["RATE"]); seconds = float(os.environ["SECONDS_TOTAL"])
start = time.time(); n = 0; out = sys.stdout
while True:
    now = time.time() - start
    if now >= seconds: break
    due = int(now * rate)
    chunk = []
    while n < due:
        n += 1
        if n % 10 == 0:
            chunk.append(f"info: checkpoint {n} at {now:.2f}s, some longer text to make the line realistic\\n")
        else:
            chunk.append(f"step {n:05d} ({100 * now / seconds:.1f}%) | loss: {3 - n / (rate * seconds):.6f} | lrm: 1.00 | dt: 1ms | tok/sec: 12,345 | mfu: 0.0% | epoch: 1 | remaining: {seconds - now:.0f}s    \\r")
    if chunk: out.write("".join(chunk)); out.flush()
    time.sleep(min(0.01, 1 / rate))
print()
print("---")
print("val_bpb:          1.000000")
print("peak_vram_mb:     0.0")
`;

function procStat(pid) {
	const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
	const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
	return {cpu: (Number(fields[11]) + Number(fields[12])) / ticks, rss: Number(fields[21]) * pageSize};
}

function findPid(pattern) {
	const out = execFileSync('pgrep', ['-f', pattern], {encoding: 'utf8'}).trim().split('\n').filter(Boolean);
	return Number(out.at(-1));
}

const sleep = ms => new Promise(r => setTimeout(r, ms));

/** True when a process under `root` (at any depth) has `text` in its command line. */
function descendantRunning(root, text) {
	const parent = new Map();
	for (const entry of readdirSync('/proc')) {
		if (!/^\d+$/.test(entry)) continue;
		try {
			const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
			parent.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
		} catch {
			// Gone meanwhile.
		}
	}
	for (const pid of parent.keys()) {
		let p = parent.get(pid);
		while (p && p !== root) p = parent.get(p);
		if (!p) continue;
		try {
			if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(text)) return true;
		} catch {
			// Gone meanwhile.
		}
	}
	return false;
}

/** Runs `command` in a 120x40 pty; returns the transcript path and the script process. */
function inPty(command, transcript, env) {
	// Ink renders nothing live when CI is set at all (even empty): take it out.
	const {CI: _ci, ...rest} = process.env;
	const child = spawn('script', ['-qfe', '-E', 'never', '-c', `stty cols 120 rows 40; ${command}`, transcript], {
		stdio: ['pipe', 'ignore', 'ignore'],
		env: {...rest, ...env},
	});
	return child;
}

async function measureApp(rate, work, extra = '') {
	const arena = path.join(work, `arena-${rate}${extra ? '-bare' : ''}`);
	mkdirSync(path.join(arena, 'train'), {recursive: true});
	writeFileSync(
		path.join(arena, 'train', 'train.py'),
		`# --- hyperparameters ---\nKNOB = 1  # unused\n# --- end hyperparameters ---\n${generator}`,
	);
	writeFileSync(
		path.join(arena, 'program.md'),
		`---\neditable: [train/train.py]\ncommand: python train.py\ncwd: train\nmetric: val_bpb\ndirection: lower\nbudget: ${seconds}\ntimeout: ${seconds * 3 + 30}\n---\nbench\n`,
	);
	const git = (...args) =>
		execFileSync('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@localhost', ...args], {cwd: arena, stdio: 'ignore'});
	git('init', '-q', '-b', 'main');
	git('add', '-A');
	git('commit', '-q', '-m', 'bench');
	const transcript = path.join(work, `tty-${rate}.out`);
	const marker = `nightshift-bench-${rate}-${process.pid}`;
	const child = inPty(
		`exec -a ${marker} ${process.execPath} ${cli} --proposer search --max-experiments 1 --workspace ${arena}${extra}`,
		transcript,
		{
			RATE: String(rate),
			SECONDS_TOTAL: String(seconds),
			NIGHTSHIFT_PYTHON: python,
			NIGHTSHIFT_CONFIG_DIR: path.join(work, 'config'),
		},
	);
	// Wait for the run to start printing, then measure over the stream.
	let pid;
	for (let i = 0; i < 100 && !pid; i++) {
		await sleep(100);
		try {
			pid = findPid(marker);
		} catch {
			// Not there yet.
		}
	}
	if (!pid) throw new Error('the app did not start');
	// This app's own run (a process under it running train.py): another train.py on the machine must not start the clock.
	for (let i = 0; i < 200 && !descendantRunning(pid, 'train.py'); i++) await sleep(50);
	await sleep(500);
	const start = procStat(pid);
	const bytes0 = statSync(transcript).size;
	const t0 = performance.now();
	const rss = [];
	const window = (seconds - 2) * 1000;
	while (performance.now() - t0 < window) {
		await sleep(250);
		rss.push(procStat(pid).rss);
	}
	const end = procStat(pid);
	const elapsed = (performance.now() - t0) / 1000;
	const bytes = statSync(transcript).size - bytes0;
	// Quit: q, then let the run finish.
	child.stdin.write('q');
	await sleep(300);
	child.stdin.write('f');
	child.stdin.write('y');
	const done = await Promise.race([new Promise(r => child.on('close', () => r(true))), sleep(60_000).then(() => false)]);
	if (!done) child.kill('SIGKILL');
	const third = Math.max(1, Math.floor(rss.length / 3));
	const avg = xs => xs.reduce((a, b) => a + b, 0) / xs.length;
	return {
		cpu: (100 * (end.cpu - start.cpu)) / elapsed,
		bytesPerSecond: bytes / elapsed,
		peakRss: Math.max(...rss),
		rssFirst: avg(rss.slice(0, third)),
		rssLast: avg(rss.slice(-third)),
	};
}

async function measureCat(rate, work) {
	const script = path.join(work, 'gen.py');
	writeFileSync(script, generator);
	const transcript = path.join(work, `cat-${rate}.out`);
	const marker = `cat-bench-${process.pid}`;
	const child = inPty(`${python} ${script} | exec -a ${marker} cat`, transcript, {RATE: String(rate), SECONDS_TOTAL: String(seconds)});
	let pid;
	for (let i = 0; i < 50 && !pid; i++) {
		await sleep(100);
		try {
			pid = findPid(marker);
		} catch {
			// Not yet.
		}
	}
	await sleep(500);
	const start = procStat(pid);
	const bytes0 = statSync(transcript).size;
	const t0 = performance.now();
	await sleep((seconds - 2) * 1000);
	const end = procStat(pid);
	const elapsed = (performance.now() - t0) / 1000;
	const bytes = statSync(transcript).size - bytes0;
	await new Promise(r => child.on('close', r));
	return {cpu: (100 * (end.cpu - start.cpu)) / elapsed, bytesPerSecond: bytes / elapsed};
}

const work = mkdtempSync(path.join(tmpdir(), 'nightshift-tui-bench-'));
try {
	const rows = [];
	const rates = (process.env.BENCH_RATES ?? '1000,10000,1').split(',').map(Number);
	for (const rate of rates) {
		const app = await measureApp(rate, work);
		const cat = await measureCat(rate, work);
		rows.push({rate, app, cat});
		console.log(
			`${String(rate).padStart(6)} lines/s | app: ${app.cpu.toFixed(1).padStart(5)}% cpu, ${(app.bytesPerSecond / 1024).toFixed(2).padStart(8)} KB/s to the terminal, RSS peak ${(app.peakRss / 2 ** 20).toFixed(1)} MB (first third ${(app.rssFirst / 2 ** 20).toFixed(1)} MB, last third ${(app.rssLast / 2 ** 20).toFixed(1)} MB) | cat: ${cat.cpu.toFixed(1).padStart(5)}% cpu, ${(cat.bytesPerSecond / 1024).toFixed(1).padStart(8)} KB/s`,
		);
	}
	// BENCH_HEADLESS=1: the loop alone at 1,000 lines/s (plain lines, no screen), what the screen's share is measured from.
	if (process.env.BENCH_HEADLESS) {
		const bare = await measureApp(1000, work, ' --headless');
		console.log(
			`  1000 lines/s | the loop alone (--headless): ${bare.cpu.toFixed(1).padStart(5)}% cpu, RSS ${(bare.rssFirst / 2 ** 20).toFixed(1)} -> ${(bare.rssLast / 2 ** 20).toFixed(1)} MB (first third, last third)`,
		);
	}
	const at1000 = rows.find(r => r.rate === 1000);
	const idle = rows.find(r => r.rate === 1);
	const mb = x => (x / 2 ** 20).toFixed(1);
	const targets = [
		at1000 ? `cpu at 1,000 lines/s < 6% (${at1000.app.cpu.toFixed(1)}%; cat ${at1000.cat.cpu.toFixed(1)}%)` : undefined,
		idle ? `idle < 0.5 KB/s (${(idle.app.bytesPerSecond / 1024).toFixed(2)} KB/s)` : undefined,
		`RSS flat (${rows.map(r => `${r.rate}: ${mb(r.app.rssFirst)} -> ${mb(r.app.rssLast)} MB, ${((r.app.rssLast / r.app.rssFirst - 1) * 100).toFixed(1)}%`).join('; ')}, first to last third)`,
	];
	console.log(`targets: ${targets.filter(Boolean).join(', ')}`);
	if (at1000) console.log(`tui: ${at1000.app.cpu.toFixed(1)} %cpu`);
	if (idle) console.log(`tui: ${(idle.app.bytesPerSecond / 1024).toFixed(2)} KB/s idle`);
} finally {
	// BENCH_KEEP=1 leaves the transcripts (tty-<rate>.out) to look at.
	if (process.env.BENCH_KEEP) console.error(`kept ${work}`);
	else rmSync(work, {recursive: true, force: true});
}
