#!/usr/bin/env node
// The entry: checks the Node version before anything else is loaded. The
// rest of nightshift (execa, Ink, conf) needs Node 22 or newer and dies
// under an older one with an error from deep inside a dependency; here it
// is a sentence that says what to do. So this file imports nothing but
// Node's own modules, and loads the app with a dynamic import once the
// version is right. Keep it that way: no static import of ./cli/*.

import {existsSync} from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

const required = 22;
const major = Number(process.versions.node.split('.')[0]);

if (!(major >= required)) {
	const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
	const pinned = path.join(root, 'node_modules', '.bin', 'node');
	const lines = [
		`nightshift: this is Node ${process.versions.node} (${process.execPath}); nightshift needs Node ${required} or newer.`,
		`  npm start runs the Node 24 this project pins (a dev dependency), whatever node is on PATH: cd ${root} && npm start -- ARGS`,
		...(existsSync(pinned) ? [`  or run it with that Node directly: ${pinned} ${process.argv[1] ?? 'dist/cli.js'} ARGS`] : []),
		`  or install Node ${required} or newer (https://nodejs.org, or your version manager: nvm install ${required}).`,
	];
	process.stderr.write(lines.join('\n') + '\n');
	process.exit(1);
}

const {main} = await import('./cli/main.js');
await main(process.argv.slice(2));
