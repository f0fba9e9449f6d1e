import {expect} from 'vitest';
import {applyEdits} from '../../source/core/edits.js';
import type {CheckResult, InFlight, ProposalRequest} from '../../source/core/proposer.js';
import type {Edit, ExperimentRecord} from '../../source/core/types.js';
import {parseHyperparameters, type Value} from '../../source/proposers/hyperparams.js';
import {SearchProposer, type SearchOptions} from '../../source/proposers/search.js';

// The search tests' harness: a request as the loop builds it (the check is
// the loop's in-memory dry run, without the compile step), and a driver that
// runs the search against a made-up objective as the loop would.

export type SearchRequestOptions = {
	editable?: string[];
	inFlight?: InFlight[];
	check?: (edits: Edit[]) => Promise<CheckResult>;
};

export function searchRequest(
	n: number,
	files: Record<string, string>,
	results: ExperimentRecord[],
	options: SearchRequestOptions = {},
): ProposalRequest {
	const editable = options.editable ?? Object.keys(files);
	return {
		n,
		goal: '',
		rules: {
			editable,
			command: 'python train.py',
			cwd: '.',
			metric: 'val_bpb',
			direction: 'lower',
			budgetSeconds: 300,
			timeoutSeconds: 600,
			minImprovement: 0,
			judge: 'single',
			baselineRuns: 1,
			confirmRuns: 0,
		},
		files,
		results,
		notes: [],
		inFlight: options.inFlight ?? [],
		history: [],
		machine: {device: 'cuda', gpu: 'H100', memoryGb: 80, workers: 1},
		check: options.check ?? (async edits => applyEdits(files, edits, editable)),
		signal: new AbortController().signal,
		emit: () => undefined,
	};
}

export const knobs = (text: string): Map<string, Value> => new Map(parseHyperparameters(text).map(p => [p.name, p.value]));

export type Driven = {results: ExperimentRecord[]; rationales: string[]; contents: string[]; best: number; content: string};

/**
 * Drives the search on one editable file for `steps` experiments: apply the
 * proposal, score it, keep it when it beats the best (lower is better), and
 * fail the test on a repeated configuration.
 */
export async function driveFile(
	path: string,
	files: Record<string, string>,
	objective: (knobs: Map<string, Value>) => number | null,
	steps: number,
	options: SearchOptions & {editable?: string[]} = {},
): Promise<Driven> {
	const proposer = new SearchProposer(options);
	const editable = options.editable ?? [path];
	let current = {...files};
	const results: ExperimentRecord[] = [];
	const rationales: string[] = [];
	const contents: string[] = [];
	const score = (text: string) => objective(knobs(text));
	results.push({row: 1, n: 1, commit: '0000001', metric: score(current[path]!), memoryGb: 0, status: 'keep', description: 'baseline'});
	let best = results[0]!.metric!;
	const seen = new Set<string>([current[path]!]);
	for (let n = 2; n <= steps; n++) {
		const proposal = await proposer.propose(searchRequest(n, current, results, {editable}));
		const applied = applyEdits(current, proposal.edits, editable);
		if (!applied.ok) throw new Error(applied.reason);
		const candidate = applied.files[path]!;
		for (const other of Object.keys(current))
			if (other !== path) expect(applied.files[other], `experiment ${n} edits ${other}`).toBe(current[other]);
		expect(seen.has(candidate), `experiment ${n} repeats a configuration: ${proposal.description}`).toBe(false);
		seen.add(candidate);
		contents.push(candidate);
		rationales.push(proposal.rationale ?? '');
		const metric = score(candidate);
		const status = metric === null ? 'crash' : metric < best ? 'keep' : 'discard';
		results.push({row: n, n, commit: String(n).padStart(7, '0'), metric, memoryGb: 0, status, description: proposal.description});
		if (status === 'keep') {
			best = metric!;
			current = applied.files;
		}
	}
	return {results, rationales, contents, best, content: current[path]!};
}
