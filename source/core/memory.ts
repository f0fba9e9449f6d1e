import {existsSync, readFileSync} from 'node:fs';
import path from 'node:path';
import type {ExperimentMemory} from './proposer.js';
import {listRunFolders} from './results.js';
import {readRunSummary} from './run-summary.js';
import type {ExperimentRecord} from './types.js';

// The session's memory, as proposers get it: every decided experiment's
// hypothesis (description, rationale), what it changed (its diff) and what
// came of it, read from its run folder. It survives reverts (a discarded
// commit is gone from the branch, not from runs/) and restarts (nothing is
// kept in memory that is not on disk). Read once per folder: a folder's
// verdict does not change except by an overrule, which the row tells.

const cache = new Map<string, {diff: string; rationale?: string; proposer?: string; model?: string}>();

/** Diffs longer than this are cut: the digest needs what changed, not every line of a rewrite. */
const maxDiff = 4000;

export function memoryOf(runsDir: string, records: readonly ExperimentRecord[]): ExperimentMemory[] {
	const folders = new Map(listRunFolders(runsDir).map(f => [f.n, f.dir]));
	const out: ExperimentMemory[] = [];
	for (const record of records) {
		if (record.status === 'rerun') continue;
		const dir = folders.get(record.n);
		let extra = dir ? cache.get(dir) : undefined;
		if (dir && !extra) {
			const summary = readRunSummary(dir);
			const patch = path.join(dir, 'diff.patch');
			const diff = existsSync(patch) ? readFileSync(patch, 'utf8') : '';
			extra = {
				diff: diff.length > maxDiff ? `${diff.slice(0, maxDiff)}\n[... diff cut ...]\n` : diff,
				...(summary?.rationale ? {rationale: summary.rationale} : {}),
				...(summary?.proposer ? {proposer: summary.proposer} : {}),
				...(summary?.model ? {model: summary.model} : {}),
			};
			if (summary?.status !== 'measured' && summary?.status !== 'running') cache.set(dir, extra);
		}
		out.push({
			n: record.n,
			description: record.description,
			status: record.status,
			metric: record.metric,
			...(record.delta === undefined ? {} : {delta: record.delta}),
			...(record.band === undefined ? {} : {band: record.band}),
			...(record.runs === undefined ? {} : {runs: record.runs}),
			...(record.reason === undefined ? {} : {reason: record.reason}),
			...(extra?.rationale ? {rationale: extra.rationale} : {}),
			...(extra?.proposer ? {proposer: extra.proposer} : {}),
			...(extra?.model ? {model: extra.model} : {}),
			diff: extra?.diff ?? '',
		});
	}
	return out;
}
