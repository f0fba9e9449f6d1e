import type {Key} from 'ink';
import type {UiActions} from './actions.js';
import type {Matcher} from './key-match.js';
import {fieldBindings} from './keys-fields.js';
import {overlayBindings} from './keys-overlays.js';
import {screenBindings} from './keys-screen.js';

// One table: each key, where it applies, its help line and what it does
// (in three parts: keys-screen.ts, keys-fields.ts, keys-overlays.ts). The
// input handler, the `?` overlay and the key table in docs/TUI.md (npm run
// docs:keys) all read it, so none of them can drift from what the keys do.
// Text fields take printable keys that no binding of theirs claims (so `q`,
// `j` and `?` type letters there).

export type Pane = 'goal' | 'log' | 'chart' | 'agent' | 'experiments';
/** Every pane that takes focus (Tab follows the layout instead: layout.ts's focusOrder). */
export const panes: Pane[] = ['goal', 'log', 'chart', 'agent', 'experiments'];

/** What each pane is called, in its own frame and in the help. */
export const paneTitles: Record<Pane, string> = {
	goal: 'Goal',
	log: 'Training',
	chart: 'Loss',
	agent: 'Agent',
	experiments: 'Experiments',
};

/**
 * Where a binding applies. `always`: everywhere, typing included. `global`:
 * anywhere while not typing. A pane: while it has focus and nothing is typed.
 * `field`: in either text field; `editor`: the goal editor; `input`: the
 * agent's input line. `help`, `quit`, `unsaved` (quitting with unsaved goal
 * edits), `view` (an experiment, a diff, the memory, the morning view) and
 * `summary` (the morning view only): while those overlays are open.
 */
export type Scope = 'always' | 'global' | Pane | 'field' | 'editor' | 'input' | 'help' | 'quit' | 'unsaved' | 'view' | 'summary';

/** What has the keyboard now. */
export type Mode = 'normal' | 'editor' | 'input' | 'help' | 'quit' | 'unsaved' | 'view' | 'summary';

/** Headings for help and the docs, in the order they list the scopes (a Record: no scope can lack one). */
export const scopeTitles: Record<Scope, string> = {
	global: 'Anywhere (not typing)',
	goal: `${paneTitles.goal} pane`,
	log: `${paneTitles.log} pane`,
	chart: `${paneTitles.chart} pane`,
	agent: `${paneTitles.agent} pane`,
	experiments: `${paneTitles.experiments} pane`,
	editor: 'Goal editor',
	input: 'Agent input',
	field: 'Typing (goal editor and agent input)',
	always: 'Everywhere',
	view: 'Reading (an experiment, a diff, the memory, the morning view)',
	summary: 'The morning view',
	quit: 'Quit dialog',
	unsaved: 'Quitting with unsaved goal edits',
	help: 'This help',
};

const scopeOrder = Object.keys(scopeTitles) as Scope[];

export type {Matcher};

export type Binding = {
	/** What it does, in a word: for tests and messages (one name may be bound in several scopes). */
	name: string;
	/** As shown in help; two spaces part alternatives (`j  ↓`). */
	keys: string;
	help: string;
	scope: Scope;
	match: Matcher;
	run: (ui: UiActions) => void;
};

/** Every binding: the screen's (anywhere, per pane), the text fields', the overlays'. */
export const bindings: readonly Binding[] = [...screenBindings, ...fieldBindings, ...overlayBindings];

/** The scopes searched in each mode, first match wins (a Record: a new mode does not compile without its scopes). */
const searched: Record<Mode, (pane: Pane) => Scope[]> = {
	quit: () => ['quit', 'always'],
	unsaved: () => ['unsaved', 'always'],
	help: () => ['help', 'always'],
	view: () => ['view', 'always'],
	summary: () => ['summary', 'view', 'always'],
	editor: () => ['editor', 'field', 'always'],
	input: () => ['input', 'field', 'always'],
	normal: pane => [pane, 'global', 'always'],
};

/** The binding a key runs in this mode and pane, or undefined. */
export function bindingFor(input: string, key: Key, mode: Mode, pane: Pane): Binding | undefined {
	for (const scope of searched[mode](pane)) {
		const found = bindings.find(b => b.scope === scope && b.match(input, key));
		if (found) return found;
	}
	return undefined;
}

/** The key table grouped for help and the docs: scopes in `scopeOrder`, empty ones left out. */
export function bindingsByScope(): Array<{scope: Scope; title: string; bindings: Binding[]}> {
	return scopeOrder
		.map(scope => ({scope, title: scopeTitles[scope], bindings: bindings.filter(b => b.scope === scope)}))
		.filter(g => g.bindings.length > 0);
}
