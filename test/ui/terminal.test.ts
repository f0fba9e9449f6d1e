import {spawn, spawnSync} from 'node:child_process';
import {skipOutsideCi} from '../support/ci.js';
import {existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import stringWidth from 'string-width';
import {afterAll, describe, expect, it} from 'vitest';
import {Tmux} from '../support/tmux.js';
import {repoRootDir} from '../support/workspace.js';

// The screen in real terminals: a pty from util-linux `script`, and tmux for
// what a person sees. The app is bench/tui-driver.mjs (runTui from dist/ with
// a fake loop streaming a training log), so these need `npm run build` first
// (`npm test` builds). Checked: the terminal comes back on every way out
// (q, SIGTERM, SIGHUP, a crash), React's production build is the one loaded,
// and a resize re-lays out with no rows left over.

const driver = path.join(repoRootDir, 'bench', 'tui-driver.mjs');
const built = existsSync(path.join(repoRootDir, 'dist', 'ui', 'run-tui.js'));
const hasScript = spawnSync('script', ['--version']).status === 0;
const hasTmux = spawnSync('tmux', ['-V']).status === 0;
const work = mkdtempSync(path.join(tmpdir(), 'nightshift-terminal-test-'));
afterAll(() => rmSync(work, {recursive: true, force: true}));

const env: NodeJS.ProcessEnv = {...process.env, TERM: 'xterm-256color'};
for (const k of ['CI', 'GITHUB_ACTIONS', 'CONTINUOUS_INTEGRATION', 'BUILD_NUMBER', 'RUN_ID', 'NO_COLOR', 'NODE_ENV']) delete env[k];
const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

type Report = {pid: number; streamed?: boolean; exited?: boolean; react?: string; quit?: string};
const readReport = (file: string): Report | undefined => {
	try {
		return JSON.parse(readFileSync(file, 'utf8')) as Report;
	} catch {
		return undefined;
	}
};

/** Runs the driver in a pty, then `stty -a` in the same pty; `act` gets the driver's report once it streams. */
async function inPty(name: string, args: string[], act: (report: Report, send: (text: string) => void) => Promise<void> | void) {
	const report = path.join(work, `${name}.json`);
	const command = `stty cols 100 rows 30; ${quote(process.execPath)} ${quote(driver)} --report ${quote(report)} ${args.join(' ')}; echo "[driver exit $?]"; stty -a`;
	const child = spawn('script', ['-qfec', command, '/dev/null'], {env, stdio: ['pipe', 'pipe', 'pipe']});
	let output = '';
	child.stdout.on('data', (d: Buffer) => (output += d.toString('utf8')));
	const exited = new Promise<number | null>(resolve => child.on('exit', resolve));
	const until = Date.now() + 30_000;
	let acted = false;
	while (Date.now() < until && child.exitCode === null) {
		const r = readReport(report);
		if (!acted && r?.react) {
			acted = true;
			await act(r, text => child.stdin.write(text));
		}
		await sleep(50);
	}
	if (child.exitCode === null) child.kill('SIGKILL');
	await exited;
	const driverOutput = output.slice(0, output.indexOf('[driver exit'));
	return {
		output,
		driverOutput,
		code: Number(/\[driver exit (\d+)\]/.exec(output)?.[1]),
		report: readReport(report),
		stty: output.slice(output.indexOf('[driver exit')),
	};
}

/** After the last frame: main screen back, cursor shown, bracketed paste off; and the tty in cooked mode again. */
function expectRestored(result: Awaited<ReturnType<typeof inPty>>): void {
	const out = result.driverOutput;
	const lastFrame = out.lastIndexOf('\u001b[?2026l');
	expect(lastFrame).toBeGreaterThan(0);
	const after = out.slice(lastFrame);
	expect(after).toContain('\u001b[?1049l');
	expect(after).toContain('\u001b[?25h');
	expect(after).toContain('\u001b[?2004l');
	expect(result.stty).toMatch(/(^|\s)icanon(\s|$)/m);
	expect(result.stty).toMatch(/(^|\s)echo(\s|$)/m);
}

describe.skipIf(skipOutsideCi(!built ? 'build first' : !hasScript ? 'no script(1)' : undefined) !== undefined)(
	'the screen in a pty',
	() => {
		it('loads React’s production build, draws, and gives the terminal back on q', async () => {
			const result = await inPty('quit', ['--rate', '200', '--seconds', '1'], async (_r, send) => {
				await sleep(1500);
				send('q');
			});
			expect(result.report?.react).toBe('production');
			expect(result.report?.exited).toBe(true);
			expect(result.report?.quit).toBe('finish');
			expect(result.code).toBe(0);
			expect(result.driverOutput).toContain('Training #2 bbbbbbb');
			expectRestored(result);
		}, 40_000);

		it.each(['SIGTERM', 'SIGHUP', 'SIGINT'] as const)(
			'gives the terminal back on %s and stops the loop',
			async signal => {
				const result = await inPty(signal, ['--rate', '200', '--seconds', '20', '--running'], async r => {
					await sleep(800);
					process.kill(r.pid, signal);
				});
				expect(result.code).toBe(0);
				// A person's Ctrl+C stops the run now; SIGTERM and SIGHUP (a shutdown, the SSH session gone) leave it to run again on restart.
				expect(result.report?.quit).toBe(signal === 'SIGINT' ? 'now' : 'interrupt');
				expect(result.report?.streamed).not.toBe(true);
				expectRestored(result);
			},
			40_000,
		);

		it('gives the terminal back on a crash, prints it, and exits 1', async () => {
			const result = await inPty('crash', ['--rate', '200', '--seconds', '20', '--crash-after', '1500'], () => undefined);
			expect(result.code).toBe(1);
			expect(result.report?.quit).toBe('now');
			expect(result.driverOutput).toContain('a deliberate crash');
			expect(result.driverOutput.indexOf('\u001b[?1049l')).toBeLessThan(result.driverOutput.indexOf('a deliberate crash'));
			expectRestored(result);
		}, 40_000);
	},
);

describe.skipIf(skipOutsideCi(!built ? 'build first' : !hasTmux ? 'no tmux' : undefined) !== undefined)('the screen in tmux', () => {
	it('re-lays out on resize with no rows left over, and leaves nothing behind on quit', async () => {
		const tmux = new Tmux(120, 40);
		try {
			tmux.start(
				`${quote(process.execPath)} ${quote(driver)} --rate 50 --seconds 60 --report ${quote(path.join(work, 'tmux.json'))}`,
				repoRootDir,
				{},
			);
			let screen = await tmux.waitFor(/Training #2 bbbbbbb/, 20_000);
			const check = (s: string, width: number, height: number) => {
				const rows = s.replace(/\n$/, '').split('\n');
				expect(rows).toHaveLength(height);
				for (const row of rows) expect(stringWidth(row), row).toBeLessThanOrEqual(width);
				const bordered = rows.filter(l => /^[│║┌╔└╚]/.test(l));
				expect(bordered.length).toBeGreaterThan(height / 2);
				for (const row of bordered) {
					expect(stringWidth(row), row).toBe(width);
					expect(row, row).toMatch(/[│║┐╗┘╝]$/);
				}
				// The status line is the last row: nothing was drawn below the frame or left from a bigger one.
				expect(rows.at(-1)).toMatch(/running #2/);
			};
			check(screen, 120, 40);
			for (const [w, h] of [
				[80, 24],
				[170, 45],
				[100, 30],
			] as const) {
				tmux.resize(w, h);
				await sleep(700);
				screen = tmux.capture();
				check(screen, w, h);
			}
			tmux.send('q');
			screen = await tmux.waitFor(/\[exited 0\]/, 20_000);
			expect(screen).not.toMatch(/[│║┌╔]/);
		} finally {
			tmux.kill();
		}
	}, 60_000);
});
