// GPU idle fraction: how long the "GPU" (the run) waits between experiments
// for the model, as a share of wall time. A stand-in Ollama model that takes
// 20 s per proposal (streamed), runs of 30 s, 10 experiments. Three cases:
// pipelined (proposals prepared while runs train) with each proposal on its
// own constant, so a prepared one re-applies on top of a keep; pipelined in
// the conflict case, every proposal on the same constant and every other one
// better, so a keep makes the prepared proposals stop applying; and the same
// proposer not pipelined, for comparison. The real OllamaProposer and the
// real `ollama` client speak to the stand-in.
// BENCH_SCALE=0.1 runs it ten times faster for a quick look.
// Last line: `gpu-idle: <worst pipelined idle %> %`.
import {execFileSync} from 'node:child_process';
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {FallbackProposer} from '../source/proposers/fallback.js';
import {OllamaProposer} from '../source/proposers/ollama.js';
import type {Proposal, ProposalRequest, Proposer} from '../source/core/proposer.js';
import {SearchProposer} from '../source/proposers/search.js';
import {Loop} from '../source/core/loop.js';
import {startStandin, type ChatBody} from '../test/support/ollama-standin.js';

const scale = Number(process.env.BENCH_SCALE ?? 1);
const proposeSeconds = 20 * scale;
const runSeconds = 30 * scale;
const experiments = Number(process.env.BENCH_EXPERIMENTS ?? 10);
const model = 'bench-coder:7b';

function arena(dir: string): void {
	mkdirSync(path.join(dir, 'arena'));
	writeFileSync(
		path.join(dir, 'program.md'),
		`---\neditable: [arena/knob.py]\ncommand: sh run.sh\ncwd: arena\nmetric: val_bpb\ndirection: lower\nbudget: ${runSeconds}\n---\nbench\n`,
	);
	const knobs = Array.from({length: 10}, (_, i) => `KNOB_${i} = 100  # one of ten settings`).join('\n');
	writeFileSync(path.join(dir, 'arena', 'knob.py'), `# --- hyperparameters ---\n${knobs}\n# --- end hyperparameters ---\n`);
	// A "training run" that takes exactly the budget; its metric is the sum of the knobs (lower is better).
	writeFileSync(
		path.join(dir, 'arena', 'run.sh'),
		'v=$(awk \'/^KNOB_/ { s += $3 } END { print s }\' knob.py)\nsleep "$NIGHTSHIFT_TIME_BUDGET"\necho "step 00001 (100.0%) | loss: 1.000000"\necho ---\necho "val_bpb:          $v.000000"\necho "peak_vram_mb:     0.0"\n',
	);
	const git = (...args: string[]) =>
		execFileSync('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@localhost', ...args], {cwd: dir, stdio: 'ignore'});
	git('init', '-q', '-b', 'main');
	git('add', '-A');
	git('commit', '-q', '-m', 'bench arena');
}

/**
 * The model's answer for its `i`-th proposal: knob i mod 10, lowered (better)
 * on even i and raised (worse) on odd i, as a SEARCH/REPLACE block against the
 * prompt's file. One knob a proposal, so a prepared proposal re-applies on
 * top of a kept one, as most of a model's different ideas would.
 */
function answer(body: ChatBody, i: number, oneKnob: boolean): string {
	// The file as the request shows it (a repair turn's last message is only the feedback).
	const user = body.messages.filter(m => m.role === 'user' && m.content.includes('# Files you may edit')).at(-1)!.content;
	const name = `KNOB_${oneKnob ? 0 : i % 10}`;
	const line = user.split('\n').find(l => l.startsWith(`${name} = `))!;
	const value = Number(/= (\d+)/.exec(line)![1]);
	// A step that grows with i: no two answers make the same file, as a model told what runs now would not.
	const step = oneKnob ? i + 1 : 1;
	const next = i % 2 === 0 ? value - step : value + step;
	return `DESCRIPTION: ${name} ${value} -> ${next}\nRATIONALE: bench.\n\narena/knob.py\n<<<<<<< SEARCH\n${line}\n=======\n${name} = ${next}  # one of ten settings\n>>>>>>> REPLACE\n`;
}

