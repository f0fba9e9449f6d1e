import type {Key} from 'ink';

// One table: each key, the command it runs, where it applies, and its help
// line. The input handler and the `?` overlay both read it, so help cannot
// drift from what the keys do. Text fields take printable keys that no
// binding of theirs claims (so `q`, `j` and `?` type letters there).

export type Pane = 'goal' | 'log' | 'chart' | 'agent' | 'experiments';
export const panes: Pane[] = ['goal', 'log', 'chart', 'agent', 'experiments'];

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

export type Command =
	| 'interrupt'
	| 'help'
	| 'quit'
	| 'focusNext'
	| 'focusPrevious'
	| 'scrollDown'
	| 'scrollUp'
	| 'pageDown'
	| 'pageUp'
	| 'top'
	| 'bottom'
	| 'toggleChart'
	| 'command'
	| 'externalEditor'
	| 'edit'
	| 'type'
	| 'save'
	| 'leave'
	| 'newline'
	| 'indent'
	| 'submit'
	| 'complete'
	| 'historyPrevious'
	| 'historyNext'
	| 'cursorLeft'
	| 'cursorRight'
	| 'cursorUp'
	| 'cursorDown'
	| 'lineStart'
	| 'lineEnd'
	| 'wordLeft'
	| 'wordRight'
	| 'deleteBack'
	| 'deleteForward'
	| 'deleteWordBack'
	| 'deleteToLineStart'
	| 'deleteToLineEnd'
	| 'closeHelp'
	| 'quitFinish'
	| 'quitStop'
	| 'quitCancel';

export type Binding = {
	command: Command;
	/** As shown in help. */
	keys: string;
	help: string;
	scope: Scope;
	match: (input: string, key: Key) => boolean;
};

const noMod = (key: Key): boolean => !key.ctrl && !key.meta;
const char = (...cs: string[]) => (input: string, key: Key) => cs.includes(input) && noMod(key);
const ctrl = (c: string) => (input: string, key: Key) => key.ctrl && !key.meta && input === c;
const meta = (c: string) => (input: string, key: Key) => key.meta && !key.ctrl && input === c;
const any =
	(...matchers: Array<(input: string, key: Key) => boolean>) =>
	(input: string, key: Key) =>
		matchers.some(m => m(input, key));
const k =
	(name: keyof Key, mods: {ctrl?: boolean; meta?: boolean; shift?: boolean} = {}) =>
	(_input: string, key: Key) =>
		key[name] === true && Boolean(key.ctrl) === Boolean(mods.ctrl) && Boolean(key.meta) === Boolean(mods.meta) && (mods.shift === undefined || key.shift === mods.shift);

