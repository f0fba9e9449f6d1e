import {closeSync, existsSync, openSync, readFileSync, readSync, statSync} from 'node:fs';
import path from 'node:path';
import {loadArena} from '../core/arena.js';
import {gain} from '../core/metric.js';
import {pooledSigma} from '../core/noise.js';
import type {ProgressChart} from '../core/plot.js';
import {listRunFolders, numberByFolders, ResultsFile, type RunFolder} from '../core/results.js';
import {readRunSummary, type RunSummary} from '../core/run-summary.js';
import {sanitize, sanitizeBlock} from '../core/sanitize.js';
import type {Direction, ExperimentRecord, Verdict} from '../core/types.js';
import {progressChart} from './chart.js';
import {groupDiscards, type DiscardGroup} from './groups.js';

// What the report says, as data: read from runs/ alone (results.tsv, the
// run folders' summary.json, diff.patch and run.log, session.json) and from
// program.md, through core's readers. No loop, no git: a session can be
// reported while it runs, after it stopped, or on another machine from a
// copy of runs/. The Markdown, the JSON and the chart all come from this.

export type ReportExperiment = {
	n: number;
	commit: string;
	status: Verdict;
	description: string;
	/** The judged metric (the mean of its runs); null for a crash. */
	metric: number | null;
	/** Runs the metric is the mean of. */
	runs: number;
	/** The metric less the best's when judged, the noise band it had to leave, and the noise of one run used. */
	delta?: number;
	band?: number;
	sigma?: number;
	reason?: string;
	/** Seconds its runs took, re-runs included. */
	seconds?: number;
	budgetSeconds?: number;
	/** A human overruled the judge on it. */
	overruled?: boolean;
	rationale?: string;
	proposer?: string;
	model?: string;
};

export type KeptChange = ReportExperiment & {
	/** The best it was compared with: the previous kept experiment. */
	previous: {n: number; metric: number | null};
	/** Its metric less the previous best's. */
	difference: number | null;
	/** Its diff.patch against the previous best. */
	diff: string;
};

export type CrashReport = ReportExperiment & {
	/** The last lines of its run.log. */
	logTail: string[];
};

export type SessionReport = {
	session: {
		tag?: string;
		branch?: string;
		base?: string;
		created?: string;
		workspace: string;
		runsDir: string;
		/** The interpreter the last run used (summary.json), for the PNG. */
		python?: string;
	};
	/** program.md's prose, as it reads now. */
	goal: string;
	metric: string;
	direction: Direction;
	baseline?: ReportExperiment;
	best?: ReportExperiment & {
		/** The best less the baseline, and that as a percentage of the baseline. */
		change: number | null;
		percent: number | null;
	};
	/** One run's standard deviation, pooled over every experiment run more than once at one budget. */
	noise?: {sigma: number; dof: number};
	counts: {experiments: number; kept: number; discarded: number; crashed: number; reruns: number};
	kept: KeptChange[];
	discards: DiscardGroup[];
	crashes: CrashReport[];
	time: {
		/** Minutes of training and evaluation per experiment, re-runs included. */
		runMinutesPerExperiment?: number;
		/** From the first run's start to the last verdict (stops included), per experiment. */
		wallMinutesPerExperiment?: number;
		wallMinutes?: number;
	};
	chart: ProgressChart;
	/** Lines that could not be read, and anything else the reader should know. */
	problems: string[];
};

export class ReportError extends Error {
	override name = 'ReportError';
}

type SessionFile = {tag?: string; branch?: string; base?: string; created?: string; workspace?: string};

function readJson<T>(file: string): T | undefined {
	try {
		return JSON.parse(readFileSync(file, 'utf8')) as T;
	} catch {
		return undefined;
	}
}

function readText(file: string): string {
	try {
		return readFileSync(file, 'utf8');
	} catch {
		return '';
	}
}

/** The last lines of a log, read from its end (a night's log can be large). */
function tail(file: string, lines: number): string[] {
	if (!existsSync(file)) return [];
	const size = statSync(file).size;
	const length = Math.min(size, 16_384);
	const buffer = Buffer.alloc(length);
	const fd = openSync(file, 'r');
	try {
		readSync(fd, buffer, 0, length, size - length);
	} finally {
		closeSync(fd);
	}
	return buffer
		.toString('utf8')
		.split(/\r\n?|\n/)
		.map(sanitize)
		.filter(line => line.trim() !== '')
		.slice(-lines);
}

