import type {Key} from 'ink';

// One table: each key, the command it runs, where, and the help line. The
// handlers and the `?` overlay both read it, so help cannot drift.

export type Pane = 'goal' | 'log' | 'chart' | 'agent' | 'experiments';
export const panes: Pane[] = ['goal', 'log', 'chart', 'agent', 'experiments'];

/** Where a binding applies: everywhere (not while typing), one pane, or while editing text. */
export type Scope = 'global' | 'typing' | Pane;

export type Command =
	| 'help'
	| 'quit'
	| 'interrupt'
	| 'focusNext'
	| 'focusPrevious'
	| 'scrollDown'
	| 'scrollUp'
	| 'pageDown'
	| 'pageUp'
	| 'top'
	| 'bottom'
	| 'toggleChart'
	| 'edit'
	| 'externalEditor'
	| 'save'
	| 'leave'
	| 'chat';

export type Binding = {
	command: Command;
	/** As shown in help. */
	keys: string;
	help: string;
	scope: Scope;
	match: (input: string, key: Key) => boolean;
};

const plain = (c: string) => (input: string, key: Key) => input === c && !key.ctrl && !key.meta;

export const bindings: Binding[] = [
	{command: 'help', keys: '?', help: 'show or hide this help', scope: 'global', match: plain('?')},
	{command: 'quit', keys: 'q', help: 'quit (asks what to do with a run in progress)', scope: 'global', match: plain('q')},
	{command: 'interrupt', keys: 'Ctrl+C twice', help: 'quit now; a run in progress is recorded as crash', scope: 'global', match: (i, k) => k.ctrl && i === 'c'},
	{command: 'focusNext', keys: 'Tab', help: 'next pane', scope: 'global', match: (_i, k) => k.tab && !k.shift},
	{command: 'focusPrevious', keys: 'Shift+Tab', help: 'previous pane', scope: 'global', match: (_i, k) => k.tab && k.shift},
	{command: 'scrollDown', keys: 'j / ↓', help: 'scroll down', scope: 'global', match: (i, k) => plain('j')(i, k) || k.downArrow},
	{command: 'scrollUp', keys: 'k / ↑', help: 'scroll up', scope: 'global', match: (i, k) => plain('k')(i, k) || k.upArrow},
	{command: 'pageDown', keys: 'PgDn', help: 'page down', scope: 'global', match: (_i, k) => k.pageDown},
	{command: 'pageUp', keys: 'PgUp', help: 'page up', scope: 'global', match: (_i, k) => k.pageUp},
	{command: 'top', keys: 'g', help: 'jump to the start', scope: 'global', match: plain('g')},
	{command: 'bottom', keys: 'G', help: 'jump to the end (and follow the log again)', scope: 'global', match: plain('G')},
	{command: 'toggleChart', keys: 'm', help: 'loss of this run / the metric across experiments', scope: 'global', match: plain('m')},
	{command: 'chat', keys: '/ or :', help: 'type to the agent or a command (also: Enter in the Agent pane)', scope: 'global', match: (i, k) => (i === '/' || i === ':') && !k.ctrl},
	{command: 'edit', keys: 'Enter / i', help: 'edit the goal (program.md) in place', scope: 'goal', match: (i, k) => k.return || plain('i')(i, k)},
	{command: 'externalEditor', keys: 'e', help: 'open program.md in $EDITOR', scope: 'goal', match: plain('e')},
	{command: 'chat', keys: 'Enter', help: 'type a message or a /command', scope: 'agent', match: (_i, k) => k.return},
	{command: 'save', keys: 'Ctrl+S', help: 'save program.md (atomically); the next proposal reads it', scope: 'typing', match: (i, k) => k.ctrl && i === 's'},
	{command: 'leave', keys: 'Esc', help: 'stop typing', scope: 'typing', match: (_i, k) => k.escape},
];

/** The command a key runs in this pane, or undefined. Pane bindings win over global ones. */
export function commandFor(input: string, key: Key, pane: Pane, typing: boolean): Command | undefined {
	const scopes: Scope[] = typing ? ['typing'] : [pane, 'global'];
	for (const scope of scopes) {
		const found = bindings.find(b => b.scope === scope && b.match(input, key));
		if (found) return found.command;
	}
	// Ctrl+C and Tab work while typing too: Tab leaves the field for the next pane.
	if (typing) {
		const always = bindings.find(b => (b.command === 'interrupt' || b.command === 'focusNext' || b.command === 'focusPrevious') && b.match(input, key));
		return always?.command;
	}
	return undefined;
}

export type SlashCommand = {name: string; args?: string; help: string};

/** The agent pane's commands, for completion and for help. */
export const slashCommands: SlashCommand[] = [
	{name: '/pause', help: 'pause after this run'},
	{name: '/resume', help: 'resume'},
	{name: '/stop', help: 'stop this run now (recorded as crash, reverted)'},
	{name: '/keep', help: 'keep the last result, overruling the judge'},
	{name: '/revert', help: 'revert the last kept result, overruling the judge'},
	{name: '/budget', args: '<seconds>', help: 'time budget from the next run on'},
	{name: '/model', args: '<name>', help: 'switch the Ollama model'},
	{name: '/notes', args: '[rm N | clear]', help: 'list or remove steering notes'},
	{name: '/help', help: 'show the keys and commands'},
];

/** Commands that complete what has been typed so far. */
export function completions(typed: string): SlashCommand[] {
	if (!typed.startsWith('/')) return [];
	const word = typed.split(' ')[0]!;
	return slashCommands.filter(c => c.name.startsWith(word) && (typed.includes(' ') ? c.name === word : true));
}
