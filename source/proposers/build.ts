// Which proposer the settings ask for, built in one place so that the CLI
// and the tests get the same wiring: the model with the search behind it
// (standing in when Ollama is down or slow), and how many proposals the
// server answers at once.

import {FallbackProposer} from './fallback.js';
import {isLoopback, RemoteHostError} from './host.js';
import {OllamaProposer} from './ollama.js';
import type {Proposer} from '../core/proposer.js';
import {SearchProposer} from './search.js';
import type {UserSettings} from '../settings.js';

export type ProposerChoice = {
	name: UserSettings['proposer'];
	settings: UserSettings;
	/** program.md's `model:`, which wins over the user's setting. */
	arenaModel: string | undefined;
	device: 'cpu' | 'cuda';
	budgetSeconds: number;
	/** Where OLLAMA_HOST and OLLAMA_NUM_PARALLEL are read; process.env otherwise. */
	env?: NodeJS.ProcessEnv;
};

/** OLLAMA_NUM_PARALLEL as the server reads it: a whole number above 0, else 1 (the server's own default may be higher, but unsaid is unknown). */
export function parallelFrom(env: NodeJS.ProcessEnv): number {
	const raw = env.OLLAMA_NUM_PARALLEL?.trim();
	const n = raw && /^\d+$/.test(raw) ? Number(raw) : NaN;
	return Number.isInteger(n) && n > 0 ? n : 1;
}

export class ProposerConfigError extends Error {
	override name = 'ProposerConfigError';
}

/**
 * Builds the proposer asked for. `search`: the built-in search alone.
 * `ollama` and `auto`: the model through Ollama, with the search standing in
 * whenever the model cannot answer (server down, model missing), until it
 * is back. Returns lines worth showing (a remote host, the model in use).
 */
export function buildProposer(choice: ProposerChoice): {proposer: Proposer; notes: string[]} {
	const search = new SearchProposer({device: choice.device});
	if (choice.name === 'search') return {proposer: search, notes: []};
	const s = choice.settings;
	let primary: OllamaProposer;
	try {
		primary = new OllamaProposer({
			model: choice.arenaModel ?? s.model,
			host: s.host,
			allowRemote: s.allowRemote,
			numCtx: s.numCtx,
			numPredict: s.numPredict,
			keepAlive: s.keepAlive,
			seed: s.seed,
			temperature: s.temperature,
			...(choice.env ? {env: choice.env} : {}),
		});
	} catch (error) {
		if (error instanceof RemoteHostError) throw new ProposerConfigError(error.message);
		throw new ProposerConfigError((error as Error).message);
	}
	const notes = [`model ${primary.model} at ${primary.host}`];
	if (!isLoopback(primary.host)) notes.push(`warn: the Ollama host ${primary.host} is not this machine (allowed by --allow-remote)`);
	const concurrency = parallelFrom(choice.env ?? process.env);
	if (concurrency > 1) notes.push(`${concurrency} proposals at once (OLLAMA_NUM_PARALLEL)`);
	return {proposer: new FallbackProposer({primary, fallback: search, concurrency}), notes};
}
