import type {Key} from 'ink';
import type {UiActions} from './actions.js';

// One table: each key, where it applies, its help line and what it does.
// The input handler, the `?` overlay and the key table in docs/TUI.md
// (npm run docs:keys) all read it, so none of them can drift from what the
// keys do. Text fields take printable keys that no binding of theirs claims
// (so `q`, `j` and `?` type letters there).

export type Pane = 'goal' | 'log' | 'chart' | 'agent' | 'experiments';
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
 * agent's input line. `help` and `quit`: while those overlays are open.
 */
export type Scope = 'always' | 'global' | Pane | 'field' | 'editor' | 'input' | 'help' | 'quit';

/** What has the keyboard now. */
export type Mode = 'normal' | 'editor' | 'input' | 'help' | 'quit';

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
	quit: 'Quit dialog',
	help: 'This help',
};

const scopeOrder = Object.keys(scopeTitles) as Scope[];

export type Matcher = (input: string, key: Key) => boolean;

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

const noMod = (key: Key): boolean => !key.ctrl && !key.meta;
const char =
	(...cs: string[]): Matcher =>
	(input, key) =>
		cs.includes(input) && noMod(key);
const ctrl =
	(c: string): Matcher =>
	(input, key) =>
		key.ctrl && !key.meta && input === c;
const meta =
	(c: string): Matcher =>
	(input, key) =>
		key.meta && !key.ctrl && input === c;
const any =
	(...matchers: Matcher[]): Matcher =>
	(input, key) =>
		matchers.some(m => m(input, key));
const k =
	(name: keyof Key, mods: {ctrl?: boolean; meta?: boolean; shift?: boolean} = {}): Matcher =>
	(_input, key) =>
		key[name] === true &&
		Boolean(key.ctrl) === Boolean(mods.ctrl) &&
		Boolean(key.meta) === Boolean(mods.meta) &&
		(mods.shift === undefined || key.shift === mods.shift);

