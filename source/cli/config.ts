import {defaultSettings, openSettings, settingHelp, type UserSettings} from '../settings.js';
import {fail} from './io.js';

// `nightshift config ...`: the user settings that outlive a session, read
// and written through conf. A value is checked against the setting's type
// (and, for the proposer, its choices) before it is stored.

export function configure(args: readonly string[]): void {
	const [action = 'list', key, ...value] = args;
	const store = openSettings();
	const known = Object.keys(defaultSettings) as Array<keyof UserSettings>;
	const check = (k: string | undefined): keyof UserSettings => {
		if (!k || !known.includes(k as keyof UserSettings)) fail(`config: the settings are ${known.join(', ')}`);
		return k as keyof UserSettings;
	};
	switch (action) {
		case 'list':
			for (const k of known) process.stdout.write(`${k}=${JSON.stringify(store.get(k))}\n`);
			process.stdout.write(`# ${store.path}\n`);
			return;
		case 'get':
			process.stdout.write(`${JSON.stringify(store.get(check(key)))}\n`);
			return;
		case 'unset':
			store.delete(check(key));
			return;
		case 'set': {
			const k = check(key);
			const text = value.join(' ');
			const current = defaultSettings[k];
			let parsed: unknown = text;
			if (typeof current === 'number') {
				parsed = Number(text);
				if (text.trim() === '' || !Number.isFinite(parsed)) fail(`config: ${k} takes a number`);
			} else if (typeof current === 'boolean') {
				if (!['true', 'false'].includes(text)) fail(`config: ${k} takes true or false`);
				parsed = text === 'true';
			}
			if (k === 'proposer' && !['auto', 'search', 'ollama'].includes(text)) fail('config: proposer takes auto, ollama or search');
			// The stored type is the setting's own, checked just above.
			store.set(k, parsed as never);
			return;
		}
		case 'help':
			for (const k of known) process.stdout.write(`${k.padEnd(12)} ${settingHelp[k]}\n`);
			return;
		default:
			fail(`config: unknown action ${action}; list, get, set, unset or help`);
	}
}
