import {execFileSync} from 'node:child_process';

// A real terminal for end-to-end tests: tmux runs the app on a private
// server (its own socket), send-keys types, capture-pane reads what a person
// would see. Ink turns non-interactive when CI is set, so the app starts with
// CI unset.

export class Tmux {
	readonly socket = `nightshift-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
	private started = false;

	constructor(
		readonly width: number,
		readonly height: number,
	) {}

	private tmux(...args: string[]): string {
		return execFileSync('tmux', ['-L', this.socket, '-f', '/dev/null', ...args], {encoding: 'utf8'});
	}

	/** Starts `command` in a shell in a fresh session of the given size. */
	start(command: string, cwd: string, env: Record<string, string> = {}): void {
		const exports = Object.entries({TERM: 'xterm-256color', ...env})
			.map(([k, v]) => `export ${k}=${shellQuote(v)};`)
			.join(' ');
		this.tmux(
			'new-session',
			'-d',
			'-s',
			'main',
			'-x',
			String(this.width),
			'-y',
			String(this.height),
			'-c',
			cwd,
			`env -u CI -u GITHUB_ACTIONS -u CONTINUOUS_INTEGRATION -u BUILD_NUMBER -u RUN_ID sh -c ${shellQuote(`${exports} ${command}; s=$?; echo; echo "[exited $s]"; PS1='$ ' exec sh -i`)}`,
		);
		this.started = true;
		this.tmux('set-option', '-t', 'main', 'remain-on-exit', 'on');
		// tmux holds an Escape 500 ms to see whether a key sequence follows: Escape then a key would arrive as Alt+key.
		this.tmux('set-option', '-g', 'escape-time', '0');
	}

	/** The screen as text, one string per row. */
	capture(): string {
		return this.tmux('capture-pane', '-p', '-t', 'main');
	}

	/**
	 * Keys as tmux names them ('Tab', 'Enter', 'C-s') or literal text with
	 * `literal`. Waits a little after each, as a person would: keys sent in
	 * one burst reach the app as one chunk of input.
	 */
	send(keys: string, literal = false): void {
		this.tmux('send-keys', '-t', 'main', ...(literal ? ['-l', keys] : [keys]));
		execFileSync('sleep', ['0.1']);
	}

	resize(width: number, height: number): void {
		this.tmux('resize-window', '-t', 'main', '-x', String(width), '-y', String(height));
	}

	/** Waits until the screen matches, or throws with what it shows. */
	async waitFor(pattern: RegExp | ((screen: string) => boolean), ms = 60_000): Promise<string> {
		const until = Date.now() + ms;
		let screen = '';
		while (Date.now() < until) {
			screen = this.capture();
			if (typeof pattern === 'function' ? pattern(screen) : pattern.test(screen)) return screen;
			await new Promise(r => setTimeout(r, 200));
		}
		throw new Error(`timed out waiting for ${String(pattern)}; the screen shows:\n${screen}`);
	}

	kill(): void {
		if (!this.started) return;
		try {
			this.tmux('kill-server');
		} catch {
			// Already gone.
		}
		this.started = false;
	}
}

export function shellQuote(s: string): string {
	return `'${s.replace(/'/g, `'\\''`)}'`;
}
