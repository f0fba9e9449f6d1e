import {SearchProposer} from './agent/search.js';
import type {Proposer} from './agent/proposer.js';
import type {UserSettings} from './settings.js';

export type ProposerChoice = {
	name: UserSettings['proposer'];
	settings: UserSettings;
	/** program.md's `model:`, which wins over the user's setting. */
	arenaModel: string | undefined;
	device: 'cpu' | 'cuda';
	budgetSeconds: number;
};

/** Builds the proposer the user asked for. */
export function buildProposer(choice: ProposerChoice): Proposer {
	const search = new SearchProposer({device: choice.device});
	return search;
}
