// The screen under a synthetic training stream, for bench/tui-screen.mjs and
// the terminal tests. Runs runTui (from dist/) with a fake loop that emits
// `log` events (mostly `\r` progress lines, some full lines, now and then a
// wide character or an escape sequence) and `progress` events at a given
// rate. Meant to run inside a pty (script -qfec ...). Reports, as JSON in
// --report: its pid, the stream's start and end (epoch ms), CPU time used
// during the stream, RSS samples, and how many snapshots the store published.
//
//   node bench/tui-driver.mjs --rate 1000 --seconds 10 --report /tmp/r.json
//   node bench/tui-driver.mjs --cat --rate 1000 --seconds 10   (plain lines to stdout, for `| cat`)
//   --crash-after MS   throw an uncaught error after MS (the terminal must come back)
//   --running          the fake loop says a run is in progress (q then asks)
//   --bare             the same stream and fake loop with no screen (what the generator itself costs)
import {writeFileSync} from 'node:fs';

const args = process.argv.slice(2);
const flag = name => args.includes(name);
const option = (name, fallback) => {
	const i = args.indexOf(name);
	return i === -1 ? fallback : args[i + 1];
};
const rate = Number(option('--rate', 1000));
const seconds = Number(option('--seconds', 10));
const reportPath = option('--report', undefined);
const crashAfter = option('--crash-after', undefined);

const report = {pid: process.pid, rate, seconds, rss: []};
const writeReport = () => {
	if (reportPath) writeFileSync(reportPath, JSON.stringify(report));
};
writeReport();

let serial = 0;
/** The n-th line of the stream: 9 in 10 are `\r` progress, the rest full lines. */
function line(i) {
	const step = i;
	if (i % 10 !== 9) {
		const pct = ((i % 10_000) / 100).toFixed(1);
		const loss = 3 + 2 * Math.exp(-i / 20_000) + 0.05 * Math.sin(i / 7);
		return {
			partial: true,
			text: `step ${String(step).padStart(5, '0')} (${pct}%) | loss: ${loss.toFixed(6)} | lrm: 1.00 | dt: 93ms | tok/sec: 175,921 | mfu: 41.2% | epoch: 1 | remaining: ${Math.max(0, 300 - (i % 300))}s`,
			loss,
			step,
		};
	}
	serial++;
	const extra = serial % 50 === 0 ? ' \u001b[31mred\u001b[0m \u001b]0;title\u0007' : serial % 7 === 0 ? ' 日本語のログ ✓ 🚀' : '';
	return {partial: false, text: `eval ${serial}: val_loss ${(3 + 1 / serial).toFixed(4)} | ${'x'.repeat(serial % 40)}${extra}`};
}