export const bindings: readonly Binding[] = [
	{
		name: 'interrupt',
		keys: 'Ctrl+C Ctrl+C',
		help: 'quit at once (within 2 s); a run in progress is stopped and recorded as crash',
		scope: 'always',
		match: ctrl('c'),
		run: ui => ui.interrupt(),
	},

	{name: 'help', keys: '?', help: 'show this help', scope: 'global', match: char('?'), run: ui => ui.openHelp()},
	{name: 'quit', keys: 'q', help: 'quit (asks first while a run is in progress)', scope: 'global', match: char('q'), run: ui => ui.quit()},
	{name: 'focusNext', keys: 'Tab', help: 'focus the next pane', scope: 'global', match: k('tab', {shift: false}), run: ui => ui.focus(1)},
	{
		name: 'focusPrevious',
		keys: 'Shift+Tab',
		help: 'focus the previous pane',
		scope: 'global',
		match: k('tab', {shift: true}),
		run: ui => ui.focus(-1),
	},
	{
		name: 'scrollDown',
		keys: 'j  ↓',
		help: 'scroll the focused pane down',
		scope: 'global',
		match: any(char('j'), k('downArrow')),
		run: ui => ui.scroll(1, false),
	},
	{
		name: 'scrollUp',
		keys: 'k  ↑',
		help: 'scroll the focused pane up',
		scope: 'global',
		match: any(char('k'), k('upArrow')),
		run: ui => ui.scroll(-1, false),
	},
	{
		name: 'pageDown',
		keys: 'PgDn  Space',
		help: 'page down',
		scope: 'global',
		match: any(k('pageDown'), char(' ')),
		run: ui => ui.scroll(1, true),
	},
	{name: 'pageUp', keys: 'PgUp  b', help: 'page up', scope: 'global', match: any(k('pageUp'), char('b')), run: ui => ui.scroll(-1, true)},
	{
		name: 'top',
		keys: 'g  Home',
		help: 'jump to the start (the log stops following)',
		scope: 'global',
		match: any(char('g'), k('home')),
		run: ui => ui.jump('start'),
	},
	{
		name: 'bottom',
		keys: 'G  End',
		help: 'jump to the end (the log follows again)',
		scope: 'global',
		match: any(char('G'), k('end')),
		run: ui => ui.jump('end'),
	},
	{
		name: 'toggleChart',
		keys: 'm',
		help: 'chart: loss of this run / the metric across experiments',
		scope: 'global',
		match: char('m'),
		run: ui => ui.toggleChart(),
	},
	{
		name: 'command',
		keys: '/  :',
		help: 'type a /command to the loop',
		scope: 'global',
		match: char('/', ':'),
		run: ui => ui.startCommand(),
	},
	{
		name: 'externalEditor',
		keys: 'Ctrl+E',
		help: 'open program.md in $EDITOR (reloaded when it closes)',
		scope: 'global',
		match: ctrl('e'),
		run: ui => ui.openEditor(),
	},

	{
		name: 'edit',
		keys: 'Enter  i',
		help: 'edit program.md here',
		scope: 'goal',
		match: any(k('return'), char('i')),
		run: ui => ui.editGoal(),
	},
	{name: 'externalEditor', keys: 'e', help: 'open program.md in $EDITOR', scope: 'goal', match: char('e'), run: ui => ui.openEditor()},
	{name: 'save', keys: 'Ctrl+S', help: 'save program.md', scope: 'goal', match: ctrl('s'), run: ui => ui.saveGoal()},
	{
		name: 'type',
		keys: 'Enter  i',
		help: 'type to the agent (a steering note) or a /command',
		scope: 'agent',
		match: any(k('return'), char('i')),
		run: ui => ui.typeToAgent(),
	},

	{
		name: 'save',
		keys: 'Ctrl+S',
		help: 'save program.md (atomically); the next proposal reads it',
		scope: 'editor',
		match: ctrl('s'),
		run: ui => ui.saveGoal(),
	},
	{name: 'newline', keys: 'Enter', help: 'new line', scope: 'editor', match: k('return'), run: ui => ui.edit({type: 'newline'})},
	{
		name: 'indent',
		keys: 'Tab',
		help: 'indent (spaces to the next stop of 4)',
		scope: 'editor',
		match: k('tab', {shift: false}),
		run: ui => ui.edit({type: 'indent'}),
	},
	{name: 'cursorUp', keys: '↑', help: 'up a row', scope: 'editor', match: k('upArrow'), run: ui => ui.edit({type: 'up'})},
	{name: 'cursorDown', keys: '↓', help: 'down a row', scope: 'editor', match: k('downArrow'), run: ui => ui.edit({type: 'down'})},
	{name: 'pageUp', keys: 'PgUp', help: 'up a page', scope: 'editor', match: k('pageUp'), run: ui => ui.edit({type: 'pageUp'})},
	{name: 'pageDown', keys: 'PgDn', help: 'down a page', scope: 'editor', match: k('pageDown'), run: ui => ui.edit({type: 'pageDown'})},

	{
		name: 'submit',
		keys: 'Enter',
		help: 'send: plain text is a steering note the agent keeps (and answers); /commands act on the loop',
		scope: 'input',
		match: k('return'),
		run: ui => ui.submit(),
	},
	{
		name: 'complete',
		keys: 'Tab',
		help: 'complete a /command (on plain text: next pane)',
		scope: 'input',
		match: k('tab', {shift: false}),
		run: ui => ui.complete(),
	},
	{name: 'historyPrevious', keys: '↑', help: 'previous message', scope: 'input', match: k('upArrow'), run: ui => ui.recall(1)},
	{name: 'historyNext', keys: '↓', help: 'next message', scope: 'input', match: k('downArrow'), run: ui => ui.recall(-1)},

	{name: 'leave', keys: 'Esc', help: 'stop typing (the text stays)', scope: 'field', match: k('escape'), run: ui => ui.leaveField()},
	{
		name: 'focusPrevious',
		keys: 'Shift+Tab',
		help: 'stop typing, previous pane',
		scope: 'field',
		match: k('tab', {shift: true}),
		run: ui => ui.focus(-1),
	},
	{name: 'cursorLeft', keys: '←', help: 'left', scope: 'field', match: k('leftArrow'), run: ui => ui.edit({type: 'left'})},
	{name: 'cursorRight', keys: '→', help: 'right', scope: 'field', match: k('rightArrow'), run: ui => ui.edit({type: 'right'})},
	{
		name: 'wordLeft',
		keys: 'Ctrl+←  Alt+B',
		help: 'word left',
		scope: 'field',
		match: any(k('leftArrow', {ctrl: true}), k('leftArrow', {meta: true}), meta('b')),
		run: ui => ui.edit({type: 'wordLeft'}),
	},
	{
		name: 'wordRight',
		keys: 'Ctrl+→  Alt+F',
		help: 'word right',
		scope: 'field',
		match: any(k('rightArrow', {ctrl: true}), k('rightArrow', {meta: true}), meta('f')),
		run: ui => ui.edit({type: 'wordRight'}),
	},
	{
		name: 'lineStart',
		keys: 'Home  Ctrl+A',
		help: 'start of the line',
		scope: 'field',
		match: any(k('home'), ctrl('a')),
		run: ui => ui.edit({type: 'home'}),
	},
	{
		name: 'lineEnd',
		keys: 'End  Ctrl+E',
		help: 'end of the line',
		scope: 'field',
		match: any(k('end'), ctrl('e')),
		run: ui => ui.edit({type: 'end'}),
	},
	{
		name: 'deleteBack',
		keys: 'Backspace',
		help: 'delete left (joins lines at the start of one)',
		scope: 'field',
		match: k('backspace'),
		run: ui => ui.edit({type: 'backspace'}),
	},
	{
		name: 'deleteForward',
		keys: 'Delete  Ctrl+D',
		help: 'delete right (joins lines at the end of one)',
		scope: 'field',
		match: any(k('delete'), ctrl('d')),
		run: ui => ui.edit({type: 'delete'}),
	},
	{
		name: 'deleteWordBack',
		keys: 'Ctrl+W  Alt+Bksp',
		help: 'delete the word left',
		scope: 'field',
		match: any(ctrl('w'), k('backspace', {meta: true})),
		run: ui => ui.edit({type: 'deleteWordLeft'}),
	},
	{
		name: 'deleteToLineStart',
		keys: 'Ctrl+U',
		help: 'delete to the start of the line',
		scope: 'field',
		match: ctrl('u'),
		run: ui => ui.edit({type: 'deleteToLineStart'}),
	},
	{
		name: 'deleteToLineEnd',
		keys: 'Ctrl+K',
		help: 'delete to the end of the line',
		scope: 'field',
		match: ctrl('k'),
		run: ui => ui.edit({type: 'deleteToLineEnd'}),
	},

	{
		name: 'closeHelp',
		keys: '?  Esc  q',
		help: 'close this help',
		scope: 'help',
		match: any(char('?', 'q'), k('escape')),
		run: ui => ui.closeHelp(),
	},
	{
		name: 'scrollDown',
		keys: 'j  ↓',
		help: 'scroll',
		scope: 'help',
		match: any(char('j'), k('downArrow')),
		run: ui => ui.scrollHelp(1, false),
	},
	{
		name: 'scrollUp',
		keys: 'k  ↑',
		help: 'scroll back',
		scope: 'help',
		match: any(char('k'), k('upArrow')),
		run: ui => ui.scrollHelp(-1, false),
	},
	{
		name: 'pageDown',
		keys: 'PgDn  Space',
		help: 'page down',
		scope: 'help',
		match: any(k('pageDown'), char(' ')),
		run: ui => ui.scrollHelp(1, true),
	},
	{name: 'pageUp', keys: 'PgUp  b', help: 'page up', scope: 'help', match: any(k('pageUp'), char('b')), run: ui => ui.scrollHelp(-1, true)},

	{
		name: 'quitFinish',
		keys: 'f',
		help: 'let the run finish and be recorded, then quit',
		scope: 'quit',
		match: char('f'),
		run: ui => ui.answerQuit('finish'),
	},
	{
		name: 'quitStop',
		keys: 's',
		help: 'stop the run now (recorded as crash), then quit',
		scope: 'quit',
		match: char('s'),
		run: ui => ui.answerQuit('stop'),
	},
	{
		name: 'quitCancel',
		keys: 'Esc  n  q',
		help: 'keep going',
		scope: 'quit',
		match: any(k('escape'), char('n', 'q')),
		run: ui => ui.answerQuit('cancel'),
	},
];

/** The scopes searched in each mode, first match wins (a Record: a new mode does not compile without its scopes). */
const searched: Record<Mode, (pane: Pane) => Scope[]> = {
	quit: () => ['quit', 'always'],
	help: () => ['help', 'always'],
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
