import Conf from 'conf';

// User settings that outlive a session (the model, the host, generation
// options, how to be told things). Flags override them for one invocation;
// program.md's `model` overrides them for one arena.

export type UserSettings = {
	proposer: 'auto' | 'search' | 'ollama';
	model: string;
	host: string;
	/** A host off this machine is used only when this is set explicitly. */
	allowRemote: boolean;
	numCtx: number;
	numPredict: number;
	keepAlive: string;
	temperature: number;
	seed: number;
	/** The Python interpreter; empty means: find one that imports torch. */
	python: string;
	/** Ring the terminal bell (tmux turns it into a window alert) on a new best, at the end, and when the loop needs the human. */
	bell: boolean;
	/** A shell command run on the same occasions, with the event as JSON on its standard input; empty means none. */
	notify: string;
};

export const defaultSettings: UserSettings = {
	proposer: 'auto',
	model: 'qwen2.5-coder:14b',
	host: '',
	allowRemote: false,
	numCtx: 32768,
	numPredict: 4096,
	keepAlive: '',
	temperature: 0.7,
	seed: 0,
	python: '',
	bell: true,
	notify: '',
};

/** What `nightshift config list` says of each setting. */
export const settingHelp: Record<keyof UserSettings, string> = {
	proposer: 'auto (Ollama, else the built-in search), ollama, or search',
	model: 'the Ollama model',
	host: 'the Ollama host (default OLLAMA_HOST or 127.0.0.1:11434)',
	allowRemote: 'allow an Ollama host that is not on this machine',
	numCtx: "the model's context window, in tokens",
	numPredict: 'the most tokens one answer may have',
	keepAlive: 'how long Ollama keeps the model loaded (default: longer than a run)',
	temperature: 'sampling temperature',
	seed: 'base seed (the experiment number is added)',
	python: 'the interpreter for `python ...` run commands (default: one that imports torch)',
	bell: 'ring the terminal bell on a new best, at the end, and when the loop needs you',
	notify: 'a shell command run on the same occasions, the event as JSON on its standard input',
};

/** The settings file: conf's location, or NIGHTSHIFT_CONFIG_DIR (tests, shared machines). */
export function openSettings(): Conf<UserSettings> {
	const dir = process.env.NIGHTSHIFT_CONFIG_DIR;
	return new Conf<UserSettings>({
		projectName: 'nightshift',
		defaults: defaultSettings,
		...(dir ? {cwd: dir} : {}),
	});
}

export function loadSettings(): UserSettings {
	try {
		return {...defaultSettings, ...openSettings().store};
	} catch {
		// An unreadable settings file must not keep the loop from starting.
		return {...defaultSettings};
	}
}
