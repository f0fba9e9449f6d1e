import {readFileSync} from 'node:fs';
import path from 'node:path';
import type {ExperimentDetails} from './intents.js';
import {listRunFolders} from './results.js';
import {readRunSummary} from './run-summary.js';

/** One experiment as the screen opens it: its diff, the end of its log (`\r` progress collapsed to lines), its summary. */
export function readDetails(runsDir: string, n: number, tail = 200): ExperimentDetails {
	const folder = listRunFolders(runsDir).find(f => f.n === n);
	if (!folder) return {n, diff: '', logTail: [], summary: undefined};
	const read = (file: string): string => {
		try {
			return readFileSync(path.join(folder.dir, file), 'utf8');
		} catch {
			return '';
		}
	};
	const log = read('run.log').replace(/\r\n?/g, '\n').split('\n');
	return {n, diff: read('diff.patch'), logTail: log.slice(-tail), summary: readRunSummary(folder.dir)};
}
