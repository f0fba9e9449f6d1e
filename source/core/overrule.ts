import type {LoopEvent} from './events.js';
import type {Ledger} from './ledger.js';
import {listRunFolders, type ResultsFile} from './results.js';
import {readRunSummary, updateRunSummary} from './run-summary.js';
import type {Session} from './session.js';
import {git} from './workspace.js';

// A human overrules the judge on the last finished experiment: /keep makes
// a discarded result the best (the branch moves forward to it), /revert
// undoes a kept one (the branch moves back). It says which experiment it
// acts on before acting; runs in progress are untouched (they are judged
// against the best when they finish). results.tsv changes one status cell
// (rewritten atomically); summary.json says who overruled what.

export type OverruleDeps = {
	session: Session;
	ledger: Ledger;
	results: ResultsFile;
	emit: (event: LoopEvent) => void;
};

async function resolve(repo: string, rev: string): Promise<string | undefined> {
	try {
		return await git(repo, ['rev-parse', '--verify', '--quiet', `${rev}^{commit}`]);
	} catch {
		return undefined;
	}
}

/** Applies /keep or /revert to the last finished experiment; says why not when it cannot. Call it under the git lock. */
export async function overrule(deps: OverruleDeps, to: 'keep' | 'revert'): Promise<void> {
	const {ledger, session, emit} = deps;
	const warn = (text: string): void => emit({type: 'message', level: 'warn', text});
	const last = [...ledger.records].reverse().find(r => r.status !== 'rerun');
	if (!last) return warn('nothing to overrule yet');
	emit({
		type: 'message',
		level: 'info',
		text: `/${to}: acting on the last finished experiment, #${last.n} (${last.status}: ${last.description})`,
	});
	const full = await resolve(session.repo, last.commit);
	if (!full) return emit({type: 'message', level: 'error', text: `commit ${last.commit} is gone`});
	const parent = await resolve(session.repo, `${full}^`);
	let bestCommit: string;
	if (to === 'keep') {
		if (last.status !== 'discard') {
			return warn(`/keep: #${last.n} is ${last.status === 'keep' ? 'kept already' : 'a crash, with no result to keep'}`);
		}
		if (parent !== ledger.bestCommit)
			return warn(`/keep: #${last.n} was tried on a best that is not the best now; it cannot go on the branch as it is`);
		await session.branch.move(full, ledger.bestCommit);
		bestCommit = full;
	} else {
		if (last.status !== 'keep') return warn(`/revert: #${last.n} was not kept`);
		if (last === ledger.baseline || ledger.keptCount() === 1)
			return warn('/revert: the baseline stays: it is what everything is measured against');
		if (!parent || ledger.bestCommit !== full) return warn(`/revert: #${last.n} is not the branch head`);
		await session.branch.move(parent, full);
		bestCommit = parent;
	}
	const status = to === 'keep' ? 'keep' : 'discard';
	deps.results.setStatus(last.commit, status);
	const record = {...ledger.overrule(last, status, bestCommit), overruled: true};
	const folder = listRunFolders(session.runsDir).find(f => f.n === last.n);
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
