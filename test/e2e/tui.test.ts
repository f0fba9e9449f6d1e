import {mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
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

/** results.tsv's rows (header left out) as [commit, metric, memory, status, description]; none before it exists. */
function results(dir: string): string[][] {
	let text: string;
	try {
		text = readFileSync(path.join(dir, 'runs', 'results.tsv'), 'utf8');
	} catch {
		return [];
	}
	return text
		.trim()
		.split('\n')
		.slice(1)
		.map(r => r.split('\t'));
}

/** The newest experiment with a verdict, from its run folder's summary.json (re-runs and runs in progress are not). */
function lastDecided(dir: string): number {
	let last = 0;
	for (const folder of readdirSync(path.join(dir, 'runs')).filter(f => /^\d{4}-/.test(f))) {
		try {
			const summary = JSON.parse(readFileSync(path.join(dir, 'runs', folder, 'summary.json'), 'utf8')) as {n: number; status: string};
			if (['keep', 'discard', 'crash'].includes(summary.status)) last = Math.max(last, summary.n);
		} catch {
			// Being written, or not yet.
		}
	}
	return last;
}

const titles = ['Goal · program.md', 'Training', 'Loss', 'Experiments', 'Agent'];
const focused = (screen: string) => /[╔#][═=] [▸>] (\w+)/.exec(screen)?.[1];

/** Tab until `title` has focus (the order follows the layout). */
async function focus(t: Tmux, title: string): Promise<void> {
	for (let i = 0; i < 5 && focused(t.capture()) !== title; i++) {
		t.send('Tab');
		await new Promise(r => setTimeout(r, 150));
	}
	await t.waitFor(s => focused(s) === title, 5000);
}

/** Types a /command in the Agent input and sends it. */
function command(t: Tmux, text: string): void {
	t.send('/', true);
	t.send(text.slice(1), true);
	t.send('Enter');
	t.send('Escape');
}

describe('the screen in tmux', () => {
	it('120x40: panes, live training, chart, chat, goal editing, resize, quit', async () => {
		const {tmux, dir} = start(120, 40);
		await tmux.waitFor(s => titles.every(t => s.includes(t)));
		await tmux.waitFor(/step \d{5} \(/);
		let screen = await tmux.waitFor(/\d\.\d{3} [┼┤]/);
		expect(screen).toContain('evil after end');
		expectIntactBorders(screen, 120);

		// Chat: Tab to the Agent pane, type, Enter.
		await focus(tmux, 'Agent');
		await tmux.waitFor(/▸ Agent/);
		tmux.send('Enter');
		tmux.send('hello from the e2e test', true);
		tmux.send('Enter');
		await tmux.waitFor(/you: hello from the e2e test/);

		// Goal: Esc, Tab to the Goal pane, edit at the end, save.
		tmux.send('Escape');
		await focus(tmux, 'Goal');
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
		await tmux.waitFor(
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
		const rows = readFileSync(path.join(dir, 'runs', 'results.tsv'), 'utf8')
			.trim()
			.split('\n');
		expect(rows.length).toBeGreaterThanOrEqual(2);
		expect(rows.slice(1).every(r => /\t(keep|discard|crash)\t/.test(r))).toBe(true);
	});

	it('80x24: all panes fit, the log line cannot break them, Ctrl+C twice quits at once', async () => {
		const {tmux, dir} = start(80, 24, 30);
		const screen = await tmux.waitFor(s => titles.every(t => s.includes(t.split(' ')[0]!)) && /step \d{5}/.test(s));
		expectIntactBorders(screen, 80);
		expect(screen).not.toContain('pwned');
		tmux.send('C-c');
		await tmux.waitFor(/Ctrl\+C again/);
		tmux.send('C-c');
		await tmux.waitFor(/\[exited 130\]/, 30_000);
		const rows = readFileSync(path.join(dir, 'runs', 'results.tsv'), 'utf8')
			.trim()
			.split('\n');
		expect(rows.at(-1)).toMatch(/\tcrash\t/);
	});

	it('the morning after: the counts, an experiment opened with its diff, scrolling from both ends, a burst of keys', async () => {
		const {tmux, dir} = start(120, 40);
		// A few experiments, then a pause, so that what the screen says and results.tsv can be compared.
		await tmux.waitFor(() => results(dir).length >= 3, 150_000);
		command(tmux, '/pause');
		await tmux.waitFor(/^paused/m, 120_000);
		const rows = results(dir);
		const count = (status: string) => rows.filter(r => r[3] === status).length;

		// The morning view: since the start (nobody looked yet), the counts of results.tsv.
		tmux.send('s');
		let screen = await tmux.waitFor(/The night so far/);
		expect(screen).toContain('Since the start');
		const decided = rows.filter(r => r[3] !== 'rerun').length;
		expect(screen).toContain(
			`${decided} experiment${decided === 1 ? '' : 's'} run · ${count('keep')} kept · ${count('discard')} discarded`,
		);
		tmux.send('Escape');
		await tmux.waitFor(s => !s.includes('The night so far'));
		await tmux.waitFor(() => /"seen"/.test(readFileSync(path.join(dir, 'runs', 'overrides.json'), 'utf8')), 10_000);

		// Enter on a row: that experiment's diff (the second row: j from the newest).
		await focus(tmux, 'Experiments');
		const shown = [...tmux.capture().matchAll(/║\s*(\d+) (?:keep|discard|crash|stopped|re-run|[●·✗■↻])/g)].map(m => Number(m[1]));
		tmux.send('j');
		tmux.send('Enter');
		screen = await tmux.waitFor(s => /#\d+ · its diff and log/.test(s) && !s.includes('reading…'));
		const n = Number(/#(\d+) · its diff and log/.exec(screen)![1]);
		expect(n).toBe(shown[1]);
		const folder = readdirSync(path.join(dir, 'runs')).find(f => f.startsWith(`${String(n).padStart(4, '0')}-`))!;
		const changed = readFileSync(path.join(dir, 'runs', folder, 'diff.patch'), 'utf8')
			.split('\n')
			.find(l => /^\+[A-Z_]+ = /.test(l));
		if (changed) expect(screen).toContain(changed.slice(0, 40));
		else expect(screen).toContain('baseline');
		tmux.send('Escape');

		// The Agent pane: back from the top and from the bottom at once, and three keys in one write are three lines.
		await focus(tmux, 'Agent');
		tmux.send('g');
		screen = await tmux.waitFor(/↑ \d+ · G newest/);
		const top = Number(/↑ (\d+) · G newest/.exec(screen)![1]);
		tmux.send('j');
		await tmux.waitFor(new RegExp(`↑ ${top - 1} · G newest`));
		tmux.send('jjj', true);
		await tmux.waitFor(new RegExp(`↑ ${top - 4} · G newest`));
		tmux.send('G');
		await tmux.waitFor(s => !/↑ \d+ · G newest/.test(s));
		tmux.send('k');
		await tmux.waitFor(/↑ 1 · G newest/);
		tmux.send('C-c');
		tmux.send('C-c');
		await tmux.waitFor(/\[exited 130\]/, 30_000);
	}, 300_000);

	it('/revert during a run acts on the last finished result, and the best marker stays on the best', async () => {
		const {tmux, dir} = start(120, 40, 4);
		// A run in progress after at least two results.
		await tmux.waitFor(s => results(dir).length >= 2 && /running #\d+ \d+:\d\d left/.test(s), 150_000);
		const last = lastDecided(dir);
		command(tmux, '/revert');
		await tmux.waitFor(new RegExp(`/revert: acting on the last finished experiment, #${last} `));
		// Whatever it did (reverted a keep, or said it was not kept), one ★, on the best kept result.
		await tmux.waitFor(s => /overruled by hand|was not kept|baseline stays|not the branch head/.test(s));
		await new Promise(r => setTimeout(r, 1000));
		const screen = tmux.capture();
		const stars = screen.split('\n').filter(l => l.includes('★'));
		expect(stars).toHaveLength(1);
		const best = /│\s*(\d+) (?:\S+ )?(keep!?|●)\s+★\s+(\d+\.\d+)/.exec(stars[0]!);
		expect(best, stars[0]).not.toBeNull();
		const kept = results(dir).filter(r => r[3] === 'keep');
		const lowest = Math.min(...kept.map(r => Number(r[1])));
		expect(Number(best![3])).toBeCloseTo(lowest, 3);
		tmux.send('C-c');
		tmux.send('C-c');
		await tmux.waitFor(/\[exited 130\]/, 30_000);
	}, 300_000);

	it('asks before quitting with unsaved goal edits, and saves them when told to', async () => {
		const {tmux, dir} = start(120, 40, 20);
		await tmux.waitFor(/step \d{5}/);
		await focus(tmux, 'Goal');
		tmux.send('Enter');
		for (let i = 0; i < 8; i++) tmux.send('PageDown');
		tmux.send('End');
		tmux.send('Enter');
		tmux.send('Unsaved words.', true);
		tmux.send('Escape');
		await tmux.waitFor(/modified/);
		tmux.send('q');
		await tmux.waitFor(/program\.md has edits that are not saved/);
		tmux.send('Escape');
		await tmux.waitFor(s => !s.includes('program.md has edits that are not saved'));
		tmux.send('q');
		await tmux.waitFor(/program\.md has edits that are not saved/);
		tmux.send('s');
		// Saved; then the run in progress is the next question.
		await tmux.waitFor(/let it finish and be recorded/);
		expect(readFileSync(path.join(dir, 'program.md'), 'utf8')).toMatch(/^---\n[\s\S]*Unsaved words\.\n?$/);
		// s: stop the run now; an interrupted run is exit status 130.
		tmux.send('s');
		await tmux.waitFor(/\[exited 130\]/, 60_000);
	}, 180_000);
});
