import {bestFirst} from '../core/metric.js';
import type {Direction} from '../core/types.js';
import type {ReportExperiment} from './data.js';

// The discards, grouped by what they tried, so a reviewer reads "learning
// rate: 5 tries, none better" instead of fifty rows. What an experiment
// tried is, in order: the constants its description moves (`NAME old ->
// new`, the built-in search's words and a common way to say it), else the
// constants its diff assigns, else the part of a file its diff touches (the
// file and the hunk's heading, as git names it), else "other".

export type DiscardGroup = {
	/** A constant's name (several joined with +), or a file area (`train/train.py: def forward`). */
	key: string;
	by: 'constant' | 'area' | 'other';
	/** In the order they ran. */
	tries: ReportExperiment[];
	/** For constants: the values tried, in order. */
	values?: string[];
	/** The try that came closest to the best. */
	closest?: ReportExperiment;
};

const value = String.raw`(?:[-+]?[\d.][\w.+-]*|'[^']*'|"[^"]*"|\([^)]*\)|\[[^\]]*\]|True|False|None)`;
/** `NAME old -> new` for an UPPER_CASE constant (any value), or any identifier moved between values that look like values. */
const upperMove = new RegExp(String.raw`\b([A-Z][A-Z0-9_]*)\s*[:=]?\s*(\S+)\s*(?:->|→)\s*(\S+)`, 'g');
const anyMove = new RegExp(String.raw`\b([A-Za-z_]\w*)\s*[:=]?\s*(${value})\s*(?:->|→)\s*(${value})`, 'g');
const assignment = /^[-+]\s*([A-Z][A-Z0-9_]*)\s*(?::[^=]*)?=(?!=)/;

/** The constants a description moves, with the values they move to. */
export function movesOf(description: string): Array<{name: string; to: string}> {
	const found = new Map<string, string>();
	for (const pattern of [upperMove, anyMove]) {
		for (const m of description.matchAll(pattern)) {
			if (!found.has(m[1]!)) found.set(m[1]!, m[3]!.replace(/[,;]$/, ''));
		}
		if (found.size > 0) break;
	}
	return [...found].map(([name, to]) => ({name, to}));
}

/** UPPER_CASE constants a diff assigns on its changed lines. */
export function constantsInDiff(diff: string): string[] {
	const names = new Set<string>();
	for (const line of diff.split('\n')) {
		if (line.startsWith('+++') || line.startsWith('---')) continue;
		const m = assignment.exec(line);
		if (m) names.add(m[1]!);
	}
	return [...names].sort();
}

/** The files a diff touches, each with the heading of its first hunk (git's function context), shortened to its name. */
export function areaOf(diff: string): string | undefined {
	const areas: string[] = [];
	let file: string | undefined;
	let headed = false;
	for (const line of diff.split('\n')) {
		const target = /^\+\+\+ (?:b\/)?(.+)$/.exec(line);
		if (target) {
			if (file && !headed) areas.push(file);
			file = target[1] === '/dev/null' ? undefined : target[1]!.trim();
			headed = false;
			continue;
		}
		const hunk = /^@@ [^@]* @@ ?(.*)$/.exec(line);
		if (hunk && file && !headed) {
			const heading = hunk[1]!.trim();
			const short = /^((?:async\s+)?(?:def|class)\s+\w+|function\s+\w+|\w[\w\s]*?)(?=[(:{]|$)/.exec(heading)?.[1]?.trim() ?? heading;
			areas.push(short ? `${file}: ${short}` : file);
			headed = true;
		}
	}
	if (file && !headed) areas.push(file);
	const unique = [...new Set(areas)];
	return unique.length === 0 ? undefined : unique.join(' + ');
}

/** What one experiment tried: its group key and kind, and the value it moved to where it says. */
export function triedOf(description: string, diff: string): {key: string; by: DiscardGroup['by']; to?: string} {
	const moves = movesOf(description);
	if (moves.length > 0) {
		const to = moves.length === 1 ? moves[0]!.to : `(${moves.map(m => m.to).join(', ')})`;
		return {key: moves.map(m => m.name).join(' + '), by: 'constant', to};
	}
	const constants = constantsInDiff(diff);
	if (constants.length > 0) return {key: constants.join(' + '), by: 'constant'};
	const area = areaOf(diff);
	return area ? {key: area, by: 'area'} : {key: 'other', by: 'other'};
}

/** The discards by what they tried: the largest groups first, ties by the first try. */
export function groupDiscards(discards: readonly ReportExperiment[], diffOf: (n: number) => string, direction: Direction): DiscardGroup[] {
	const groups = new Map<string, DiscardGroup>();
	for (const e of discards) {
		const tried = triedOf(e.description, diffOf(e.n));
		let group = groups.get(tried.key);
		if (!group) {
			group = {key: tried.key, by: tried.by, tries: []};
			groups.set(tried.key, group);
		}
		group.tries.push(e);
		if (tried.to !== undefined) group.values = [...(group.values ?? []), tried.to];
	}
	const order = bestFirst(direction);
	for (const group of groups.values()) {
		const measured = group.tries.filter(t => t.metric !== null);
		const closest = [...measured].sort((a, b) => order(a.metric!, b.metric!))[0];
		if (closest) group.closest = closest;
	}
	return [...groups.values()].sort((a, b) => b.tries.length - a.tries.length || a.tries[0]!.n - b.tries[0]!.n);
}
