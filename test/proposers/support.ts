import type {ProposalRequest, ProposerEvent, Proposer, Proposal} from '../../source/core/proposer.js';
import {applyEdits} from '../../source/core/edits.js';
import type {ArenaRules, Edit, ExperimentRecord, SteeringNote} from '../../source/core/types.js';

// Shared fixtures of the agent tests: a small train.py, rules, a request
// whose check is the loop's in-memory dry run (without the compile step),
// and the events it saw.

export const rules: ArenaRules = {
	editable: ['train/train.py'],
	command: 'python train.py',
	cwd: 'train',
	metric: 'val_bpb',
	direction: 'lower',
	budgetSeconds: 300,
	timeoutSeconds: 600,
	minImprovement: 0,
	judge: 'noise',
	baselineRuns: 1,
	confirmRuns: 1,
};

export const train = [
	'import torch',
	'# --- hyperparameters ---',
	'LEARNING_RATE = 3e-4  # peak learning rate',
	'WARMUP_RATIO = 0.1  # fraction of steps',
	'DEPTH = 4  # layers',
	'# --- end hyperparameters ---',
	'',
	'def lr_at(step, total):',
	'    warm = int(total * WARMUP_RATIO)',
	'    return LEARNING_RATE * min(1.0, (step + 1) / max(1, warm))',
	'',
].join('\n');

export const goodAnswer = [
	'DESCRIPTION: LEARNING_RATE 3e-4 -> 6e-4',
	'RATIONALE: The loss is still falling fast at the end of the budget; a higher peak rate should get further in the same time.',
	'',
	'train/train.py',
	'<<<<<<< SEARCH',
	'LEARNING_RATE = 3e-4  # peak learning rate',
	'=======',
	'LEARNING_RATE = 6e-4  # peak learning rate',
	'>>>>>>> REPLACE',
	'',
].join('\n');

export const badSearchAnswer = [
	'DESCRIPTION: warmup 5%',
	'RATIONALE: Less warmup leaves more steps at the peak rate.',
	'',
	'train/train.py',
	'<<<<<<< SEARCH',
	'WARMUP = 0.1',
	'=======',
	'WARMUP = 0.05',
	'>>>>>>> REPLACE',
].join('\n');

export const fixedAnswer = [
	'DESCRIPTION: WARMUP_RATIO 0.1 -> 0.05',
	'RATIONALE: Less warmup leaves more steps at the peak rate.',
	'',
	'train/train.py',
	'<<<<<<< SEARCH',
	'WARMUP_RATIO = 0.1  # fraction of steps',
	'=======',
	'WARMUP_RATIO = 0.05  # fraction of steps',
	'>>>>>>> REPLACE',
].join('\n');

export function record(n: number, metric: number | null, status: ExperimentRecord['status'], description: string): ExperimentRecord {
	return {row: n, n, commit: `abc${n}`.padEnd(7, '0'), metric, memoryGb: 1.5, status, description};
}

export type TestRequest = ProposalRequest & {events: ProposerEvent[]; checked: Edit[][]; abort: AbortController};

export function makeRequest(over: Partial<ProposalRequest> = {}): TestRequest {
	const events: ProposerEvent[] = [];
	const checked: Edit[][] = [];
	const abort = new AbortController();
	const files = over.files ?? {'train/train.py': train};
	const r = over.rules ?? rules;
	const request: TestRequest = {
		n: 5,
		goal: 'Lower val_bpb within the time budget.',
		rules: r,
		files,
		results: [record(1, 1.2, 'keep', 'baseline'), record(2, 1.25, 'discard', 'DEPTH 4 -> 8'), record(3, null, 'crash', 'DEPTH 4 -> 64')],
		notes: [] as SteeringNote[],
		inFlight: [],
		history: [],
		machine: {device: 'cpu', workers: 1},
		check: async edits => {
			checked.push(edits);
			return applyEdits(files, edits, r.editable);
		},
		signal: abort.signal,
		emit: event => events.push(event),
		...over,
		events,
		checked,
		abort,
	};
	if (over.signal === undefined) request.signal = abort.signal;
	return request;
}

/** A tiny stand-in for the built-in search proposer. */
export class FakeSearch implements Proposer {
	readonly name = 'search';
	readonly pipelined = false;
	calls = 0;
	async propose(request: ProposalRequest): Promise<Proposal> {
		this.calls++;
		return {
			description: `search move ${request.n}`,
			edits: [{path: 'train/train.py', search: 'DEPTH = 4  # layers', replace: 'DEPTH = 5  # layers'}],
			proposer: this.name,
		};
	}
}

export const texts = (events: ProposerEvent[], type: 'message' | 'retry') =>
	events.filter(e => e.type === type).map(e => (e.type === 'message' ? e.text : e.type === 'retry' ? e.reason : ''));
