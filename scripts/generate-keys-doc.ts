import {readFileSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {fileURLToPath, pathToFileURL} from 'node:url';
import {bindingsByScope} from '../source/ui/keys.js';
import {slashCommands, usage} from '../source/ui/slash.js';

// The key and /command tables in docs/TUI.md, written from the tables the
// screen runs on (keys.ts, slash.ts), between marker comments; the prose
// around them is left alone. `npm run docs:keys` rewrites them, `--check`
// only says whether they are stale, and test/ui/docs.test.ts fails when they
// are, so a binding cannot change without its documentation.

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const docPath = path.join(root, 'docs', 'TUI.md');

/** A table cell: pipes escaped, so help text cannot break the table. */
const cell = (text: string): string => text.replace(/\|/g, '\\|');

/** `j  ↓` -> `` `j` or `↓` ``: two spaces part alternatives, one space is a sequence (`Ctrl+C Ctrl+C`). */
const keyCell = (keys: string): string =>
	keys
		.split(/\s{2,}/)
		.map(k => `\`${cell(k)}\``)
		.join(' or ');

export function keysMarkdown(): string {
	const parts: string[] = [];
	for (const group of bindingsByScope()) {
		parts.push(`**${group.title}**`, '', '| Keys | What it does |', '| --- | --- |');
		for (const b of group.bindings) parts.push(`| ${keyCell(b.keys)} | ${cell(b.help)} |`);
		parts.push('');
	}
	return parts.join('\n').trimEnd();
}

export function commandsMarkdown(): string {
	const rows = slashCommands.map(c => `| \`${cell(usage(c))}\` | ${cell(c.help)} |`);
	return ['| Command | What it does |', '| --- | --- |', ...rows].join('\n');
}

const sections: Record<string, () => string> = {keys: keysMarkdown, commands: commandsMarkdown};

/** `doc` with each generated section rewritten between its `<!-- name:start -->` and `<!-- name:end -->` markers. */
export function withGeneratedSections(doc: string): string {
	let out = doc;
	for (const [name, render] of Object.entries(sections)) {
		const start = `<!-- ${name}:start -->`;
		const end = `<!-- ${name}:end -->`;
		const from = out.indexOf(start);
		const to = out.indexOf(end);
		if (from === -1 || to < from) throw new Error(`docs/TUI.md lacks the ${start} ... ${end} markers`);
		const note = `<!-- generated from source/ui/${name === 'keys' ? 'keys.ts' : 'slash.ts'} by npm run docs:keys: edit the table there -->`;
		out = `${out.slice(0, from + start.length)}\n${note}\n\n${render()}\n\n${out.slice(to)}`;
	}
	return out;
}

function main(argv: string[]): void {
	const doc = readFileSync(docPath, 'utf8');
	const next = withGeneratedSections(doc);
	if (next === doc) return console.log('docs/TUI.md: the key and command tables are up to date');
	if (argv.includes('--check')) {
		console.error('docs/TUI.md is stale: run npm run docs:keys');
		process.exitCode = 1;
		return;
	}
	writeFileSync(docPath, next);
	console.log('docs/TUI.md: the key and command tables rewritten');
}

if (process.argv[1] && pathToFileURL(path.resolve(process.argv[1])).href === import.meta.url) main(process.argv.slice(2));
