import {useInput, usePaste} from 'ink';
import type {UiActions} from '../actions.js';
import {bindingFor, type Mode, type Pane} from '../keys.js';

// Keys in: the key table picks the binding for this mode and focused pane
// and runs it; printable keys no binding claims go into the text field that
// has the keyboard (a burst of them is a paste without bracketed paste).

export function useKeyboard(mode: Mode, focus: Pane, actions: UiActions): void {
	useInput((raw, key) => {
		const binding = bindingFor(raw, key, mode, focus);
		if (binding) return binding.run(actions);
		if ((mode === 'editor' || mode === 'input') && raw !== '' && !key.ctrl && !key.meta && !key.escape)
			actions.edit({type: 'insert', text: raw});
	});
	usePaste(actions.paste);
}