/** The same proposer with pipelining turned off: proposals only after each run. */
function serial(inner: Proposer): Proposer {
	return {
		name: inner.name,
		pipelined: false,
		propose: (request: ProposalRequest): Promise<Proposal> => inner.propose(request),
	};
}

type Measured = {idle: number; wall: number; between: number[]; requests: number; kept: number; runs: number; standIns: number};

async function measure(pipelined: boolean, conflict: boolean): Promise<Measured> {
	const dir = mkdtempSync(path.join(tmpdir(), 'nightshift-gpu-idle-'));
	const standin = await startStandin({models: [model]});
	try {
		arena(dir);
		let next = 0;
		// The answer's tokens (as the stand-in splits them) spread over the proposal time.
		standin.fallback = body => {
			const content = answer(body, next++, conflict);
			const tokens = content.match(/\s*\S+|\s+/g)?.length ?? 1;
			return {content, delayMs: (proposeSeconds * 1000) / tokens};
		};
		const primary = new OllamaProposer({model, host: standin.url, numCtx: 8192, numPredict: 1024});
		const fallback = new FallbackProposer({primary, fallback: new SearchProposer()});
		const proposer = pipelined ? fallback : serial(fallback);
		const loop = new Loop({workspace: dir, proposer, maxExperiments: experiments});
		const runs: Array<{start: number; end?: number}> = [];
		let kept = 0;
		let standIns = 0;
		loop.subscribe(event => {
			const t = performance.now();
			if (event.type === 'run-start') runs.push({start: t});
			// A run ends in a verdict, or as one of the runs an experiment waits on (the baseline's repeats, a confirmation).
			if (event.type === 'run-end' || event.type === 'run-measured' || event.type === 'rerun') {
				const open = runs.findLast(r => r.end === undefined);
				if (open) open.end = t;
			}
			if (event.type === 'run-end' && event.record.status === 'keep') kept++;
			if (event.type === 'proposal' && event.proposer !== 'ollama') standIns++;
		});
		await loop.setup();
		const t0 = performance.now();
		await loop.run();
		const wall = performance.now() - t0;
		const between = runs.slice(1).map((r, i) => r.start - runs[i]!.end!);
		const idle = between.reduce((a, b) => a + b, 0);
		return {idle: idle / wall, wall, between, requests: standin.chats.length, kept, runs: runs.length, standIns};
	} finally {
		await standin.close();
		rmSync(dir, {recursive: true, force: true});
	}
}

const pipelined = await measure(true, false);
const conflicts = await measure(true, true);
const unpipelined = await measure(false, false);
const fmt = (r: Measured) =>
	`idle ${(r.idle * 100).toFixed(2)}% of ${(r.wall / 1000).toFixed(1)} s wall; gaps between runs: median ${[...r.between].sort((a, b) => a - b)[Math.floor(r.between.length / 2)]!.toFixed(0)} ms, max ${Math.max(...r.between).toFixed(0)} ms; ${r.kept} of ${r.runs} runs kept; ${r.requests} model requests, ${r.standIns} experiments from the stand-in`;
const worst = Math.max(pipelined.idle, conflicts.idle);
console.log(`model ${proposeSeconds} s per proposal, runs ${runSeconds} s, ${experiments} experiments (the baseline included)`);
console.log(`pipelined, ten constants:          ${fmt(pipelined)}`);
console.log(`pipelined, one constant (conflict): ${fmt(conflicts)}`);
console.log(`not pipelined, ten constants:      ${fmt(unpipelined)}`);
console.log(`target: under 2% pipelined, both cases -> ${worst < 0.02 ? 'met' : 'NOT met'}`);
console.log(`gpu-idle: ${(worst * 100).toFixed(2)} %`);
