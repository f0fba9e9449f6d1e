import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import stringWidth from 'string-width';
import {afterEach, describe, expect, it} from 'vitest';
import {cliPath} from '../support/cli.js';
import {Tmux} from '../support/tmux.js';
import {copyBundledArena, git, torchPython, type TempArena} from '../support/workspace.js';

// The screen in a real terminal: tmux runs the app on the real bundled arena
// with the built-in proposer; send-keys types; capture-pane reads what a
// person would see. CI is unset for the app, or Ink would render nothing live.

let tmux: Tmux | undefined;
let arena: TempArena | undefined;
let cache: string | undefined;
afterEach(async () => {
	tmux?.kill();
	tmux = undefined;
	// The app ends its run when the terminal goes; give it a moment before the files go.
	await new Promise(r => setTimeout(r, 300));
	arena?.cleanup();
	arena = undefined;
	if (cache) rmSync(cache, {recursive: true, force: true});
	cache = undefined;
});

const evilLine = 'print("evil\\x1b]52;c;ZXZpbA==\\x07 \\x1b[2J\\x1b[5;5Hafter \\x1b]0;pwned\\x07end", flush=True)';

function start(width: number, height: number, budget = 3): {tmux: Tmux; dir: string} {
	arena = copyBundledArena({budget, baseline_runs: 1});
	const train = path.join(arena.dir, 'train', 'train.py');
	// A log line carrying an OSC 52 clipboard write, a screen clear, a cursor move and a title change.
	writeFileSync(train, readFileSync(train, 'utf8').replace('# --- hyperparameters ---', `${evilLine}\n# --- hyperparameters ---`));
	git(arena.dir, 'commit', '-qam', 'an evil log line');
	cache = mkdtempSync(path.join(tmpdir(), 'nightshift-cache-'));
	tmux = new Tmux(width, height);
	tmux.start(`${process.execPath} ${cliPath} --proposer search`, arena.dir, {
		NIGHTSHIFT_PYTHON: torchPython,
		NIGHTSHIFT_CACHE: cache,
		NIGHTSHIFT_CONFIG_DIR: path.join(cache, 'config'),
	});
	return {tmux, dir: arena.dir};
}

/** Every row that a pane border starts also ends with one, at the terminal's width: nothing broke a border. */
function expectIntactBorders(screen: string, width: number): void {
	const rows = screen.split('\n').filter(l => /^[│║┌╔└╚]/.test(l));
	expect(rows.length).toBeGreaterThan(10);
	for (const row of rows) {
		expect(stringWidth(row), row).toBe(width);
		expect(row, row).toMatch(/[│║┐╗┘╝]$/);
	}
}

const titles = ['Goal · program.md', 'Training', 'Loss', 'Experiments', 'Agent'];

describe('the screen in tmux', () => {
	it('120x40: panes, live training, chart, chat, goal editing, resize, quit', async () => {
		const {tmux, dir} = start(120, 40);
		let screen = await tmux.waitFor(s => titles.every(t => s.includes(t)));
		screen = await tmux.waitFor(/step \d{5} \(/);
		screen = await tmux.waitFor(/\d\.\d{3} [┼┤]/);
		expect(screen).toContain('evil after end');
		expectIntactBorders(screen, 120);

		// Chat: Tab to the Agent pane, type, Enter.
		for (let i = 0; i < 2; i++) tmux.send('Tab');
		await tmux.waitFor(/▸ Agent/);
		tmux.send('Enter');
		tmux.send('hello from the e2e test', true);
		tmux.send('Enter');
		await tmux.waitFor(/you: hello from the e2e test/);

		// Goal: Esc, Tab to the Goal pane, edit at the end, save.
		tmux.send('Escape');
		for (let i = 0; i < 2; i++) tmux.send('Tab');
		await tmux.waitFor(/▸ Goal/);
		tmux.send('Enter');
		for (let i = 0; i < 8; i++) tmux.send('PageDown');
		tmux.send('End');
		tmux.send('Enter');
		tmux.send('Written in the e2e test.', true);
		await tmux.waitFor(/modified/);
		tmux.send('C-s');
		await tmux.waitFor(
			s => readFileSync(path.join(dir, 'program.md'), 'utf8').includes('Written in the e2e test.') && !s.includes('modified'),
		);
		expect(readFileSync(path.join(dir, 'program.md'), 'utf8')).toMatch(/^---\n/);
		tmux.send('Escape');

		// Resize: a clean re-layout at the new size, no ghost rows.
		tmux.resize(80, 24);
		screen = await tmux.waitFor(
			s => s.split('\n').some(l => stringWidth(l) === 80 && /^[┌╔]/.test(l)) && !s.split('\n').some(l => stringWidth(l) > 80),
		);
		await new Promise(r => setTimeout(r, 500));
		screen = tmux.capture();
		expectIntactBorders(screen, 80);
		for (const t of titles) expect(screen).toContain(t.split(' ')[0]);

		// Quit: with a run in progress it asks (let it finish and be recorded); between runs it quits at once.
		tmux.send('q');
		screen = await tmux.waitFor(/let it finish and be recorded|\[exited 0\]/);
		if (screen.includes('let it finish')) tmux.send('f');
		screen = await tmux.waitFor(/\[exited 0\]/, 90_000);
		// The terminal is back: the alternate screen is gone, and the shell answers.
		expect(screen).not.toMatch(/[│║┌╔]/);
		tmux.send('echo back-$((40+2))', true);
		tmux.send('Enter');
		await tmux.waitFor(/back-42/);
		const results = readFileSync(path.join(dir, 'runs', 'results.tsv'), 'utf8')
			.trim()
			.split('\n');
		expect(results.length).toBeGreaterThanOrEqual(2);
		expect(results.slice(1).every(r => /\t(keep|discard|crash)\t/.test(r))).toBe(true);
	});

	it('80x24: all panes fit, the log line cannot break them, Ctrl+C twice quits at once', async () => {
		const {tmux, dir} = start(80, 24, 30);
		let screen = await tmux.waitFor(s => titles.every(t => s.includes(t.split(' ')[0]!)) && /step \d{5}/.test(s));
		expectIntactBorders(screen, 80);
		expect(screen).not.toContain('pwned');
		tmux.send('C-c');
		await tmux.waitFor(/Ctrl\+C again/);
		tmux.send('C-c');
		screen = await tmux.waitFor(/\[exited 0\]/, 30_000);
		const results = readFileSync(path.join(dir, 'runs', 'results.tsv'), 'utf8')
			.trim()
			.split('\n');
		expect(results.at(-1)).toMatch(/\tcrash\t/);
	});
});
