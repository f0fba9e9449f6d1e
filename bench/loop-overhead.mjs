// Loop overhead between two experiments, excluding training and proposing:
// an instant proposer and a trivial run command, so what is left is the
// loop's own work (apply, commit, run folder, diff, judge, record, reset).
// Prints the per-experiment figures, then `loop-overhead: <median> ms`.
import {execFileSync} from 'node:child_process';
import {mkdtempSync, mkdirSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {Loop} from '../dist/core/loop.js';

const experiments = Number(process.env.BENCH_EXPERIMENTS ?? 40);

const dir = mkdtempSync(path.join(tmpdir(), 'nightshift-bench-'));
try {
	mkdirSync(path.join(dir, 'arena'));
	writeFileSync(
		path.join(dir, 'program.md'),
		'---\neditable: [arena/knob.py]\ncommand: sh run.sh\ncwd: arena\nmetric: val_bpb\ndirection: lower\nbudget: 1\n---\nbench\n',
	);
	writeFileSync(path.join(dir, 'arena', 'knob.py'), 'KNOB = 0  # the only thing that changes\n');
	// The metric comes from the knob: every other experiment improves (kept), the rest do not (reverted).
	writeFileSync(
		path.join(dir, 'arena', 'run.sh'),
		'k=$(sed -n "s/^KNOB = \\([0-9]*\\).*/\\1/p" knob.py)\necho "step 00001 (100.0%) | loss: 1.000000"\necho ---\nif [ $((k % 2)) -eq 0 ]; then v=$((100000 - k)); else v=999999; fi\necho "val_bpb:          $v.000000"\necho "peak_vram_mb:     0.0"\n',
	);
	const git = (...args) => execFileSync('git', args, {cwd: dir, stdio: 'pipe'});
	git('init', '-q', '-b', 'main');
	git('-c', 'user.name=bench', '-c', 'user.email=bench@localhost', 'add', '-A');
	git('-c', 'user.name=bench', '-c', 'user.email=bench@localhost', 'commit', '-q', '-m', 'bench arena');

	let knob = 0;
	const proposer = {
		name: 'instant',
		pipelined: false,
		async propose(request) {
			const line = request.files['arena/knob.py'].split('\n')[0];
			knob++;
			return {
				description: `KNOB ${knob}`,
				edits: [{path: 'arena/knob.py', search: line, replace: line.replace(/= \d+/, `= ${knob * 13}`)}],
				proposer: 'instant',
			};
		},
	};
	const loop = new Loop({workspace: dir, proposer, maxExperiments: experiments});
	const marks = [];
	let current;
	loop.subscribe(event => {
		const t = performance.now();
		if (event.type === 'proposal-start') current = {proposeStart: t};
		if (event.type === 'proposal' && current) current.proposeEnd = t;
		if (event.type === 'run-start') marks.push({...current, runStart: t, n: event.n});
		if (event.type === 'run-end') Object.assign(marks.at(-1), {seconds: event.seconds, status: event.record.status});
	});
	await loop.setup();
	const started = performance.now();
	await loop.run();
	const total = performance.now() - started;

	const overheads = [];
	for (let i = 1; i < marks.length; i++) {
		const previous = marks[i - 1];
		const next = marks[i];
		const proposing = next.proposeEnd - next.proposeStart;
		const between = next.runStart - previous.runStart - previous.seconds * 1000 - proposing;
		overheads.push({n: next.n, between, proposing, status: previous.status});
	}
	const sorted = overheads.map(o => o.between).sort((a, b) => a - b);
	const median = sorted[Math.floor(sorted.length / 2)];
	const p90 = sorted[Math.floor(sorted.length * 0.9)];
	const kept = marks.filter(m => m.status === 'keep').length;
	console.log(`experiments: ${marks.length} (${kept} kept, ${marks.length - kept} reverted), wall ${(total / 1000).toFixed(1)} s`);
	console.log(
		`overhead per experiment, excluding the run and the proposal: median ${median.toFixed(1)} ms, p90 ${p90.toFixed(1)} ms, max ${sorted.at(-1).toFixed(1)} ms`,
	);
	console.log(
		`run process time (sh, trivial): median ${marks
			.map(m => m.seconds * 1000)
			.sort((a, b) => a - b)
			[Math.floor(marks.length / 2)].toFixed(1)} ms`,
	);
	console.log(`target: median under 250 ms -> ${median < 250 ? 'met' : 'NOT met'}`);
	console.log(`loop-overhead: ${median.toFixed(1)} ms`);
} finally {
	rmSync(dir, {recursive: true, force: true});
}
