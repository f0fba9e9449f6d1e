// The hyperparameter block of a training script: top-level constants of the
// form `NAME = literal  # comment`. The built-in proposer reads and edits it.

export type ParamKind = 'int' | 'float' | 'bool';

export type Hyperparameter = {
	name: string;
	kind: ParamKind;
	value: number;
	/** The literal as written, e.g. `3e-4` or `2**19`. */
	raw: string;
	/** The whole line, for an exact SEARCH. */
	line: string;
};

const blockStart = /^#\s*-+\s*hyperparameters\s*-+\s*$/i;
const blockEnd = /^#\s*-+\s*end hyperparameters\s*-+\s*$/i;
const assignment = /^([A-Z][A-Z0-9_]*)\s*=\s*([^#\n]+?)\s*(#.*)?$/;

/** Parses a Python literal we can tune; strings, expressions and the like are left alone. */
export function parseLiteral(raw: string): {kind: ParamKind; value: number} | undefined {
	const text = raw.trim().replace(/_/g, '');
	if (text === 'True' || text === 'False') return {kind: 'bool', value: text === 'True' ? 1 : 0};
	const power = /^(\d+)\s*\*\*\s*(\d+)$/.exec(text);
	if (power) return {kind: 'int', value: Number(power[1]) ** Number(power[2])};
	if (/^[-+]?\d+$/.test(text)) return {kind: 'int', value: Number(text)};
	if (/^[-+]?(\d+\.\d*|\.\d+|\d+)(e[-+]?\d+)?$/i.test(text)) return {kind: 'float', value: Number(text)};
	return undefined;
}

/**
 * The block between `# --- hyperparameters ---` and `# --- end
 * hyperparameters ---`; without the markers (autoresearch's own train.py),
 * every top-level UPPER_CASE constant with a literal value.
 */
export function parseHyperparameters(source: string): Hyperparameter[] {
	const lines = source.split('\n');
	const start = lines.findIndex(l => blockStart.test(l.trim()));
	const end = start === -1 ? -1 : lines.findIndex((l, i) => i > start && blockEnd.test(l.trim()));
	const region = start === -1 ? lines : lines.slice(start + 1, end === -1 ? undefined : end);
	const params: Hyperparameter[] = [];
	const seen = new Set<string>();
	for (const line of region) {
		const m = assignment.exec(line);
		if (!m) continue;
		const literal = parseLiteral(m[2]!);
		if (!literal || seen.has(m[1]!)) continue;
		seen.add(m[1]!);
		params.push({name: m[1]!, ...literal, raw: m[2]!.trim(), line});
	}
	return params;
}

/** Writes a value back in the literal style the file used. */
export function formatValue(param: Pick<Hyperparameter, 'kind' | 'raw'>, value: number): string {
	if (param.kind === 'bool') return value ? 'True' : 'False';
	if (param.kind === 'int') {
		const power = /^(\d+)\s*\*\*\s*(\d+)$/.exec(param.raw.trim());
		if (power) {
			const base = Number(power[1]);
			const exponent = Math.log(value) / Math.log(base);
			if (Number.isInteger(exponent)) return `${base}**${exponent}`;
		}
		return String(Math.round(value));
	}
	const precise = Number(value.toPrecision(3));
	if (/e/i.test(param.raw) || (precise !== 0 && Math.abs(precise) < 1e-3)) {
		const [mantissa, exponent] = precise.toExponential().split('e');
		return `${Number(mantissa)}e${Number(exponent)}`;
	}
	const text = String(precise);
	return /[.e]/.test(text) ? text : `${text}.0`;
}

/** The line with its value replaced, spacing and comment kept. */
export function replaceValue(param: Hyperparameter, value: number): string {
	const m = assignment.exec(param.line)!;
	const valueStart = param.line.indexOf('=', m[1]!.length) + 1;
	const literalAt = param.line.indexOf(m[2]!, valueStart);
	return param.line.slice(0, literalAt) + formatValue(param, value) + param.line.slice(literalAt + m[2]!.length);
}
