import {written, type Hyperparameter, type NumberParam, type Value} from './hyperparams.js';

// How far the built-in search moves each kind of knob, and the word for the
// way it went. Each kind has its own notion of a small step: a layer more,
// one notch of a power of two, a constant factor for a rate, the gap to 1
// for a beta. The words are computed from the values written, never from
// the intent, so a rationale cannot say "down" over a diff that goes up.

/** Up (the value grows) or down. Choices and bools have one way only: 1. */
export type Dir = 1 | -1;

/** Floats: the largest factor first, its square root after each failure, down to this. */
const smallestFactor = 1.08;

const isPowerOfTwo = (v: number): boolean => v > 0 && Number.isInteger(Math.log2(v));
const powerLiteral = (raw: string): RegExpExecArray | null => /^(\d+)\s*\*\*\s*(\d+)$/.exec(raw.replace(/_/g, '').trim());

/**
 * Sizes move by notches: a `B**k` literal by one in k, and a plain power of
 * two from 32 up by x2 (sizes must usually divide each other: 128 -> 129
 * would only crash). The factor of one notch, or undefined.
 */
function notch(param: NumberParam): number | undefined {
	const power = powerLiteral(param.raw);
	if (power) return Number(power[1]);
	return param.value >= 32 && isPowerOfTwo(param.value) ? 2 : undefined;
}

/**
 * Integers: one unit of their second significant digit first (so ±1 below
 * 100), the step doubling after each, up to x2 and /2. Assumes v > 0.
 */
function intLadder(v: number, dir: Dir): number[] {
	const unit = Math.max(1, 10 ** (Math.floor(Math.log10(v)) - 1));
	const out: number[] = [];
	for (let step = unit; dir > 0 ? v + step < 2 * v : v - step > v / 2; step *= 2) out.push(v + dir * step);
	out.push(dir > 0 ? 2 * v : Math.floor(v / 2));
	return out;
}

/** A float one factor `f` away: on the gap to 1 for a beta, capped below 1 for a ratio, toward zero counts as up for a negative value. */
function floatStep(name: string, v: number, f: number, dir: Dir): number {
	if (v === 0) return dir > 0 ? 0.05 : 0;
	if (/BETA/.test(name) && v > 0 && v < 1) {
		const to = dir > 0 ? 1 - (1 - v) / f : 1 - (1 - v) * f;
		return to > 0 ? to : v / f;
	}
	if (v < 0) return dir > 0 ? v / f : v * f;
	const to = dir > 0 ? v * f : v / f;
	return /RATIO|FRAC|DROPOUT/.test(name) && v < 1 && to >= 1 ? (v + 1) / 2 : to;
}

function raw(param: NumberParam, dir: Dir, initialStep: number): number[] {
	const v = param.value;
	switch (param.kind) {
		case 'bool':
			return dir > 0 ? [v ? 0 : 1] : [];
		case 'int': {
			if (v === 0) return []; // Zero is usually "off": not a size to grow.
			const factor = notch(param);
			if (factor !== undefined) return [dir > 0 ? v * factor : v / factor];
			return v > 0 ? intLadder(v, dir) : intLadder(-v, dir > 0 ? -1 : 1).map(x => -x);
		}
		case 'float': {
			const first = Math.max(initialStep, 1.05);
			const out: number[] = [];
			for (let i = 0; first ** (1 / 2 ** i) >= smallestFactor; i++) out.push(floatStep(param.name, v, first ** (1 / 2 ** i), dir));
			return out;
		}
	}
}

/**
 * The values one way from the knob's value, first to try first: each as it
 * will be written, moved the right way, none twice. A power literal stays a
 * power (`2**19` -> `2**20`); a choice offers its other choices in the
 * order listed.
 */
export function ladder(param: Hyperparameter, dir: Dir, initialStep = 2): Value[] {
	if (param.kind === 'choice') return dir > 0 ? param.choices.filter(c => c !== param.value) : [];
	const out: Value[] = [];
	for (const value of raw(param, dir, initialStep)) {
		const to = written(param, value);
		if (typeof to !== 'number' || out.includes(to)) continue;
		if (param.kind !== 'bool' && Math.sign(to - param.value) !== dir) continue;
		if (param.kind === 'int' && param.value > 0 && to < 1) continue;
		out.push(to);
	}
	return out;
}

/** The same move again from where the last one landed: the same difference, ratio or notch. */
export function further(param: Hyperparameter, from: Value, to: Value): Value | undefined {
	if (param.kind === 'choice' || param.kind === 'bool' || typeof from !== 'number' || typeof to !== 'number') return undefined;
	if (from === 0 || to === from || param.value !== to) return undefined;
	const v = param.value;
	let next: number;
	if (param.kind === 'int') next = notch(param) !== undefined ? v * (to / from) : v + (to - from);
	else if (/BETA/.test(param.name) && v > 0 && v < 1 && from < 1) next = 1 - (1 - v) * ((1 - to) / (1 - from));
	else next = floatStep(param.name, v, to > from === v > 0 ? to / from : from / to, to > from ? 1 : -1);
	const out = written(param, next);
	if (typeof out !== 'number' || Math.sign(out - v) !== Math.sign(to - from)) return undefined;
	if (param.kind === 'int' && v > 0 && out < 1) return undefined;
	return out;
}

/** The way a value went, in the words a rationale uses: `up`/`down`, `on`/`off`, or the choice taken. */
export function way(param: Hyperparameter, from: Value, to: Value): string {
	switch (param.kind) {
		case 'bool':
			return to ? 'on' : 'off';
		case 'choice':
			return `to ${JSON.stringify(to)}`;
		case 'int':
		case 'float':
			return Number(to) > Number(from) ? 'up' : 'down';
	}
}
