// The knobs of a training script, as the file itself declares them: between
// explicit markers, or under a banner in autoresearch's style whose title
// says "hyperparameters"; only a file that declares neither has every
// top-level constant taken for a knob. Constants elsewhere (a GPU's peak
// FLOPs in a setup section, a seed) are facts about the machine or the run,
// and the built-in search must never move them. It reads and writes the
// knobs through here only.

export type ParamKind = 'int' | 'float' | 'bool' | 'choice';

/** A knob's value: a number (a bool is 0 or 1) or, for a `choice`, the string without its quotes. */
export type Value = number | string;

type Common = {
	/** The knob's name: the constant's, or `NAME[i]` for element i of a tuple, which is a knob of its own. */
	name: string;
	/** The constant it belongs to. */
	constant: string;
	/** The literal as written, e.g. `3e-4`, `2**19`, `"SSSL"`. */
	raw: string;
	/** The whole line, and where it is (0-based) and where `raw` starts in it. */
	line: string;
	lineIndex: number;
	at: number;
};
export type NumberParam = Common & {kind: 'int' | 'float' | 'bool'; value: number};
export type ChoiceParam = Common & {kind: 'choice'; value: string; choices: string[]};
export type Hyperparameter = NumberParam | ChoiceParam;

/** Where the knobs are: line ranges [start, end) of the section's body, and how the file said so. */
export type Section = {how: 'markers' | 'banner' | 'file'; ranges: Array<[number, number]>};

const markerStart = /^#\s*-+\s*hyperparameters\s*-+\s*$/i;
const markerEnd = /^#\s*-+\s*end hyperparameters\s*-+\s*$/i;
/** A banner line: `#` and a run of rule characters, with or without a title (`# --- Setup ---`). */
const bannerLine = /^#\s*[-=*#~]{3,}/;
const assignment = /^([A-Z][A-Z0-9_]*)\s*=\s*("[^"\n]*"|'[^'\n]*'|[^#\n]+?)\s*(#.*)?$/;