/** The metric's name, from results.tsv's header (its second column). */
function metricOf(file: string): string {
	const header = readText(file).split('\n', 1)[0] ?? '';
	const name = header.split('\t')[1];
	if (!name) throw new ReportError(`${file} has no header line (commit, metric, memory_gb, status, description)`);
	return name;
}

/** Lower or higher is better: program.md says; without it, the kept results' trend does. */
function directionOf(workspace: string, kept: readonly ExperimentRecord[], problems: string[]): {direction: Direction; goal: string} {
	try {
		const arena = loadArena(workspace);
		return {direction: arena.rules.direction, goal: arena.goal};
	} catch (error) {
		problems.push(`program.md could not be read (${(error as Error).message}); the direction is guessed from the kept results`);
		const values = kept.map(r => r.metric).filter((v): v is number => v !== null);
		return {direction: values.length > 1 && values.at(-1)! > values[0]! ? 'higher' : 'lower', goal: ''};
	}
}

function experimentOf(record: ExperimentRecord, summary: Partial<RunSummary> | undefined, seconds: number | undefined): ReportExperiment {
	return {
		n: record.n,
		commit: record.commit,
		status: record.status as Verdict,
		description: record.description,
		metric: record.metric,
		runs: summary?.runs ?? 1,
		...(summary?.delta === undefined ? {} : {delta: summary.delta}),
		...(summary?.band === undefined ? {} : {band: summary.band}),
		...(summary?.sigma === undefined ? {} : {sigma: summary.sigma}),
		...(summary?.reason ? {reason: sanitize(summary.reason)} : {}),
		...(seconds === undefined ? {} : {seconds}),
		...(summary?.budget_seconds === undefined ? {} : {budgetSeconds: summary.budget_seconds}),
		...(summary?.overruled ? {overruled: true} : {}),
		...(summary?.rationale ? {rationale: sanitize(summary.rationale)} : {}),
		...(summary?.proposer ? {proposer: sanitize(summary.proposer)} : {}),
		...(summary?.model ? {model: sanitize(summary.model)} : {}),
	};
}

export type ReportSource = {
	/** The folder with program.md; unset: the session's own (session.json), else the runs folder's parent. */
	workspace?: string;
	/** results.tsv, the run folders and session.json. */
	runsDir: string;
};

