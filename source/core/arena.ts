import {existsSync, readFileSync} from 'node:fs';
import path from 'node:path';
import {LineCounter, parseDocument, isMap, isScalar, isSeq, type Node} from 'yaml';
import type {ArenaRules} from './types.js';

// program.md: prose for the agent, plus YAML front matter the loop obeys.

export type Arena = {
	/** program.md's absolute path. */
	path: string;
	/** The prose, front matter removed: what the agent reads. */
	goal: string;
	rules: ArenaRules;
	/** False when program.md had no front matter and autoresearch's defaults apply. */
	hasFrontMatter: boolean;
	/** The line of program.md each rule was read from, for errors found later (a range that excludes the baseline). */
	lines: Partial<Record<keyof ArenaRules, number>>;
};

export class ArenaError extends Error {
	override name = 'ArenaError';
}

/** autoresearch's own arrangement: three files at the root, run with uv, five minutes. */
export const autoresearchDefaults: ArenaRules = {
	editable: ['train.py'],
	command: 'uv run train.py',
	cwd: '.',
	metric: 'val_bpb',
	direction: 'lower',
	budgetSeconds: 300,
	timeoutSeconds: defaultTimeout(300),
	minImprovement: 0,
	judge: 'noise',
	baselineRuns: 3,
	confirmRuns: 4,
};

/** Budget x2 for evaluation and slow steps, plus a minute for start-up (imports, compile). */
export function defaultTimeout(budgetSeconds: number): number {
	return budgetSeconds * 2 + 60;
}

type Kind =
	| {type: 'string'}
	| {type: 'path'}
	| {type: 'paths'}
	| {type: 'hostpaths'}
	| {type: 'number'; min: number; above: boolean}
	| {type: 'int'; min: number}
	| {type: 'ints'}
	| {type: 'choice'; values: readonly string[]}
	| {type: 'range'};

type Field = {key: keyof ArenaRules; kind: Kind; describe: string};

const positive: Kind = {type: 'number', min: 0, above: true};

const fields: Record<string, Field> = {
	editable: {key: 'editable', kind: {type: 'paths'}, describe: 'a list of paths the agent may edit'},
	command: {key: 'command', kind: {type: 'string'}, describe: 'the run command'},
	cwd: {key: 'cwd', kind: {type: 'path'}, describe: "the run command's working directory"},
	metric: {key: 'metric', kind: {type: 'string'}, describe: 'the summary key that is the metric'},
	direction: {key: 'direction', kind: {type: 'choice', values: ['lower', 'higher']}, describe: '`lower` or `higher`'},
	budget: {key: 'budgetSeconds', kind: positive, describe: 'the time budget in seconds, above 0'},
	timeout: {key: 'timeoutSeconds', kind: positive, describe: 'the hard timeout in seconds, above 0'},
	min_improvement: {
		key: 'minImprovement',
		kind: {type: 'number', min: 0, above: false},
		describe: 'the least improvement worth keeping, 0 or more',
	},
	model: {key: 'model', kind: {type: 'string'}, describe: 'an Ollama model name'},
	judge: {
		key: 'judge',
		kind: {type: 'choice', values: ['noise', 'single']},
		describe: '`noise` (measure the noise, confirm close calls) or `single` (one run against one run)',
	},
	baseline_runs: {
		key: 'baselineRuns',
		kind: {type: 'int', min: 1},
		describe: 'how many times the baseline runs to measure the noise, a whole number from 1',
	},
	confirm_runs: {
		key: 'confirmRuns',
		kind: {type: 'int', min: 1},
		describe: 'the most re-runs a close call may take (the judge stops early when it can tell), a whole number from 1',
	},
	gpus: {key: 'gpus', kind: {type: 'ints'}, describe: 'a list of GPU indices (as nvidia-smi numbers them), one worker each'},
	metric_range: {key: 'metricRange', kind: {type: 'range'}, describe: 'the values the metric can take, `[low, high]` with low below high'},
	sandbox: {
		key: 'sandbox',
		kind: {type: 'choice', values: ['auto', 'bwrap', 'off']},
		describe: '`auto` (bubblewrap where it runs), `bwrap` (required) or `off`',
	},
	writable: {
		key: 'writable',
		kind: {type: 'hostpaths'},
		describe: 'a list of paths a run may write besides its run folder: absolute, `~/...` or `$VAR/...` (e.g. [~/.cache/mydata])',
	},
};

const frontMatterPattern = /^---[ \t]*\r?\n([\s\S]*?)\r?\n---[ \t]*(?:\r?\n|$)/;

/** Splits program.md into front matter (with the line it starts on) and prose. */
export function splitFrontMatter(text: string): {yaml?: string; body: string} {
	const m = frontMatterPattern.exec(text);
	if (!m) return {body: text};
	return {yaml: m[1] ?? '', body: text.slice(m[0].length)};
}

function checkRelative(value: string, name: string, line: number): string {
	const normal = path.posix.normalize(value.replace(/\\/g, '/'));
	if (path.posix.isAbsolute(normal) || normal.split('/').includes('..')) {
		throw new ArenaError(`program.md line ${line}: ${name} must be a path inside the workspace, not ${value}`);
	}
	return normal;
}

/** The yaml library's first line, without its own `at line L, column C:` (the caller names the line). */
function yamlMessage(message: string): string {
	return (message.split('\n')[0] ?? message).replace(/\s*at line \d+, column \d+:?\s*$/, '').replace(/:\s*$/, '');
}