const bannerTitle = (trimmed: string): string => trimmed.replace(/^#\s*/, '').replace(/^[-=*#~\s]+|[-=*#~\s]+$/g, '');

/**
 * Where the hyperparameters are. Explicit markers first (`# --- hyperparameters ---`
 * to `# --- end hyperparameters ---`, or to the next banner without an end);
 * then every banner whose title contains "hyperparameter" (a rule line, a title
 * comment, usually a rule again), to the next banner line; else the whole file.
 */
export function findSection(source: string): Section {
	const lines = source.split('\n').map(l => l.trim());
	const nextBanner = (from: number): number => {
		const at = lines.findIndex((l, i) => i >= from && bannerLine.test(l));
		return at === -1 ? lines.length : at;
	};
	const marked: Array<[number, number]> = [];
	for (const [i, l] of lines.entries()) {
		if (!markerStart.test(l)) continue;
		const end = lines.findIndex((e, j) => j > i && markerEnd.test(e));
		marked.push([i + 1, end === -1 ? nextBanner(i + 1) : end]);
	}
	if (marked.length > 0) return {how: 'markers', ranges: marked};
	const banners: Array<[number, number]> = [];
	const isRule = (l: string | undefined): boolean => l !== undefined && bannerLine.test(l) && bannerTitle(l) === '';
	for (let i = 0; i < lines.length; i++) {
		const l = lines[i]!;
		if (!bannerLine.test(l)) continue;
		let title = bannerTitle(l);
		let body = i + 1;
		if (title === '') {
			// A rule line: the title is the comment under it, and a second rule may close the heading.
			const next = lines[i + 1] ?? '';
			if (!next.startsWith('#') || bannerLine.test(next)) continue;
			title = next.replace(/^#\s*/, '');
			body = isRule(lines[i + 2]) ? i + 3 : i + 2;
		}
		if (/hyperparameter/i.test(title) && !/^end\b/i.test(title)) banners.push([body, nextBanner(body)]);
		i = body - 1; // Past the heading: its closing rule opens nothing.
	}
	if (banners.length > 0) return {how: 'banner', ranges: banners};
	return {how: 'file', ranges: [[0, lines.length]]};
}

/** Parses a number or bool we can tune; strings, tuples, expressions and the like are not. */
export function parseLiteral(raw: string): {kind: 'int' | 'float' | 'bool'; value: number} | undefined {
	const text = raw.trim().replace(/_/g, '');
	if (text === 'True' || text === 'False') return {kind: 'bool', value: text === 'True' ? 1 : 0};
	const power = /^(\d+)\s*\*\*\s*(\d+)$/.exec(text);
	if (power) return {kind: 'int', value: Number(power[1]) ** Number(power[2])};
	if (/^[-+]?\d+$/.test(text)) return {kind: 'int', value: Number(text)};
	if (/^[-+]?(\d+\.\d*|\.\d+|\d+)(e[-+]?\d+)?$/i.test(text)) return {kind: 'float', value: Number(text)};
	return undefined;
}

const quoted = /^(["'])(.*)\1$/;

/** A value as a description writes it: a number, a bool, or a quoted string. */
export function parseValue(raw: string): Value | undefined {
	return parseLiteral(raw)?.value ?? quoted.exec(raw.trim())?.[2];
}

/** The strings a trailing `# ... choices: "A", "B"` comment lists. */
function listedChoices(comment: string | undefined): string[] {
	const list = /\bchoices:\s*(.*)$/i.exec(comment ?? '')?.[1] ?? '';
	return [...list.matchAll(/"([^"]*)"|'([^']*)'/g)].map(m => m[1] ?? m[2]!);
}

/** The knobs one assignment line holds: none, one, or one per tuple element. */
function knobs(line: string, lineIndex: number): Hyperparameter[] {
	const m = assignment.exec(line);
	if (!m) return [];
	const constant = m[1]!;
	const raw = m[2]!;
	const at = line.indexOf(raw, line.indexOf('=') + 1);
	const common = {constant, line, lineIndex};
	const tuple = /^[([](.*)[)\]]$/.exec(raw);
	if (tuple) {
		const out: Hyperparameter[] = [];
		let offset = at + 1;
		for (const [i, element] of tuple[1]!.split(',').entries()) {
			const literal = parseLiteral(element);
			const text = element.trim();
			if (literal) out.push({...common, ...literal, name: `${constant}[${i}]`, raw: text, at: offset + element.indexOf(text)});
			offset += element.length + 1;
		}
		return out;
	}
	const text = quoted.exec(raw);
	if (text) {
		const choices = [...new Set([text[2]!, ...listedChoices(m[3])])];
		return choices.length < 2 ? [] : [{...common, kind: 'choice', name: constant, raw, at, value: text[2]!, choices}];
	}
	const literal = parseLiteral(raw);
	return literal ? [{...common, ...literal, name: constant, raw, at}] : [];
}

/** The section and the knobs in it: top-level `NAME = literal  # comment` lines, the first of each name. */
export function readHyperparameters(source: string): {section: Section; params: Hyperparameter[]} {
	const lines = source.split('\n');
	const section = findSection(source);
	const params: Hyperparameter[] = [];
	const seen = new Set<string>();
	for (const [start, end] of section.ranges) {
		for (let i = start; i < end; i++) {
			const found = knobs(lines[i]!, i);
			if (found.length === 0 || seen.has(found[0]!.constant)) continue;
			seen.add(found[0]!.constant);
			params.push(...found);
		}
	}
	return {section, params};
}

export function parseHyperparameters(source: string): Hyperparameter[] {
	return readHyperparameters(source).params;
}

/** Writes a value back in the literal style the file used. */
export function formatValue(param: {kind: ParamKind; raw: string}, value: Value): string {
	if (typeof value === 'string') {
		const preferred = param.raw.startsWith("'") ? "'" : '"';
		const quote = value.includes(preferred) ? (preferred === '"' ? "'" : '"') : preferred;
		return quote + value + quote;
	}
	switch (param.kind) {
		case 'bool':
			return value ? 'True' : 'False';
		case 'choice':
			return String(value); // A choice's value is a string: handled above.
		case 'int': {
			const power = /^(\d+)\s*\*\*\s*(\d+)$/.exec(param.raw.trim());
			if (power) {
				const base = Number(power[1]);
				const exponent = Math.round(Math.log(value) / Math.log(base));
				if (base ** exponent === value) return `${base}**${exponent}`;
			}
			return String(Math.round(value));
		}
		case 'float': {
			const precise = Number(value.toPrecision(3));
			if (/e/i.test(param.raw) || (precise !== 0 && Math.abs(precise) < 1e-3)) {
				const [mantissa, exponent] = precise.toExponential().split('e');
				return `${Number(mantissa)}e${Number(exponent)}`;
			}
			const text = String(precise);
			return /[.e]/.test(text) ? text : `${text}.0`;
		}
	}
}

/** The value as it will read once written: a float rounds to the file's style. */
export function written(param: Hyperparameter, value: Value): Value {
	return parseValue(formatValue(param, value)) ?? value;
}

/** The line with the values of some of its knobs replaced, spacing and comment kept. */
export function replaceValues(line: string, changes: ReadonlyArray<{param: Hyperparameter; value: Value}>): string {
	let out = line;
	for (const {param, value} of [...changes].sort((a, b) => b.param.at - a.param.at)) {
		out = out.slice(0, param.at) + formatValue(param, value) + out.slice(param.at + param.raw.length);
	}
	return out;
}

export function replaceValue(param: Hyperparameter, value: Value): string {
	return replaceValues(param.line, [{param, value}]);
}

const occurrences = (haystack: string, needle: string): number => haystack.split(needle).length - 1;

/**
 * Edits that set knobs to new values, one per line changed. Each SEARCH is
 * the line itself, with neighbours added until it matches one place only
 * (`DEPTH = 4` is also inside `CPU_DEPTH = 4`).
 */
export function knobEdits(
	source: string,
	changes: ReadonlyArray<{param: Hyperparameter; value: Value}>,
): Array<{search: string; replace: string}> {
	let lines = source.split('\n');
	const edits: Array<{search: string; replace: string}> = [];
	const byLine = [...new Set(changes.map(c => c.param.lineIndex))].sort((a, b) => a - b);
	for (const index of byLine) {
		const replaced = replaceValues(
			lines[index]!,
			changes.filter(c => c.param.lineIndex === index),
		);
		let [from, to] = [index, index + 1];
		const text = (): string => lines.slice(from, to).join('\n');
		while (occurrences(lines.join('\n'), text()) > 1 && (from > 0 || to < lines.length)) {
			if (from > 0) from--;
			else to++;
		}
		const search = text();
		const after = [...lines];
		after[index] = replaced;
		edits.push({search, replace: after.slice(from, to).join('\n')});
		lines = after;
	}
	return edits;
}
