import {ProposalError} from '../core/proposer.js';

// Why Ollama could not be used, in a few kinds the fallback can act on, each
// with a fix the user can apply. Kept apart from the client so that the
// fallback and the health check share one vocabulary without pulling in the
// transport. Everything here is shown to the user, never to the model. The
// errors are ProposalErrors so that the loop records them like any proposer
// giving up on an experiment.

export type OllamaFailureKind = 'down' | 'missing-model' | 'stream' | 'other';

/** The model could not be used for this proposal (as opposed to answering badly): the fallback's cue. */
export class OllamaUnavailableError extends ProposalError {
	override name = 'OllamaUnavailableError';
	constructor(
		readonly kind: OllamaFailureKind,
		message: string,
		/** What the user can do about it, e.g. `ollama serve`. */
		readonly fix: string,
	) {
		super(message);
	}
}

export const serverLogHint = "see Ollama's server log (journalctl -u ollama, or ~/.ollama/logs/server.log)";

export function fixFor(kind: OllamaFailureKind, model: string, host: string): string {
	// No default: a new kind must be given its fix here.
	switch (kind) {
		case 'down':
			return `start Ollama with \`ollama serve\` (nightshift looks for it at ${host}; set another with --host or OLLAMA_HOST)`;
		case 'missing-model':
			return `\`ollama pull ${model}\`, or choose an installed model with --model or /model`;
		case 'stream':
		case 'other':
			return serverLogHint;
	}
}

/** What a request ends with when the caller's signal aborts it. */
export function stoppedError(signal: AbortSignal): ProposalError {
	const reason = signal.reason instanceof Error ? `: ${signal.reason.message}` : '';
	return new ProposalError(`stopped${reason}`);
}

/** The error code under fetch's `TypeError: fetch failed` (ECONNREFUSED, ENOTFOUND, UND_ERR_SOCKET...). */
export function networkCode(error: unknown): string | undefined {
	let e: unknown = error;
	for (let depth = 0; depth < 4 && e && typeof e === 'object'; depth++) {
		const o = e as {code?: unknown; errors?: unknown[]; cause?: unknown};
		if (typeof o.code === 'string') return o.code;
		if (Array.isArray(o.errors) && o.errors.length > 0) {
			const inner = o.errors.find(x => x && typeof (x as {code?: unknown}).code === 'string') as {code: string} | undefined;
			if (inner) return inner.code;
		}
		e = o.cause;
	}
	return undefined;
}

/** The HTTP status the ollama client's ResponseError carries. */
export function statusOf(error: unknown): number | undefined {
	const s = (error as {status_code?: unknown} | null)?.status_code;
	return typeof s === 'number' ? s : undefined;
}

export const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** Why a request did not get through, in the fallback's terms. `phase` is where it failed: before the stream began, or during it. */
export function classifyOllamaError(error: unknown, phase: 'request' | 'stream', host: string, model: string): OllamaUnavailableError {
	if (error instanceof OllamaUnavailableError) return error;
	const status = statusOf(error);
	const text = messageOf(error);
	if (status === 404 || (status === undefined && /model ['"]?[^'"]*['"]? not found/i.test(text) && phase === 'request')) {
		return new OllamaUnavailableError(
			'missing-model',
			`the model ${model} is not installed in Ollama at ${host} (${text})`,
			fixFor('missing-model', model, host),
		);
	}
	if (status !== undefined) {
		return new OllamaUnavailableError('other', `Ollama at ${host} answered ${status}: ${text}`, fixFor('other', model, host));
	}
	const code = networkCode(error);
	const dropped = code === 'UND_ERR_SOCKET' || code === 'ECONNRESET' || code === 'UND_ERR_CLOSED' || code === 'EPIPE';
	if (phase === 'request' && !dropped) {
		const why = code === 'ECONNREFUSED' ? 'connection refused' : code ? code : text;
		return new OllamaUnavailableError('down', `Ollama is not answering at ${host} (${why})`, fixFor('down', model, host));
	}
	const why =
		/did not receive done/i.test(text) || dropped || /^terminated$|other side closed/i.test(text)
			? 'the stream ended before the answer was done'
			: `Ollama reported: ${text}`;
	return new OllamaUnavailableError('stream', `${why} (${model} at ${host})`, fixFor('stream', model, host));
}