/** Parses program.md's text. Invalid front matter throws an ArenaError naming the line. */
export function parseArena(text: string, file = 'program.md'): Omit<Arena, 'path'> {
	const {yaml, body} = splitFrontMatter(text);
	if (yaml === undefined) {
		if (/^---[ \t]*\r?\n/.test(text)) {
			throw new ArenaError(`${file} line 1: the front matter opened here with \`---\` is never closed: end it with a \`---\` line`);
		}
		return {goal: body.trim(), rules: {...autoresearchDefaults}, hasFrontMatter: false, lines: {}};
	}
	const lineCounter = new LineCounter();
	const doc = parseDocument(yaml, {lineCounter, uniqueKeys: true});
	// Line numbers in program.md: the front matter starts after the opening `---`.
	const lineOf = (offset: number | undefined): number => (offset === undefined ? 1 : lineCounter.linePos(offset).line + 1);
	if (doc.errors.length > 0) {
		const err = doc.errors[0]!;
		throw new ArenaError(`${file} line ${lineOf(err.pos[0])}: invalid front matter: ${yamlMessage(err.message)}`);
	}
	const rules: ArenaRules = {...autoresearchDefaults};
	const lines: Arena['lines'] = {};
	let timeoutGiven = false;
	if (doc.contents !== null && !isMap(doc.contents)) {
		throw new ArenaError(`${file} line 2: front matter must be \`key: value\` lines`);
	}
	const items = doc.contents && isMap(doc.contents) ? doc.contents.items : [];
	for (const pair of items) {
		const keyNode = pair.key as Node | null;
		const keyName = isScalar(keyNode) ? String(keyNode.value) : '';
		const line = lineOf(keyNode?.range?.[0]);
		const field = fields[keyName];
		if (!field) {
			throw new ArenaError(`${file} line ${line}: unknown key \`${keyName}\`; known keys: ${Object.keys(fields).join(', ')}`);
		}
		const valueNode = pair.value as Node | null;
		const valueLine = lineOf(valueNode?.range?.[0] ?? keyNode?.range?.[0]);
		const bad = (): never => {
			throw new ArenaError(`${file} line ${valueLine}: \`${keyName}\` must be ${field.describe}`);
		};
		const value = readField(field, valueNode, bad, valueLine);
		Object.assign(rules, {[field.key]: value});
		lines[field.key] = valueLine;
		if (field.key === 'timeoutSeconds') timeoutGiven = true;
	}
	if (!timeoutGiven) rules.timeoutSeconds = defaultTimeout(rules.budgetSeconds);
	return {goal: body.trim(), rules, hasFrontMatter: true, lines};
}

/** One front matter value, checked against its field's kind. */
function readField(field: Field, node: Node | null, bad: () => never, line: number): ArenaRules[keyof ArenaRules] {
	const scalar = isScalar(node) ? node.value : undefined;
	const list = (): unknown[] =>
		isSeq(node) ? node.items.map(item => (isScalar(item) ? item.value : undefined)) : scalar === undefined ? [] : [scalar];
	const {kind} = field;
	switch (kind.type) {
		case 'string':
			if (typeof scalar !== 'string' || scalar.trim() === '') bad();
			return scalar.trim();
		case 'path':
			if (typeof scalar !== 'string' || scalar.trim() === '') bad();
			return checkRelative(scalar.trim(), field.key, line);
		case 'paths': {
			const items = list();
			if (items.length === 0 || items.some(v => typeof v !== 'string' || v.trim() === '')) bad();
			return (items as string[]).map(v => checkRelative(v.trim(), field.key, line));
		}
		case 'hostpaths': {
			// Outside the workspace on purpose (caches, data): a relative path would have no meaning in a worktree.
			const items = isSeq(node) || scalar !== undefined ? list() : [];
			if (items.some(v => typeof v !== 'string' || !/^(\/|~\/|~$|\$)/.test(v.trim()))) bad();
			return (items as string[]).map(v => v.trim());
		}
		case 'number':
			if (typeof scalar !== 'number' || !Number.isFinite(scalar) || scalar < kind.min || (kind.above && scalar <= kind.min)) bad();
			return scalar;
		case 'int':
			if (typeof scalar !== 'number' || !Number.isInteger(scalar) || scalar < kind.min) bad();
			return scalar;
		case 'ints': {
			const items = list();
			if (items.length === 0 || items.some(v => typeof v !== 'number' || !Number.isInteger(v) || v < 0)) bad();
			return items as number[];
		}
		case 'choice':
			if (typeof scalar !== 'string' || !kind.values.includes(scalar)) bad();
			return scalar;
		case 'range': {
			const items = list();
			if (items.length !== 2 || items.some(v => typeof v !== 'number' || Number.isNaN(v))) bad();
			const [low, high] = items as [number, number];
			if (!(low < high)) bad();
			return [low, high];
		}
	}
}

export function loadArena(workspace: string): Arena {
	const file = path.join(workspace, 'program.md');
	if (!existsSync(file)) {
		throw new ArenaError(`no program.md in ${workspace}: write one (see the bundled program.md) or pass --workspace DIR`);
	}
	return {path: file, ...parseArena(readFileSync(file, 'utf8'))};
}

/** The rules with a budget given on the command line or by /budget; a default timeout follows the budget. */
export function withBudget(rules: ArenaRules, budgetSeconds: number): ArenaRules {
	const explicit = rules.timeoutSeconds !== defaultTimeout(rules.budgetSeconds);
	const timeout = explicit ? Math.max(rules.timeoutSeconds, budgetSeconds + 30) : defaultTimeout(budgetSeconds);
	return {...rules, budgetSeconds, timeoutSeconds: timeout};
}