/** Reads a session's runs/ into the report's data. Throws ReportError when there is nothing to report. */
export function readReport(source: ReportSource): SessionReport {
	const runsDir = path.resolve(source.runsDir);
	const tsv = path.join(runsDir, 'results.tsv');
	if (!existsSync(tsv)) {
		throw new ReportError(
			`no results.tsv in ${runsDir}: run a session first, or point at its results with --runs DIR (or --workspace DIR)`,
		);
	}
	const problems: string[] = [];
	const sessionFile = readJson<SessionFile>(path.join(runsDir, 'session.json'));
	if (!sessionFile) problems.push(`${path.join(runsDir, 'session.json')} is missing or unreadable: the session's branch is not known`);
	const workspace = path.resolve(source.workspace ?? sessionFile?.workspace ?? path.dirname(runsDir));
	const metric = metricOf(tsv);
	const loaded = new ResultsFile(runsDir, metric).load();
	problems.push(...loaded.problems);
	const folders = listRunFolders(runsDir);
	const records = numberByFolders(loaded.records, folders);
	const summaries = new Map<number, {folder: RunFolder; summary: Partial<RunSummary> | undefined}>();
	for (const folder of folders) summaries.set(folder.n, {folder, summary: readRunSummary(folder.dir)});

	// Each experiment's run time: every run of its group (the first run and its re-runs).
	const secondsOf = new Map<number, number>();
	const groups = new Map<string, number[]>();
	let firstStart: number | undefined;
	let lastDecision: number | undefined;
	let python: string | undefined;
	for (const {folder, summary} of summaries.values()) {
		if (!summary) continue;
		if (summary.python) python = summary.python;
		const group = summary.group ?? folder.n;
		if (typeof summary.seconds === 'number') secondsOf.set(group, (secondsOf.get(group) ?? 0) + summary.seconds);
		const value = summary.run_metric !== undefined ? summary.run_metric : summary.metric;
		if (typeof value === 'number' && Number.isFinite(value) && summary.status !== 'crash' && summary.status !== 'running') {
			const key = `${folder.commit}@${summary.budget_seconds ?? ''}`;
			groups.set(key, [...(groups.get(key) ?? []), value]);
		}
		const started = Date.parse(summary.started_at ?? '');
		const ended = Date.parse(summary.decided_at ?? summary.ended_at ?? '');
		if (Number.isFinite(started)) firstStart = Math.min(firstStart ?? started, started);
		if (Number.isFinite(ended)) lastDecision = Math.max(lastDecision ?? ended, ended);
	}

	const verdicts = records.filter(r => r.status !== 'rerun');
	const experiments = verdicts.map(r => experimentOf(r, summaries.get(r.n)?.summary, secondsOf.get(r.n)));
	const keptRecords = verdicts.filter(r => r.status === 'keep');
	const {direction, goal} = directionOf(workspace, keptRecords, problems);

	const kept: KeptChange[] = [];
	const keptExperiments = experiments.filter(e => e.status === 'keep');
	for (let i = 1; i < keptExperiments.length; i++) {
		const e = keptExperiments[i]!;
		const previous = keptExperiments[i - 1]!;
		const folder = summaries.get(e.n)?.folder;
		kept.push({
			...e,
			previous: {n: previous.n, metric: previous.metric},
			difference: e.metric !== null && previous.metric !== null ? e.metric - previous.metric : null,
			diff: folder ? sanitizeBlock(readText(path.join(folder.dir, 'diff.patch'))) : '',
		});
	}
	const baseline = keptExperiments[0];
	const last = keptExperiments.at(-1);
	const change = baseline && last && baseline.metric !== null && last.metric !== null ? last.metric - baseline.metric : null;

	const diffOf = (n: number): string => {
		const folder = summaries.get(n)?.folder;
		return folder ? readText(path.join(folder.dir, 'diff.patch')) : '';
	};
	const discarded = experiments.filter(e => e.status === 'discard');
	const crashes: CrashReport[] = experiments
		.filter(e => e.status === 'crash')
		.map(e => {
			const folder = summaries.get(e.n)?.folder;
			return {...e, logTail: folder ? tail(path.join(folder.dir, 'run.log'), 3) : []};
		});

	const runSeconds = experiments.reduce((sum, e) => sum + (e.seconds ?? 0), 0);
	const wallMinutes = firstStart !== undefined && lastDecision !== undefined ? (lastDecision - firstStart) / 60_000 : undefined;
	const noise = pooledSigma([...groups.values()]);

	return {
		session: {
			...(sessionFile?.tag ? {tag: sessionFile.tag} : {}),
			...(sessionFile?.branch ? {branch: sessionFile.branch} : {}),
			...(sessionFile?.base ? {base: sessionFile.base} : {}),
			...(sessionFile?.created ? {created: sessionFile.created} : {}),
			workspace,
			runsDir,
			...(python ? {python} : {}),
		},
		goal: sanitizeBlock(goal),
		metric,
		direction,
		...(baseline ? {baseline} : {}),
		...(last
			? {
					best: {
						...last,
						change,
						percent: change !== null && baseline?.metric ? (change / Math.abs(baseline.metric)) * 100 : null,
					},
				}
			: {}),
		...(noise ? {noise} : {}),
		counts: {
			experiments: experiments.length,
			kept: kept.length,
			discarded: discarded.length,
			crashed: crashes.length,
			reruns: records.length - verdicts.length,
		},
		kept,
		discards: groupDiscards(discarded, diffOf, direction),
		crashes,
		time: {
			...(experiments.length > 0 && runSeconds > 0 ? {runMinutesPerExperiment: runSeconds / 60 / experiments.length} : {}),
			...(wallMinutes !== undefined && experiments.length > 0
				? {wallMinutes, wallMinutesPerExperiment: wallMinutes / experiments.length}
				: {}),
		},
		chart: progressChart(experiments, metric, direction),
		problems,
	};
}

/** How much the best improves on the baseline, positive when better whatever the direction. */
export function improvement(report: SessionReport): number | null {
	const b = report.baseline?.metric;
	const best = report.best?.metric;
	return b === undefined || b === null || best === undefined || best === null ? null : gain(report.direction, best, b);
}
