import {useInput, usePaste, type Key} from 'ink';
import type {UiActions} from '../actions.js';
import {bindingFor, type Mode, type Pane} from '../keys.js';

// Keys in: the key table picks the binding for this mode and focused pane
// and runs it; printable keys no binding claims go into the text field that
// has the keyboard (a burst of them is a paste without bracketed paste).
//
// Ink hands over what one read of the terminal brought as one input: keys
// typed fast, or a key held down over SSH, arrive as `jjj`. Outside a text
// field each of them is a key press of its own, so every key counts.

const none: Key = {
	upArrow: false,
	downArrow: false,
	leftArrow: false,
	rightArrow: false,
	pageDown: false,
	pageUp: false,
	home: false,
	end: false,
	return: false,
	escape: false,
	ctrl: false,
	shift: false,
	tab: false,
	backspace: false,
	delete: false,
	meta: false,
	super: false,
	hyper: false,
	capsLock: false,
	numLock: false,
};

/** One character of a burst as the key Ink would have reported had it come alone. */
export function keyOf(ch: string): [string, Key] {
	const code = ch.codePointAt(0)!;
	if (ch === '\t') return ['', {...none, tab: true}];
	if (ch === '\r' || ch === '\n') return ['', {...none, return: true}];
	if (ch === '\u007f' || ch === '\b') return ['', {...none, backspace: true}];
	if (code >= 1 && code <= 26) return [String.fromCharCode(code + 96), {...none, ctrl: true}];
	return [ch, {...none, shift: /^[A-Z]$/.test(ch)}];
}

/** Several keys in one input (no escape sequence: Ink splits those itself). */
export const isBurst = (raw: string, key: Key): boolean => !key.meta && !key.escape && Array.from(raw).length > 1;

export function useKeyboard(mode: Mode, focus: Pane, actions: UiActions): void {
	useInput((raw, key) => {
		const typing = mode === 'editor' || mode === 'input';
		const presses: Array<[string, Key]> = !typing && isBurst(raw, key) ? Array.from(raw, keyOf) : [[raw, key]];
		for (const [input, k] of presses) {
			const binding = bindingFor(input, k, mode, focus);
			if (binding) binding.run(actions);
			else if (typing && input !== '' && !k.ctrl && !k.meta && !k.escape) actions.edit({type: 'insert', text: input});
		}
	});
	usePaste(text => actions.paste(text));
}
