import type {Key} from 'ink';
import {describe, expect, it} from 'vitest';
import type {UiActions} from '../../source/ui/actions.js';
import {bindingFor, bindings, panes, scopeTitles, type Mode, type Pane} from '../../source/ui/keys.js';
import {helpLines} from '../../source/ui/panes/Help.js';
import {complete, completions, runSlash, slashCommands, usage} from '../../source/ui/slash.js';
import {FakeControl} from './fake-control.js';

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
const key = (k: Partial<Key> = {}): Key => ({...none, ...k});
/** The name of the binding a key runs in this mode and pane. */
const commandFor = (input: string, k: Key, mode: Mode, pane: Pane): string | undefined => bindingFor(input, k, mode, pane)?.name;

/** A UiActions that records which of its members were called, with what. */
function recorder(): {ui: UiActions; calls: Array<[string, ...unknown[]]>} {
	const calls: Array<[string, ...unknown[]]> = [];
	const ui = new Proxy({} as UiActions, {
		get:
			(_target, name) =>
			(...args: unknown[]) =>
				calls.push([String(name), ...args]),
	});
	return {ui, calls};
}

const helpText = () =>
	helpLines()
		.map(l => l.map(s => s.text).join(''))
		.join('\n');

describe('the key table', () => {
	it('gives every binding a name, keys, a scope, a help line, a matcher and an action that acts', () => {
		for (const b of bindings) {
			expect(b.name, b.keys).toMatch(/^\w+$/);
			expect(b.keys.trim(), b.name).not.toBe('');
			expect(scopeTitles[b.scope], b.name).toBeDefined();
			expect(b.help.length, b.name).toBeGreaterThan(3);
			expect(typeof b.match, b.name).toBe('function');
			const {ui, calls} = recorder();
			b.run(ui);
			expect(calls, `${b.scope} ${b.name}`).toHaveLength(1);
		}
		// A few of them, and what they run.
		const {ui, calls} = recorder();
		for (const b of bindings.filter(x => x.name === 'quitCancel' || x.name === 'interrupt' || x.name === 'historyPrevious')) b.run(ui);
		expect(calls).toEqual([['interrupt'], ['recall', 1], ['answerQuit', 'cancel']]);
	});

	it('gives every binding keys, a help line, a known scope, and a match', () => {
		for (const b of bindings) {
			expect(b.keys.length, b.name).toBeGreaterThan(0);
			expect(b.help.length, b.name).toBeGreaterThan(3);
			expect(scopeTitles[b.scope], b.name).toBeDefined();
		}
		// No key means two things in one scope.
		const probes: Array<[string, Key]> = [
			...'abcdefghijklmnopqrstuvwxyzG?/: '.split('').map(c => [c, key()] as [string, Key]),
			...'acdeksuw'.split('').map(c => [c, key({ctrl: true})] as [string, Key]),
			...(
				[
					'upArrow',
					'downArrow',
					'leftArrow',
					'rightArrow',
					'pageUp',
					'pageDown',
					'home',
					'end',
					'return',
					'escape',
					'tab',
					'backspace',
					'delete',
				] as const
			).map(k => ['', key({[k]: true})] as [string, Key]),
			['', key({tab: true, shift: true})],
		];
		for (const scope of Object.keys(scopeTitles)) {
			for (const [input, k] of probes) {
				const hits = bindings.filter(b => b.scope === scope && b.match(input, k));
				expect(
					hits.length,
					`${scope} ${JSON.stringify(input)} ${JSON.stringify(Object.entries(k).filter(([, v]) => v))}`,
				).toBeLessThanOrEqual(1);
			}
		}
	});

	it('lets text fields take printable keys: q, j, ? and / type letters there', () => {
		for (const mode of ['editor', 'input'] as Mode[]) {
			for (const c of ['q', 'j', 'k', '?', '/', 'g', 'G', 'm', 'e', 'i', ' ', 'b'])
				expect(commandFor(c, key(), mode, 'log'), `${mode} ${c}`).toBeUndefined();
		}
		expect(commandFor('q', key(), 'normal', 'log')).toBe('quit');
		expect(commandFor('?', key(), 'normal', 'log')).toBe('help');
		expect(commandFor('j', key(), 'normal', 'log')).toBe('scrollDown');
	});

	it('resolves by mode and pane: Ctrl+C everywhere, Enter by pane, Tab by field', () => {
		for (const mode of ['normal', 'editor', 'input', 'help', 'quit'] as Mode[])
			expect(commandFor('c', key({ctrl: true}), mode, 'goal')).toBe('interrupt');
		expect(commandFor('', key({return: true}), 'normal', 'goal')).toBe('edit');
		expect(commandFor('', key({return: true}), 'normal', 'agent')).toBe('type');
		expect(commandFor('', key({return: true}), 'normal', 'log')).toBeUndefined();
		expect(commandFor('', key({return: true}), 'editor', 'goal')).toBe('newline');
		expect(commandFor('', key({return: true}), 'input', 'agent')).toBe('submit');
		expect(commandFor('', key({tab: true}), 'normal', 'log')).toBe('focusNext');
		expect(commandFor('', key({tab: true}), 'editor', 'goal')).toBe('indent');
		expect(commandFor('', key({tab: true}), 'input', 'agent')).toBe('complete');
		expect(commandFor('', key({tab: true, shift: true}), 'editor', 'goal')).toBe('focusPrevious');
		expect(commandFor('', key({escape: true}), 'input', 'agent')).toBe('leave');
		expect(commandFor('', key({upArrow: true}), 'input', 'agent')).toBe('historyPrevious');
		expect(commandFor('', key({upArrow: true}), 'editor', 'goal')).toBe('cursorUp');
		expect(commandFor('e', key({ctrl: true}), 'normal', 'log')).toBe('externalEditor');
		expect(commandFor('e', key({ctrl: true}), 'editor', 'goal')).toBe('lineEnd');
		expect(commandFor('e', key(), 'normal', 'goal')).toBe('externalEditor');
		expect(commandFor('e', key(), 'normal', 'log')).toBeUndefined();
		expect(commandFor('s', key({ctrl: true}), 'editor', 'goal')).toBe('save');
		expect(commandFor('f', key(), 'quit', 'log')).toBe('quitFinish');
		expect(commandFor('q', key(), 'quit', 'log')).toBe('quitCancel');
		expect(commandFor('q', key(), 'help', 'log')).toBe('closeHelp');
		expect(commandFor('b', key({meta: true}), 'input', 'agent')).toBe('wordLeft');
		expect(commandFor('', key({backspace: true, meta: true}), 'input', 'agent')).toBe('deleteWordBack');
	});

	it('has a pane for every focus stop', () => {
		expect(panes).toEqual(['goal', 'log', 'chart', 'agent', 'experiments']);
	});
});

