import {existsSync, readFileSync} from 'node:fs';
import path from 'node:path';
import {LineCounter, parseDocument, isMap, isScalar, isSeq, type Node} from 'yaml';
import type {ArenaRules, Direction} from './types.js';

// program.md: prose for the agent, plus YAML front matter the loop obeys.

export type Arena = {
	/** program.md's absolute path. */
	path: string;
	/** The prose, front matter removed: what the agent reads. */
	goal: string;
	rules: ArenaRules;
	/** False when program.md had no front matter and autoresearch's defaults apply. */
	hasFrontMatter: boolean;
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
};

/** Budget x2 for evaluation and slow steps, plus a minute for start-up (imports, compile). */
export function defaultTimeout(budgetSeconds: number): number {
	return budgetSeconds * 2 + 60;
}

type Field = {
	key: keyof ArenaRules;
	kind: 'string' | 'number' | 'strings' | 'direction';
	describe: string;
};

const fields: Record<string, Field> = {
	editable: {key: 'editable', kind: 'strings', describe: 'a list of paths the agent may edit'},
	command: {key: 'command', kind: 'string', describe: 'the run command'},
	cwd: {key: 'cwd', kind: 'string', describe: "the run command's working directory"},
	metric: {key: 'metric', kind: 'string', describe: 'the summary key that is the metric'},
	direction: {key: 'direction', kind: 'direction', describe: '`lower` or `higher`'},
	budget: {key: 'budgetSeconds', kind: 'number', describe: 'the time budget in seconds'},
	timeout: {key: 'timeoutSeconds', kind: 'number', describe: 'the hard timeout in seconds'},
	min_improvement: {key: 'minImprovement', kind: 'number', describe: 'the least improvement worth keeping'},
	model: {key: 'model', kind: 'string', describe: 'an Ollama model name'},
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

/** Parses program.md's text. Invalid front matter throws an ArenaError naming the line. */
export function parseArena(text: string, file = 'program.md'): Omit<Arena, 'path'> {
	const {yaml, body} = splitFrontMatter(text);
	if (yaml === undefined) return {goal: body.trim(), rules: {...autoresearchDefaults}, hasFrontMatter: false};
	const lineCounter = new LineCounter();
	const doc = parseDocument(yaml, {lineCounter, uniqueKeys: true});
	// Line numbers in program.md: the front matter starts after the opening `---`.
	const lineOf = (offset: number | undefined): number => (offset === undefined ? 1 : lineCounter.linePos(offset).line + 1);
	if (doc.errors.length > 0) {
		const err = doc.errors[0]!;
		throw new ArenaError(`${file} line ${lineOf(err.pos[0])}: invalid front matter: ${err.message.split('\n')[0]}`);
	}
	const rules: ArenaRules = {...autoresearchDefaults};
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
		const scalar = isScalar(valueNode) ? valueNode.value : undefined;
		switch (field.kind) {
			case 'string': {
				if (typeof scalar !== 'string' || scalar.trim() === '') bad();
				const value = (scalar as string).trim();
				if (field.key === 'cwd') rules.cwd = checkRelative(value, 'cwd', valueLine);
				else (rules[field.key] as string) = value;
				break;
			}
			case 'number': {
				if (typeof scalar !== 'number' || !Number.isFinite(scalar) || scalar < 0) bad();
				if (field.key !== 'minImprovement' && (scalar as number) <= 0) bad();
				(rules[field.key] as number) = scalar as number;
				if (field.key === 'timeoutSeconds') timeoutGiven = true;
				break;
			}
			case 'direction': {
				if (scalar !== 'lower' && scalar !== 'higher') bad();
				rules.direction = scalar as Direction;
				break;
			}
			case 'strings': {
				let list: unknown[] = [];
				if (isSeq(valueNode)) list = valueNode.items.map(item => (isScalar(item) ? item.value : undefined));
				else if (typeof scalar === 'string') list = [scalar];
				if (list.length === 0 || list.some(v => typeof v !== 'string' || v.trim() === '')) bad();
				rules.editable = (list as string[]).map(v => checkRelative(v.trim(), 'editable', valueLine));
				break;
			}
		}
	}
	if (!timeoutGiven) rules.timeoutSeconds = defaultTimeout(rules.budgetSeconds);
	return {goal: body.trim(), rules, hasFrontMatter: true};
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
