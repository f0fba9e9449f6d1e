import type {LoopEvent} from './events.js';
import type {Ledger} from './ledger.js';
import {listRunFolders, type ResultsFile} from './results.js';
import {readRunSummary, updateRunSummary} from './run-summary.js';
import type {Session} from './session.js';

// A human overrules the judge: /keep makes a discarded result the best (the
// branch moves forward to it), /revert undoes a kept one (the branch moves
// back). Taken only between runs, under the git lock; results.tsv changes one
// status cell (rewritten atomically), summary.json says who overruled what.

export type OverruleDeps = {
	session: Session;
	ledger: Ledger;
	results: ResultsFile;
	emit: (event: LoopEvent) => void;
};

/** Applies /keep or /revert to the latest result; says why not when it cannot. */
export async function overrule(deps: OverruleDeps, to: 'keep' | 'revert'): Promise<void> {
	const {ledger, session, emit} = deps;
	const warn = (text: string): void => emit({type: 'message', level: 'warn', text});
	const last = ledger.records.at(-1);
	if (!last) return warn('nothing to overrule yet');
	const {worktree} = session;
	const full = await worktree.resolve(last.commit);
	if (!full) return emit({type: 'message', level: 'error', text: `commit ${last.commit} is gone`});
	let bestCommit: string;
	if (to === 'keep') {
		if (last.status !== 'discard') {
			return warn(`/keep: experiment ${last.n} is ${last.status === 'keep' ? 'kept already' : 'a crash, with no result to keep'}`);
		}
		if ((await worktree.parent(full)) !== ledger.bestCommit) return warn(`/keep: experiment ${last.n} no longer sits on the best commit`);
		await worktree.resetHard(full);
		bestCommit = full;
	} else {
		if (last.status !== 'keep') return warn(`/revert: experiment ${last.n} was not kept`);
		if (last === ledger.baseline || ledger.keptCount() === 1)
			return warn('/revert: the baseline stays: it is what everything is measured against');
		const parent = await worktree.parent(full);
		if (!parent || ledger.bestCommit !== full) return warn(`/revert: experiment ${last.n} is not the branch head`);
		await worktree.resetHard(parent);
		bestCommit = parent;
	}
	const status = to === 'keep' ? 'keep' : 'discard';
	deps.results.setStatus(last.commit, status);
	const record = ledger.overrule(last, status, bestCommit);
	const folder = listRunFolders(session.runsDir).find(f => f.commit === last.commit);
	if (folder) {
		const summary = readRunSummary(folder.dir);
		updateRunSummary(
			folder.dir,
			{n: folder.n, commit: last.commit, description: summary?.description ?? last.description},
			{
				status,
				overruled: {from: last.status, to: status, at: new Date().toISOString()},
			},
		);
	}
	emit({type: 'overrule', n: last.n, from: last.status, to: status, record, best: ledger.best, baseline: ledger.baseline});
}
