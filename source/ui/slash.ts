import type {LoopControl} from '../core/intents.js';
import type {SteeringNote} from '../core/types.js';

// The agent input's /commands: each one's name, arguments, help line and
// action in one row of one table, which completion, the hints under the
// input, `?`, /help and the docs (npm run docs:keys) all read.
//
// One table rather than a file per command (gemini-cli's shape): every
// action here is one or two calls on LoopControl, so a file each would be
// mostly imports, and nine rows side by side read like the help they make.
// A command that grows (/notes) gets a named function below the table; one
// that outgrows this file can move to its own and keep its row.

export type SlashAnswer = {message?: string; level?: 'info' | 'warn' | 'error'; help?: boolean};

export type SlashContext = {
	control: LoopControl;
	notes: readonly SteeringNote[];
	/** The words after the command's name. */
	args: readonly string[];
};

export type SlashCommand = {
	name: `/${string}`;
	/** As shown in help and hints (`<seconds>`); a command with arguments completes with a space after it. */
	args?: string;
	help: string;
	/** Acts on the loop; what it returns is shown in the Agent pane (nothing: done, silently). */
	run: (context: SlashContext) => SlashAnswer | void;
};

export const slashCommands: readonly SlashCommand[] = [
	{name: '/pause', help: 'pause after this run', run: ({control}) => control.pause()},
	{name: '/resume', help: 'resume', run: ({control}) => control.resume()},
	{
		name: '/stop',
		args: '[worker]',
		help: 'stop the run now, on every worker or on one (recorded as a crash: stopped by hand)',
		run: ({control, args}) => control.stopRun(args[0]),
	},
	{
		name: '/keep',
		help: 'keep the last finished result, overruling the judge (it says which one first)',
		run: ({control}) => control.overrule('keep'),
	},
	{
		name: '/revert',
		help: 'revert the last finished result if it was kept, overruling the judge (it says which one first)',
		run: ({control}) => control.overrule('revert'),
	},
	{name: '/budget', args: '<seconds>', help: 'time budget from the next run on', run: setBudget},
	{name: '/model', args: '<name>', help: 'switch the model (the server is asked first)', run: setModel},
	{name: '/ask', args: '<question>', help: 'ask the agent; answered, not kept as a note (so is a line ending in ?)', run: ask},
	{name: '/memory', help: 'what the proposer remembers of this session (its digest), in full', run: ({control}) => control.showMemory()},
	{name: '/notes', args: '[rm N | clear]', help: 'list the steering notes, remove one, or all', run: manageNotes},
	{name: '/help', help: 'show the keys and commands', run: () => ({help: true})},
];

function setBudget({control, args}: SlashContext): SlashAnswer | void {
	const arg = args.join(' ');
	const seconds = Number(arg);
	if (!arg || !Number.isFinite(seconds) || seconds <= 0) return {message: 'usage: /budget <seconds>, e.g. /budget 300', level: 'warn'};
	control.setBudget(seconds);
}

function setModel({control, args}: SlashContext): SlashAnswer | void {
	const name = args.join(' ');
	if (!name) return {message: 'usage: /model <name>, e.g. /model qwen2.5-coder:14b', level: 'warn'};
	control.setModel(name);
	return {message: `/model ${name}: asking the server whether it has it…`};
}

function ask({control, args}: SlashContext): SlashAnswer | void {
	const question = args.join(' ');
	if (!question) return {message: 'usage: /ask <question>, e.g. /ask what worked so far?', level: 'warn'};
	control.ask(question);
}

function manageNotes({control, notes, args}: SlashContext): SlashAnswer {
	if (args[0] === 'clear') {
		control.removeNote();
		return {message: 'all steering notes removed'};
	}
	if (args[0] === 'rm') {
		const id = Number(args[1]);
		if (!notes.some(n => n.id === id)) return {message: `no note ${args[1] ?? ''}; /notes lists them`, level: 'warn'};
		control.removeNote(id);
		return {message: `note ${id} removed`};
	}
	control.showNotes();
	return {
		message: notes.length === 0 ? 'no steering notes (plain text you type becomes one)' : notes.map(n => `[${n.id}] ${n.text}`).join('\n'),
	};
}

/** The command as help shows it: its name and its arguments. */
export function usage(command: SlashCommand): string {
	return `${command.name}${command.args ? ` ${command.args}` : ''}`;
}

/** Runs a `/command` typed in the agent pane against the loop. */
export function runSlash(text: string, control: LoopControl, notes: readonly SteeringNote[]): SlashAnswer {
	const [name = '', ...args] = text.trim().split(/\s+/);
	const command = slashCommands.find(c => c.name === name);
	if (command) return command.run({control, notes, args}) ?? {};
	const close = closest(name);
	const hint = close.length > 0 ? `did you mean ${close.join(' or ')}?` : `the commands: ${slashCommands.map(c => c.name).join(' ')}`;
	return {message: `unknown command ${name}; ${hint}`, level: 'warn'};
}

/** The commands nearest to a mistyped name (by edits; a typo of a letter or two), nearest first. */
export function closest(name: string): string[] {
	const scored = slashCommands.map(c => ({name: c.name, d: c.name.startsWith(name) && name.length > 1 ? 0 : distance(name, c.name)}));
	const best = Math.min(...scored.map(s => s.d));
	const limit = Math.max(1, Math.floor((name.length - 1) / 2));
	return best <= limit ? scored.filter(s => s.d === best).map(s => s.name) : [];
}

/** Levenshtein distance: insertions, deletions and substitutions. */
function distance(a: string, b: string): number {
	let row = Array.from({length: b.length + 1}, (_, i) => i);
	for (let i = 1; i <= a.length; i++) {
		const next = [i];
		for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
		row = next;
	}
	return row[b.length]!;
}

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
	let prefix = options[0]!.name as string;
	for (const o of options) while (!o.name.startsWith(prefix)) prefix = prefix.slice(0, -1);
	return prefix.length > typed.length ? prefix : undefined;
}
