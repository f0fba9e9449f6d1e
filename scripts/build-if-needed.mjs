// `npm start` builds first, but only when something changed since the last
// build: a tree walk of the sources against the build's own stamp (the
// incremental build info in dist/) takes milliseconds, where even an
// up-to-date `tsc -b` takes a second and a full build ten on a busy
// machine. When a build is needed it says so on stderr (the screen would
// otherwise stay blank meanwhile) and runs the incremental `tsc -b`, which
// compiles only what changed. stdout stays the app's.
import {spawnSync} from 'node:child_process';
import {existsSync, readdirSync, statSync, utimesSync} from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const stamp = path.join(root, 'dist', '.tsbuildinfo');
const inputs = ['source', 'tsconfig.json', 'package.json', 'package-lock.json'];

/** The newest modification time under `target` (folders count: a deleted file changes its folder). */
function newest(target) {
	let stat;
	try {
		stat = statSync(target);
	} catch {
		return 0;
	}
	let latest = stat.mtimeMs;
	if (stat.isDirectory()) for (const name of readdirSync(target)) latest = Math.max(latest, newest(path.join(target, name)));
	return latest;
}

function built() {
	if (!existsSync(stamp) || !existsSync(path.join(root, 'dist', 'cli.js'))) return 0;
	return statSync(stamp).mtimeMs;
}

const since = built();
const changed = Math.max(...inputs.map(name => newest(path.join(root, name))));
if (since === 0 || changed > since) {
	process.stderr.write(since === 0 ? 'nightshift: building (first build)…\n' : 'nightshift: building (sources changed)…\n');
	const started = Date.now();
	const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
	const result = spawnSync(process.execPath, [tsc, '-b', path.join(root, 'tsconfig.json')], {stdio: ['ignore', 'inherit', 'inherit']});
	if (result.status !== 0) {
		// tsc emits despite type errors: an old stamp makes the next start build (and say so) again.
		if (existsSync(stamp)) utimesSync(stamp, 0, 0);
		process.stderr.write('nightshift: the build failed (above)\n');
		process.exit(result.status ?? 1);
	}
	// tsc -b leaves its stamp alone when only times changed: mark this build as current.
	const now = new Date();
	if (existsSync(stamp)) utimesSync(stamp, now, now);
	process.stderr.write(`nightshift: built in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}
