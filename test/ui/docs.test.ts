import {readFileSync} from 'node:fs';
import {describe, expect, it} from 'vitest';
import {commandsMarkdown, docPath, keysMarkdown, withGeneratedSections} from '../../scripts/generate-keys-doc.js';
import {bindings} from '../../source/ui/keys.js';
import {slashCommands, usage} from '../../source/ui/slash.js';

// docs/TUI.md's key and /command tables are generated from the tables the
// screen runs on: this fails when someone changed a binding and not the doc.

describe('docs/TUI.md', () => {
	it('has the key and command tables the code has (else: npm run docs:keys)', () => {
		const doc = readFileSync(docPath, 'utf8');
		for (const marker of ['keys:start', 'keys:end', 'commands:start', 'commands:end']) expect(doc).toContain(`<!-- ${marker} -->`);
		expect(withGeneratedSections(doc), 'docs/TUI.md is stale: run npm run docs:keys').toBe(doc);
	});

	it('lists every binding and every command, and rewrites a stale table', () => {
		const keys = keysMarkdown();
		for (const b of bindings) expect(keys).toContain(`| ${b.help} |`);
		const commands = commandsMarkdown();
		// A pipe in a table cell is escaped, even in code.
		for (const c of slashCommands) expect(commands).toContain(`| \`${usage(c).replace(/\|/g, '\\|')}\` | ${c.help} |`);
		const fresh = withGeneratedSections(readFileSync(docPath, 'utf8'));
		const stale = fresh.replace('| show this help |', '| an old help line |');
		expect(stale).not.toBe(fresh);
		expect(withGeneratedSections(stale)).toBe(fresh);
		expect(() => withGeneratedSections('# no markers\n')).toThrow(/markers/);
	});
});
