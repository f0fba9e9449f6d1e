import {appendFileSync} from 'node:fs';
import dns from 'node:dns';
import net from 'node:net';

// Preloaded (node --import) into a nightshift under test: every socket it
// opens and every name it looks up is appended to $NIGHTSHIFT_NET_LOG, one a
// line, so the air-gap test can say that nothing of nightshift tried an
// address other than loopback, not only that it worked without one.

const file = process.env.NIGHTSHIFT_NET_LOG;

function note(line: string): void {
	if (file) appendFileSync(file, line + '\n');
}

type ConnectOptions = {host?: string; port?: number | string; path?: string};

function describe(args: unknown[]): string {
	const first = Array.isArray(args[0]) ? (args[0] as unknown[])[0] : args[0];
	if (typeof first === 'object' && first !== null) {
		const o = first as ConnectOptions;
		return o.path !== undefined ? `unix ${o.path}` : `tcp ${o.host ?? 'localhost'} ${String(o.port)}`;
	}
	if (typeof first === 'string' && Number.isNaN(Number(first))) return `unix ${first}`;
	return `tcp ${typeof args[1] === 'string' ? args[1] : 'localhost'} ${String(first)}`;
}

// The originals, called with the arguments they were given: wrapped, not changed.
type Untyped = (this: unknown, ...a: unknown[]) => unknown;
const connect = Reflect.get(net.Socket.prototype, 'connect') as Untyped;
Reflect.set(net.Socket.prototype, 'connect', function (this: net.Socket, ...args: unknown[]) {
	note(describe(args));
	return connect.apply(this, args);
});

const lookup = Reflect.get(dns, 'lookup') as Untyped;
Reflect.set(dns, 'lookup', function (hostname: string, ...rest: unknown[]) {
	note(`dns ${hostname}`);
	return lookup.call(dns, hostname, ...rest);
});