if (flag('--cat')) {
	// The same stream as plain terminal output: progress lines end in \r, the others in \n.
	const started = Date.now();
	report.start = started;
	let sent = 0;
	const timer = setInterval(() => {
		const due = Math.min(Math.floor(((Date.now() - started) / 1000) * rate), rate * seconds);
		let chunk = '';
		for (; sent < due; sent++) {
			const l = line(sent);
			chunk += l.text + (l.partial ? '\r' : '\n');
		}
		if (chunk) process.stdout.write(chunk);
		if (sent >= rate * seconds) {
			clearInterval(timer);
			report.end = Date.now();
			report.cpu = process.cpuUsage();
			writeReport();
		}
	}, 10);
} else {
	const {runTui} = await import('../dist/ui/run-tui.js');
	const {UiStore} = await import('../dist/ui/state.js');

	class FakeLoop {
		listeners = new Set();
		running = flag('--running');
		goal = '---\nbudget: 300\n---\n# Goal\n\nLower val_bpb on the bundled arena.\n';
		subscribe(listener) {
			this.listeners.add(listener);
			return () => this.listeners.delete(listener);
		}
		emit(event) {
			for (const l of this.listeners) l(event);
		}
		pause() {}
		resume() {}
		stopRun() {}
		overrule() {}
		setBudget() {}
		setModel() {}
		say() {}
		ask() {}
		removeNote() {}
		showNotes() {}
		showMemory() {}
		async details(n) {
			return {n, diff: '', logTail: [], summary: undefined};
		}
		async changeSinceBaseline() {
			return '';
		}
		lastSeen() {
			return undefined;
		}
		markSeen() {}
		async saveGoal(text) {
			this.goal = text;
		}
		readGoal() {
			return this.goal;
		}
		async quit(mode) {
			report.quit = mode;
			writeReport();
			this.running = false;
			this.emit({type: 'state', state: 'done', detail: 'stopped'});
		}
	}

	const loop = new FakeLoop();
	const store = new UiStore(10);
	loop.subscribe(store.handle);
	loop.emit({
		type: 'session',
		tag: 'bench',
		branch: 'autoresearch/bench',
		workspace: '/w',
		worktree: '/w/runs/worktrees/w0',
		runsDir: '/w/runs',
		resumed: false,
		metric: 'val_bpb',
		direction: 'lower',
		editable: ['train/train.py'],
		budgetSeconds: 300,
		proposer: 'search',
	});
	// The baseline ran before: its loss curve is the best run's, as in any night after the first run.
	const base = {n: 1, commit: 'aaaaaaa', metric: 1.05, memoryGb: 40, status: 'keep', description: 'baseline'};
	loop.emit({
		type: 'run-start',
		n: 1,
		commit: 'aaaaaaa',
		description: 'baseline',
		budgetSeconds: 300,
		timeoutSeconds: 600,
		startedAt: Date.now() - 300_000,
	});
	for (let step = 0; step <= 3000; step += 10)
		loop.emit({type: 'progress', n: 1, step, loss: 3 + 2 * Math.exp(-step / 600), pct: step / 30});
	loop.emit({type: 'run-end', n: 1, record: base, best: base, baseline: base, seconds: 300});
	loop.emit({type: 'state', state: 'running', detail: 'experiment 2'});
	loop.emit({
		type: 'run-start',
		n: 2,
		commit: 'bbbbbbb',
		description: 'LEARNING_RATE 3e-3 -> 6e-3',
		budgetSeconds: 600,
		timeoutSeconds: 900,
		startedAt: Date.now(),
	});

	let finishBare;
	const screen = flag('--bare') ? new Promise(r => (finishBare = r)) : runTui(loop, store, {programPath: '/w/program.md'});
	// The screen may end before the stream does (q, a signal): then the stream stops too.
	let screenEnded = false;
	screen.then(
		() => (screenEnded = true),
		() => (screenEnded = true),
	);

	if (crashAfter !== undefined) {
		setTimeout(() => {
			throw new Error('a deliberate crash (bench driver)');
		}, Number(crashAfter));
	}

	// Let the first frame settle before measuring.
	await new Promise(r => setTimeout(r, 500));
	report.react = (await import('../dist/ui/production.js')).reactLoaded() ?? 'none';
	const sample = () => {
		const m = process.memoryUsage();
		// RSS first (what the benchmarks read); then the heap V8 holds, what is live in it, and memory outside it.
		report.rss.push([Date.now(), m.rss, m.heapTotal, m.heapUsed, m.external + m.arrayBuffers]);
	};
	// The live heap after a full collection (node --expose-gc): what a leak would grow.
	const liveHeap = () => {
		globalThis.gc?.();
		return process.memoryUsage().heapUsed;
	};
	report.heapStart = liveHeap();
	sample();
	const sampler = setInterval(sample, 200);
	const cpu0 = process.cpuUsage();
	const published0 = store.published;
	const started = Date.now();
	report.start = started;
	writeReport();
	let sent = 0;
	const total = Math.round(rate * seconds);
	await new Promise(resolve => {
		const timer = setInterval(() => {
			const due = Math.min(Math.floor(((Date.now() - started) / 1000) * rate), total);
			for (; sent < due; sent++) {
				const l = line(sent);
				loop.emit({type: 'log', n: 2, text: l.text, partial: l.partial});
				if (l.partial) loop.emit({type: 'progress', n: 2, step: l.step, loss: l.loss});
			}
			if (screenEnded || (sent >= total && Date.now() - started >= seconds * 1000)) {
				clearInterval(timer);
				resolve();
			}
		}, 10);
	});
	report.end = Date.now();
	report.cpu = process.cpuUsage(cpu0);
	report.published = store.published - published0;
	report.lines = sent;
	sample();
	report.heapEnd = liveHeap();
	clearInterval(sampler);
	report.streamed = !screenEnded;
	writeReport();
	finishBare?.();
	await screen;
	report.exited = true;
	writeReport();
	process.exit(0);
}