export const bindings: Binding[] = [
	{command: 'interrupt', keys: 'Ctrl+C Ctrl+C', help: 'quit at once (within 2 s); a run in progress is stopped and recorded as crash', scope: 'always', match: ctrl('c')},

	{command: 'help', keys: '?', help: 'show this help', scope: 'global', match: char('?')},
	{command: 'quit', keys: 'q', help: 'quit (asks first while a run is in progress)', scope: 'global', match: char('q')},
	{command: 'focusNext', keys: 'Tab', help: 'focus the next pane', scope: 'global', match: k('tab', {shift: false})},
	{command: 'focusPrevious', keys: 'Shift+Tab', help: 'focus the previous pane', scope: 'global', match: k('tab', {shift: true})},
	{command: 'scrollDown', keys: 'j  ↓', help: 'scroll the focused pane down', scope: 'global', match: any(char('j'), k('downArrow'))},
	{command: 'scrollUp', keys: 'k  ↑', help: 'scroll the focused pane up', scope: 'global', match: any(char('k'), k('upArrow'))},
	{command: 'pageDown', keys: 'PgDn  Space', help: 'page down', scope: 'global', match: any(k('pageDown'), char(' '))},
	{command: 'pageUp', keys: 'PgUp  b', help: 'page up', scope: 'global', match: any(k('pageUp'), char('b'))},
	{command: 'top', keys: 'g  Home', help: 'jump to the start (the log stops following)', scope: 'global', match: any(char('g'), k('home'))},
	{command: 'bottom', keys: 'G  End', help: 'jump to the end (the log follows again)', scope: 'global', match: any(char('G'), k('end'))},
	{command: 'toggleChart', keys: 'm', help: 'chart: loss of this run / the metric across experiments', scope: 'global', match: char('m')},
	{command: 'command', keys: '/  :', help: 'type a /command to the loop', scope: 'global', match: char('/', ':')},
	{command: 'externalEditor', keys: 'Ctrl+E', help: 'open program.md in $EDITOR (reloaded when it closes)', scope: 'global', match: ctrl('e')},

	{command: 'edit', keys: 'Enter  i', help: 'edit program.md here', scope: 'goal', match: any(k('return'), char('i'))},
	{command: 'externalEditor', keys: 'e', help: 'open program.md in $EDITOR', scope: 'goal', match: char('e')},
	{command: 'save', keys: 'Ctrl+S', help: 'save program.md', scope: 'goal', match: ctrl('s')},
	{command: 'type', keys: 'Enter  i', help: 'type to the agent (a steering note) or a /command', scope: 'agent', match: any(k('return'), char('i'))},

	{command: 'save', keys: 'Ctrl+S', help: 'save program.md (atomically); the next proposal reads it', scope: 'editor', match: ctrl('s')},
	{command: 'newline', keys: 'Enter', help: 'new line', scope: 'editor', match: k('return')},
	{command: 'indent', keys: 'Tab', help: 'indent (spaces to the next stop of 4)', scope: 'editor', match: k('tab', {shift: false})},
	{command: 'cursorUp', keys: '↑', help: 'up a row', scope: 'editor', match: k('upArrow')},
	{command: 'cursorDown', keys: '↓', help: 'down a row', scope: 'editor', match: k('downArrow')},
	{command: 'pageUp', keys: 'PgUp', help: 'up a page', scope: 'editor', match: k('pageUp')},
	{command: 'pageDown', keys: 'PgDn', help: 'down a page', scope: 'editor', match: k('pageDown')},

	{command: 'submit', keys: 'Enter', help: 'send: plain text is a steering note the agent keeps (and answers); /commands act on the loop', scope: 'input', match: k('return')},
	{command: 'complete', keys: 'Tab', help: 'complete a /command (on plain text: next pane)', scope: 'input', match: k('tab', {shift: false})},
	{command: 'historyPrevious', keys: '↑', help: 'previous message', scope: 'input', match: k('upArrow')},
	{command: 'historyNext', keys: '↓', help: 'next message', scope: 'input', match: k('downArrow')},

	{command: 'leave', keys: 'Esc', help: 'stop typing (the text stays)', scope: 'field', match: k('escape')},
	{command: 'focusPrevious', keys: 'Shift+Tab', help: 'stop typing, previous pane', scope: 'field', match: k('tab', {shift: true})},
	{command: 'cursorLeft', keys: '←', help: 'left', scope: 'field', match: k('leftArrow')},
	{command: 'cursorRight', keys: '→', help: 'right', scope: 'field', match: k('rightArrow')},
	{command: 'wordLeft', keys: 'Ctrl+←  Alt+B', help: 'word left', scope: 'field', match: any(k('leftArrow', {ctrl: true}), k('leftArrow', {meta: true}), meta('b'))},
	{command: 'wordRight', keys: 'Ctrl+→  Alt+F', help: 'word right', scope: 'field', match: any(k('rightArrow', {ctrl: true}), k('rightArrow', {meta: true}), meta('f'))},
	{command: 'lineStart', keys: 'Home  Ctrl+A', help: 'start of the line', scope: 'field', match: any(k('home'), ctrl('a'))},
	{command: 'lineEnd', keys: 'End  Ctrl+E', help: 'end of the line', scope: 'field', match: any(k('end'), ctrl('e'))},
	{command: 'deleteBack', keys: 'Backspace', help: 'delete left (joins lines at the start of one)', scope: 'field', match: k('backspace')},
	{command: 'deleteForward', keys: 'Delete  Ctrl+D', help: 'delete right (joins lines at the end of one)', scope: 'field', match: any(k('delete'), ctrl('d'))},
	{command: 'deleteWordBack', keys: 'Ctrl+W  Alt+Bksp', help: 'delete the word left', scope: 'field', match: any(ctrl('w'), k('backspace', {meta: true}))},
	{command: 'deleteToLineStart', keys: 'Ctrl+U', help: 'delete to the start of the line', scope: 'field', match: ctrl('u')},
	{command: 'deleteToLineEnd', keys: 'Ctrl+K', help: 'delete to the end of the line', scope: 'field', match: ctrl('k')},

	{command: 'closeHelp', keys: '?  Esc  q', help: 'close this help', scope: 'help', match: any(char('?', 'q'), k('escape'))},
	{command: 'scrollDown', keys: 'j  ↓', help: 'scroll', scope: 'help', match: any(char('j'), k('downArrow'))},
	{command: 'scrollUp', keys: 'k  ↑', help: 'scroll back', scope: 'help', match: any(char('k'), k('upArrow'))},
	{command: 'pageDown', keys: 'PgDn  Space', help: 'page down', scope: 'help', match: any(k('pageDown'), char(' '))},
	{command: 'pageUp', keys: 'PgUp  b', help: 'page up', scope: 'help', match: any(k('pageUp'), char('b'))},

	{command: 'quitFinish', keys: 'f', help: 'let the run finish and be recorded, then quit', scope: 'quit', match: char('f')},
	{command: 'quitStop', keys: 's', help: 'stop the run now (recorded as crash), then quit', scope: 'quit', match: char('s')},
	{command: 'quitCancel', keys: 'Esc  n  q', help: 'keep going', scope: 'quit', match: any(k('escape'), char('n', 'q'))},
];

