import Conf from 'conf';

// User settings that outlive a session (the model, the host, generation
// options). Flags override them for one invocation; program.md's `model`
// overrides them for one arena.

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
