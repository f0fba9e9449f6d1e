import {isIP} from 'node:net';

// Where Ollama lives, and whether nightshift may talk to it. The model is
// meant to be local: a host off this machine is used only when the user said
// so explicitly (allowRemote / --allow-remote), because the prompts carry the
// research code and the human's notes.

export const defaultOllamaPort = 11434;
export const defaultOllamaHost = `http://127.0.0.1:${defaultOllamaPort}`;

/**
 * Normalises a host as Ollama's own CLI and client read OLLAMA_HOST:
 * `host`, `host:port`, `:port`, `http://host[:port]`, `https://...`. Without
 * a scheme the port defaults to 11434; with one, to the scheme's port. A bind
 * address (`0.0.0.0`, `::`) means "this machine" and becomes loopback.
 * Returns `scheme://host:port` with no trailing slash.
 */
export function normalizeOllamaHost(raw: string): string {
	let s = raw.trim();
	if (s === '') return defaultOllamaHost;
	let explicitScheme = s.includes('://');
	if (s.startsWith(':') && isIP(s) !== 6) {
		s = `http://127.0.0.1${s}`;
		explicitScheme = true;
	}
	if (!explicitScheme) {
		// A bare IPv6 address (`::1`, `fe80::1`) has colons that are not a port.
		const bare = s.replace(/^\[|\]$/g, '');
		s = isIP(bare) === 6 ? `http://[${bare}]` : `http://${s}`;
	}
	let url: URL;
	try {
		url = new URL(s);
	} catch {
		throw new Error(`the Ollama host ${JSON.stringify(raw)} is not a host, host:port or http://host:port`);
	}
	if (url.protocol !== 'http:' && url.protocol !== 'https:') {
		throw new Error(`the Ollama host ${JSON.stringify(raw)} must use http:// or https://`);
	}
	let hostname = url.hostname;
	if (hostname === '0.0.0.0') hostname = '127.0.0.1';
	if (hostname === '[::]') hostname = '[::1]';
	const port = url.port || (explicitScheme ? (url.protocol === 'https:' ? '443' : '80') : String(defaultOllamaPort));
	const pathname = url.pathname.replace(/\/+$/, '');
	return `${url.protocol}//${hostname}:${port}${pathname}`;
}

/**
 * The host to use: the first one given of the flag/setting, `OLLAMA_HOST`,
 * then 127.0.0.1:11434; normalised.
 */
export function resolveOllamaHost(configured?: string, env: NodeJS.ProcessEnv = process.env): string {
	const chosen = [configured, env.OLLAMA_HOST].find(h => h !== undefined && h.trim() !== '');
	return normalizeOllamaHost(chosen ?? '');
}

function loopbackAddress(address: string): boolean {
	const kind = isIP(address);
	if (kind === 4) return address.startsWith('127.');
	if (kind === 6) {
		const a = address.toLowerCase();
		if (a === '::1' || a === '0:0:0:0:0:0:0:1') return true;
		// IPv4-mapped loopback, ::ffff:127.x.y.z (URL writes it as ::ffff:7f00:1).
		const mapped = /^::ffff:(.+)$/.exec(a);
		if (mapped) {
			const rest = mapped[1]!;
			if (isIP(rest) === 4) return rest.startsWith('127.');
			const hex = /^([0-9a-f]{1,4}):[0-9a-f]{1,4}$/.exec(rest);
			if (hex) return parseInt(hex[1]!, 16) >> 8 === 127;
		}
	}
	return false;
}

/**
 * True when the host names this machine: `localhost` (and `*.localhost`),
 * 127.0.0.0/8, ::1, an IPv4-mapped loopback, or a bind-all address (which a
 * client reaches through loopback). No name is resolved: nothing else counts.
 */
export function isLoopback(host: string): boolean {
	let hostname: string;
	try {
		hostname = new URL(normalizeOllamaHost(host)).hostname;
	} catch {
		return false;
	}
	hostname = hostname
		.replace(/^\[|\]$/g, '')
		.toLowerCase()
		.replace(/\.$/, '');
	if (hostname === 'localhost' || hostname.endsWith('.localhost')) return true;
	return loopbackAddress(hostname);
}

/** Thrown when the configured Ollama host is off this machine and remote hosts were not allowed. */
export class RemoteHostError extends Error {
	override name = 'RemoteHostError';
	constructor(readonly host: string) {
		super(
			`the Ollama host ${host} is not on this machine; nightshift sends your code and notes only to a local Ollama ` +
				'unless you allow it: pass --allow-remote (or set allowRemote: true in the settings) to use it',
		);
	}
}

/** Normalises the host and refuses one off this machine unless `allowRemote` is true. */
export function checkHostAllowed(host: string, allowRemote = false): string {
	const normal = normalizeOllamaHost(host);
	if (!allowRemote && !isLoopback(normal)) throw new RemoteHostError(normal);
	return normal;
}