/** The scopes searched, first match wins. */
export function scopesFor(mode: Mode, pane: Pane): Scope[] {
	switch (mode) {
		case 'quit':
			return ['quit', 'always'];
		case 'help':
			return ['help', 'always'];
		case 'editor':
			return ['editor', 'field', 'always'];
		case 'input':
			return ['input', 'field', 'always'];
		case 'normal':
			return [pane, 'global', 'always'];
	}
}

/** The binding a key runs in this mode and pane, or undefined. */
export function bindingFor(input: string, key: Key, mode: Mode, pane: Pane): Binding | undefined {
	for (const scope of scopesFor(mode, pane)) {
		const found = bindings.find(b => b.scope === scope && b.match(input, key));
		if (found) return found;
	}
	return undefined;
}

export function commandFor(input: string, key: Key, mode: Mode, pane: Pane): Command | undefined {
	return bindingFor(input, key, mode, pane)?.command;
}

export const scopeTitles: Record<Scope, string> = {
	always: 'Everywhere',
	global: 'Anywhere (not typing)',
	goal: 'Goal pane',
	log: 'Training pane',
	chart: 'Loss pane',
	agent: 'Agent pane',
	experiments: 'Experiments pane',
	field: 'Typing (goal editor and agent input)',
	editor: 'Goal editor',
	input: 'Agent input',
	help: 'This help',
	quit: 'Quit dialog',
};

export type SlashCommand = {name: string; args?: string; help: string};

/** The agent input's commands, for completion, for help and for /help. */
export const slashCommands: SlashCommand[] = [
	{name: '/pause', help: 'pause after this run'},
	{name: '/resume', help: 'resume'},
	{name: '/stop', help: 'stop this run now (recorded as crash, reverted)'},
	{name: '/keep', help: 'keep the last result, overruling the judge'},
	{name: '/revert', help: 'revert the last kept result, overruling the judge'},
	{name: '/budget', args: '<seconds>', help: 'time budget from the next run on'},
	{name: '/model', args: '<name>', help: 'switch the model'},
	{name: '/notes', args: '[rm N | clear]', help: 'list the steering notes, remove one, or all'},
	{name: '/help', help: 'show the keys and commands'},
];

/** Commands that match what has been typed so far (the first word; all of them for a lone `/`). */
export function completions(typed: string): SlashCommand[] {
	if (!typed.startsWith('/')) return [];
	const space = typed.indexOf(' ');
	const word = space === -1 ? typed : typed.slice(0, space);
	if (space !== -1) return slashCommands.filter(c => c.name === word);
	return slashCommands.filter(c => c.name.startsWith(word));
}

/** What Tab makes of the typed text: the unique match (or the longest common prefix), else undefined. */
export function complete(typed: string): string | undefined {
	if (!typed.startsWith('/') || typed.includes(' ')) return undefined;
	const options = completions(typed);
	if (options.length === 0) return undefined;
	if (options.length === 1) {
		const only = options[0]!;
		return `${only.name}${only.args ? ' ' : ''}`;
	}
	let prefix = options[0]!.name;
	for (const o of options) while (!o.name.startsWith(prefix)) prefix = prefix.slice(0, -1);
	return prefix.length > typed.length ? prefix : undefined;
}