describe('slash commands', () => {
	it('gives every command a name, help and an action; help lists each, and each completes', () => {
		const help = helpText();
		for (const c of slashCommands) {
			expect(c.name, c.name).toMatch(/^\/[a-z]+$/);
			expect(c.help.length, c.name).toBeGreaterThan(3);
			expect(typeof c.run, c.name).toBe('function');
			expect(help).toContain(usage(c));
			expect(help).toContain(c.help);
			expect(completions(c.name), c.name).toEqual([c]);
			expect(complete(c.name), c.name).toBe(c.args ? `${c.name} ` : c.name);
			expect(runSlash(c.name, new FakeControl(), []).message ?? '', c.name).not.toContain('unknown command');
		}
		expect(new Set(slashCommands.map(c => c.name)).size).toBe(slashCommands.length);
	});

	it('completes as you type: hints for a prefix, Tab for a unique one or the common prefix', () => {
		expect(completions('/b').map(c => c.name)).toEqual(['/budget']);
		expect(completions('/').length).toBe(slashCommands.length);
		expect(completions('/re').map(c => c.name)).toEqual(['/resume', '/revert']);
		expect(completions('/budget 30').map(c => c.name)).toEqual(['/budget']);
		expect(completions('hello')).toEqual([]);
		expect(complete('/bu')).toBe('/budget ');
		expect(complete('/pa')).toBe('/pause');
		expect(complete('/re')).toBeUndefined();
		expect(complete('/r')).toBe('/re');
		expect(complete('/zz')).toBeUndefined();
		expect(complete('/budget 3')).toBeUndefined();
		expect(complete('plain')).toBeUndefined();
	});

	it('sends each command to the loop', () => {
		const control = new FakeControl();
		const notes = [{id: 3, text: 'try a bigger batch', at: ''}];
		const cases: Array<[string, Array<[string, ...unknown[]]>]> = [
			['/pause', [['pause']]],
			['/resume', [['resume']]],
			['/stop', [['stopRun']]],
			['/keep', [['overrule', 'keep']]],
			['/revert', [['overrule', 'revert']]],
			['/budget 90', [['setBudget', 90]]],
			['/model qwen3-coder:30b', [['setModel', 'qwen3-coder:30b']]],
			['/notes', [['showNotes']]],
			['/notes rm 3', [['removeNote', 3]]],
			['/notes clear', [['removeNote', undefined]]],
		];
		for (const [typed, intents] of cases) {
			control.intents = [];
			runSlash(typed, control, notes);
			expect(control.intents, typed).toEqual(intents);
		}
		control.intents = [];
		expect(runSlash('/budget', control, notes)).toMatchObject({level: 'warn'});
		expect(runSlash('/budget -3', control, notes)).toMatchObject({level: 'warn'});
		expect(runSlash('/model', control, notes)).toMatchObject({level: 'warn'});
		expect(runSlash('/notes rm 9', control, notes)).toMatchObject({level: 'warn'});
		expect(runSlash('/paws', control, notes).message).toContain('did you mean /pause');
		expect(runSlash('/help', control, notes)).toEqual({help: true});
		expect(control.intents).toEqual([]);
		expect(runSlash('/notes', control, notes).message).toContain('[3] try a bigger batch');
	});
});
