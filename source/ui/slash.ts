import type {LoopControl} from '../core/intents.js';
import type {SteeringNote} from '../core/types.js';
import {slashCommands} from './keys.js';

export type SlashAnswer = {message?: string; level?: 'info' | 'warn' | 'error'; help?: boolean};

/** Runs a `/command` typed in the agent pane against the loop. */
export function runSlash(text: string, control: LoopControl, notes: readonly SteeringNote[]): SlashAnswer {
	const [name = '', ...args] = text.trim().split(/\s+/);
	const arg = args.join(' ');
	switch (name) {
		case '/pause':
			control.pause();
			return {};
		case '/resume':
			control.resume();
			return {};
		case '/stop':
			control.stopRun();
			return {};
		case '/keep':
			control.overrule('keep');
			return {};
		case '/revert':
			control.overrule('revert');
			return {};
		case '/budget': {
			const seconds = Number(arg);
			if (!arg || !Number.isFinite(seconds) || seconds <= 0) return {message: 'usage: /budget <seconds>, e.g. /budget 300', level: 'warn'};
			control.setBudget(seconds);
			return {};
		}
		case '/model':
			if (!arg) return {message: 'usage: /model <name>, e.g. /model qwen2.5-coder:14b', level: 'warn'};
			control.setModel(arg);
			return {};
		case '/notes': {
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
			return {message: notes.length === 0 ? 'no steering notes (plain text you type becomes one)' : notes.map(n => `[${n.id}] ${n.text}`).join('\n')};
		}
		case '/help':
			return {help: true};
		default: {
			const close = slashCommands.filter(c => c.name.startsWith(name.slice(0, 3)));
			return {message: `unknown command ${name}${close.length ? `; did you mean ${close.map(c => c.name).join(', ')}?` : ''}`, level: 'warn'};
		}
	}
}
