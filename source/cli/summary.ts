import path from 'node:path';
import type {LoopEvent} from '../core/events.js';
import {formatDelta, formatMetric} from '../core/metric.js';
import type {ExperimentRecord} from '../core/types.js';

// What a session did, said once as the process ends (quit, Ctrl+C, the
// limit, an error): the experiments run this time, the best against the
// baseline, the branch, and the command that picks the session up again.
// It listens to the loop's events like any face and keeps only counts.

export type SessionTally = {
	listener: (event: LoopEvent) => void;
	/** Experiments recorded before this process started (re-runs are not experiments). */
	readonly recordedBefore: number;
	/** Experiments decided by this process. */
	readonly decidedNow: number;
	lines: (how: ResumeHow) => string[];
};

export type ResumeHow = {
	/** The workspace as resolved, and --runs where it was given. */
	workspace: string;
	runs?: string;
	/** The nightshift checkout, where `npm start` runs. */
	packageRoot: string;
};

/** A path as a shell reads it: quoted when it has anything a shell would split or expand. */
export function shellWord(word: string): string {
	return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The commands that resume the session: `npm start` from the checkout, and the installed `nightshift`. */
export function resumeCommands(how: ResumeHow): {npm: string; bin: string} {
	const flags = [
		...(path.resolve(how.workspace) === path.resolve(how.packageRoot) ? [] : ['--workspace', shellWord(how.workspace)]),
		...(how.runs ? ['--runs', shellWord(how.runs)] : []),
	];
	const npm = flags.length === 0 ? 'npm start' : `npm start -- ${flags.join(' ')}`;
	const bin = ['nightshift', '--workspace', shellWord(how.workspace), ...(how.runs ? ['--runs', shellWord(how.runs)] : [])].join(' ');
	return {npm, bin};
}

export function sessionTally(): SessionTally {
	let branch: string | undefined;
	let metric = 'metric';
	let before = 0;
	let now = 0;
	let best: ExperimentRecord | undefined;
	let baseline: ExperimentRecord | undefined;
	const listener = (event: LoopEvent): void => {
		if (event.type === 'session') {
			branch = event.branch;
			metric = event.metric;
		} else if (event.type === 'recorded' || event.type === 'run-end' || event.type === 'overrule') {
			if (event.type === 'recorded' && event.record.status !== 'rerun') before++;
			if (event.type === 'run-end') now++;
			best = event.best;
			baseline = event.baseline;
		}
	};
	return {
		listener,
		get recordedBefore() {
			return before;
		},
		get decidedNow() {
			return now;
		},
		lines: how => {
			const out: string[] = [];
			const all = before + now;
			const ran = `${now} experiment${now === 1 ? '' : 's'} this time${before > 0 ? ` (${all} in the session)` : ''}`;
			let standing = 'no baseline yet';
			if (best && baseline && best.metric !== null && baseline.metric !== null) {
				standing =
					best.n === baseline.n
						? `the best is still the baseline, ${metric} ${formatMetric(baseline.metric)}`
						: `best #${best.n} ${metric} ${formatMetric(best.metric)}, ${formatDelta(best.metric - baseline.metric)} vs the baseline ${formatMetric(baseline.metric)} (${best.description})`;
			}
			out.push(`nightshift: ${ran}; ${standing}${branch ? `; branch ${branch}` : ''}.`);
			const resume = resumeCommands(how);
			out.push(`  resume: ${resume.npm}  (in ${shellWord(how.packageRoot)})`, `      or: ${resume.bin}`);
			const report = [
				'nightshift report',
				'--workspace',
				shellWord(how.workspace),
				...(how.runs ? ['--runs', shellWord(how.runs)] : []),
			].join(' ');
			out.push(`  report: ${report}`);
			return out;
		},
	};
}
