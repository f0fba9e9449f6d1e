import type {Key} from 'ink';

// The building blocks of the key table: how a binding says which key it
// takes. A matcher gets what Ink reports of a key press.

export type Matcher = (input: string, key: Key) => boolean;

const noMod = (key: Key): boolean => !key.ctrl && !key.meta;
export const char =
	(...cs: string[]): Matcher =>
	(input, key) =>
		cs.includes(input) && noMod(key);
export const ctrl =
	(c: string): Matcher =>
	(input, key) =>
		key.ctrl && !key.meta && input === c;
export const meta =
	(c: string): Matcher =>
	(input, key) =>
		key.meta && !key.ctrl && input === c;
export const any =
	(...matchers: Matcher[]): Matcher =>
	(input, key) =>
		matchers.some(m => m(input, key));
export const k =
	(name: keyof Key, mods: {ctrl?: boolean; meta?: boolean; shift?: boolean} = {}): Matcher =>
	(_input, key) =>
		key[name] === true &&
		Boolean(key.ctrl) === Boolean(mods.ctrl) &&
		Boolean(key.meta) === Boolean(mods.meta) &&
		(mods.shift === undefined || key.shift === mods.shift);
