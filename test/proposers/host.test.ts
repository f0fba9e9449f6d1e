import {describe, expect, it} from 'vitest';
import {checkHostAllowed, isLoopback, normalizeOllamaHost, RemoteHostError, resolveOllamaHost} from '../../source/proposers/host.js';

describe('normalizeOllamaHost', () => {
	const cases: Array<[string, string]> = [
		['', 'http://127.0.0.1:11434'],
		['localhost', 'http://localhost:11434'],
		['localhost:1234', 'http://localhost:1234'],
		[':8080', 'http://127.0.0.1:8080'],
		['127.0.0.1:11434', 'http://127.0.0.1:11434'],
		['http://127.0.0.1:11434/', 'http://127.0.0.1:11434'],
		['http://example.com', 'http://example.com:80'],
		['https://example.com', 'https://example.com:443'],
		['example.com', 'http://example.com:11434'],
		['0.0.0.0', 'http://127.0.0.1:11434'],
		['0.0.0.0:9000', 'http://127.0.0.1:9000'],
		['http://0.0.0.0:11434', 'http://127.0.0.1:11434'],
		['::1', 'http://[::1]:11434'],
		['[::1]:9', 'http://[::1]:9'],
		['http://[::]:5', 'http://[::1]:5'],
		['  http://host:1/base/  ', 'http://host:1/base'],
	];
	for (const [raw, normal] of cases) {
		it(JSON.stringify(raw), () => expect(normalizeOllamaHost(raw)).toBe(normal));
	}
	it('refuses what is not a host', () => {
		expect(() => normalizeOllamaHost('ftp://x')).toThrow(/http/);
		expect(() => normalizeOllamaHost('http://')).toThrow(/not a host/);
	});
});

describe('isLoopback', () => {
	it('knows this machine', () => {
		for (const h of [
			'localhost',
			'LOCALHOST:1',
			'api.localhost',
			'127.0.0.1',
			'127.8.9.10:5',
			'::1',
			'[::1]:11434',
			'http://[::ffff:127.0.0.1]:1',
			'0.0.0.0',
			'',
		]) {
			expect([h, isLoopback(h)]).toEqual([h, true]);
		}
	});
	it('and nothing else, resolving no names', () => {
		for (const h of [
			'10.0.0.1',
			'192.168.1.2:11434',
			'gpu-box',
			'localhost.evil.com',
			'http://128.0.0.1',
			'[fe80::1]',
			'http://[::ffff:10.0.0.1]:1',
			'ollama.com',
		]) {
			expect([h, isLoopback(h)]).toEqual([h, false]);
		}
	});
});

describe('resolveOllamaHost and checkHostAllowed', () => {
	it('prefers the flag or setting, then OLLAMA_HOST, then the default', () => {
		expect(resolveOllamaHost('localhost:1', {OLLAMA_HOST: 'localhost:2'})).toBe('http://localhost:1');
		expect(resolveOllamaHost('', {OLLAMA_HOST: 'localhost:2'})).toBe('http://localhost:2');
		expect(resolveOllamaHost(undefined, {OLLAMA_HOST: '  '})).toBe('http://127.0.0.1:11434');
		expect(resolveOllamaHost(undefined, {})).toBe('http://127.0.0.1:11434');
	});

	it('refuses a remote host unless allowed, saying how to allow it', () => {
		expect(() => checkHostAllowed('gpu-box:11434')).toThrow(RemoteHostError);
		expect(() => checkHostAllowed('gpu-box:11434')).toThrow(/--allow-remote.*allowRemote: true/);
		expect(checkHostAllowed('gpu-box:11434', true)).toBe('http://gpu-box:11434');
		expect(checkHostAllowed('localhost')).toBe('http://localhost:11434');
	});
});
