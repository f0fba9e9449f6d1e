import {parseArgs} from 'node:util';
import {splitCommand} from '../core/command.js';

// The command line, read and checked before anything runs: every flag's
// value is validated here with a message that names the flag and what it
// takes, so a typo costs a line on stderr and exit 2, never a started
// session. node:util's parseArgs reads the words (no dependency needed);
// this file adds what it lacks: negative-looking values for flags that take
// one (`--budget -5` is a value, then refused for what it says), and
// messages in the user's terms instead of Node's.

/** A command line that cannot run: the message says why; exit 2, nothing started. */
export class UsageError extends Error {
	override name = 'UsageError';
}

export const usage = `nightshift: autonomous ML research all night, in your terminal.

Usage: nightshift [run] [options]
       nightshift report [--workspace DIR] [--runs DIR] [--json] [--out FILE] [--python PATH]
       nightshift config [list | get KEY | set KEY VALUE | unset KEY]

  A proposer edits the arena's training script, the script trains for a fixed
  time budget, the change is kept (git commit) only if the metric improves.

Options:
  --workspace DIR        the arena: program.md (and train files) live here (default: .)
  --runs DIR             results, run folders and the session worktree (default: DIR/runs)
  --tag TAG              session name; its branch is autoresearch/TAG (default: today, e.g. nov26)
  --max-experiments N    stop once results.tsv holds N experiments (the baseline counts; re-runs do not)
  --budget SECONDS       training time budget per experiment, above 0 (overrides program.md)
  --proposer NAME        auto (Ollama, else the built-in search), ollama, or search
  --model NAME           Ollama model (default from settings: qwen2.5-coder:14b)
  --host URL             Ollama host (default OLLAMA_HOST or 127.0.0.1:11434)
  --allow-remote         allow an Ollama host that is not on this machine
  --python PATH          Python interpreter for \`python ...\` commands (default: one that imports torch)
  --workers N            experiments side by side, N from 1 (default 1; --gpus sets one per GPU)
  --gpus LIST            GPUs to use, one worker each: nvidia-smi's indices, e.g. 0,1,2
  --queue-depth N        proposals prepared ahead, N from 1 (default 2, at least one per worker)
  --executor NAME        local (default) or slurm: where each experiment runs (slurm: one job a run, --workers jobs at once)
  --slurm-partition P    the Slurm partition (with --executor slurm)
  --slurm-gres G         the Slurm generic resources of one run (default gpu:1)
  --slurm-args "..."     more srun arguments, split like a shell would
  --sandbox MODE         auto (bubblewrap where it runs, else unconfined with a warning), bwrap (required), or off
  --headless             plain lines instead of the screen (also when stdout is not a terminal)
  --json                 JSON lines instead of plain lines (implies --headless)
  --no-bell              no terminal bell (default: it rings on a new best, at the end, and when needed)
  --init                 make the workspace a git repository if it is not one
  -h, --help             this text
  -v, --version          the version

Report options:
  --json                 the report's data as JSON instead of Markdown
  --out FILE             write the Markdown to FILE (the chart beside it) instead of standard output

Settings (nightshift config): proposer, model, host, allowRemote, numCtx,
numPredict, keepAlive, temperature, seed, python, bell, notify. Flags win
over settings; program.md's \`model:\` wins over the model setting.
\`nightshift config set notify "CMD"\` runs CMD (through sh) on a new best, at
the end and when the loop needs you, with the event as JSON on its stdin.

In headless mode, Ctrl+C once finishes the current run and records it; twice
stops it now (recorded as crash); SIGTERM and SIGHUP stop it unrecorded (it
runs again on restart). A restart resumes the session from runs/.
Exit status: 0 finished (or quit after finishing), 130 interrupted (Ctrl+C
twice, SIGTERM, SIGHUP), 1 an error, 2 a command line that cannot run.
Under npm, \`npm start -s -- --json\`: without -s npm prints its banner on stdout.`;

export type Proposer = 'auto' | 'search' | 'ollama';
export type ExecutorName = 'local' | 'slurm';
export type SandboxMode = 'auto' | 'bwrap' | 'off';

export type RunOptions = {
	command: 'run';
	workspace: string;
	runs?: string;
	tag?: string;
	maxExperiments?: number;
	budgetSeconds?: number;
	proposer?: Proposer;
	model?: string;
	host?: string;
	allowRemote: boolean;
	python?: string;
	headless: boolean;
	json: boolean;
	init: boolean;
	/** false with --no-bell; undefined leaves it to the `bell` setting. */
	bell?: boolean;
	/** LoopOptions.workers. */
	workers?: number;
	/** LoopOptions.gpus. */
	gpus?: number[];
	/** LoopOptions.queueDepth. */
	queueDepth?: number;
	/** Where runs run: locally (sandboxed unless --sandbox off), or one Slurm job each (run.ts builds the executor). */
	executor?: ExecutorName;
	/** The Slurm executor's options (`--slurm-partition`, `--slurm-gres`, `--slurm-args`). */
	slurm: {partition?: string; gres: string; args: string[]};
	/** LoopOptions.sandbox: the bubblewrap sandbox for local runs. */
	sandbox?: SandboxMode;
};

export type ReportOptions = {
	command: 'report';
	/** Where program.md is; unset: the session's own workspace (session.json), else the current folder. */
	workspace?: string;
	runs?: string;
	json: boolean;
	out?: string;
	python?: string;
};

export type ConfigOptions = {command: 'config'; args: string[]};

export type CommandLine = {command: 'help'} | {command: 'version'} | RunOptions | ReportOptions | ConfigOptions;

const options = {
	workspace: {type: 'string'},
	runs: {type: 'string'},
	tag: {type: 'string'},
	'max-experiments': {type: 'string'},
	budget: {type: 'string'},
	proposer: {type: 'string'},
	model: {type: 'string'},
	host: {type: 'string'},
	'allow-remote': {type: 'boolean'},
	python: {type: 'string'},
	workers: {type: 'string'},
	gpus: {type: 'string'},
	'queue-depth': {type: 'string'},
	executor: {type: 'string'},
	'slurm-partition': {type: 'string'},
	'slurm-gres': {type: 'string'},
	'slurm-args': {type: 'string'},
	sandbox: {type: 'string'},
	headless: {type: 'boolean'},
	json: {type: 'boolean'},
	'no-bell': {type: 'boolean'},
	init: {type: 'boolean'},
	out: {type: 'string'},
	help: {type: 'boolean', short: 'h'},
	version: {type: 'boolean', short: 'v'},
} as const;

type Name = keyof typeof options;
type Values = {[K in Name]?: (typeof options)[K]['type'] extends 'string' ? string : boolean};

/** The flags `nightshift report` takes; any other is refused there. */
const reportFlags: ReadonlySet<Name> = new Set<Name>(['workspace', 'runs', 'json', 'out', 'python', 'help', 'version']);

const hint = 'nightshift --help lists the options';

/** `--name` or `-x` as the user wrote it, for messages. */
function flag(name: Name): string {
	return `--${name}`;
}

/** True for a word parseArgs would read as one of our options (`--budget`, `--budget=3`, `-h`). */
function isOption(word: string): boolean {
	if (word === '-h' || word === '-v') return true;
	if (!word.startsWith('--')) return false;
	const name = word.slice(2).split('=')[0]!;
	return name in options;
}

/**
 * parseArgs refuses a value that starts with `-` ("argument is ambiguous"):
 * a string option followed by such a word that is not one of our options
 * takes it as its value (`--budget -5`, `--slurm-args --exclusive`).
 */
function joinDashValues(argv: readonly string[]): string[] {
	const out: string[] = [];
	for (let i = 0; i < argv.length; i++) {
		const word = argv[i]!;
		const next = argv[i + 1];
		const name = word.startsWith('--') && !word.includes('=') ? word.slice(2) : undefined;
		if (name && name in options && options[name as Name].type === 'string' && next?.startsWith('-') && next !== '--' && !isOption(next)) {
			out.push(`${word}=${next}`);
			i++;
		} else {
			out.push(word);
		}
	}
	return out;
}

/** parseArgs' errors, said in the user's terms. */
function explain(error: unknown): UsageError {
	const e = error as {code?: string; message?: string};
	const message = e.message ?? String(error);
	const quoted = /'(-[^']*)'/.exec(message)?.[1];
	if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return new UsageError(`unknown option ${quoted ?? ''}; ${hint}`);
	if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
		const name = /--([\w-]+)/.exec(message)?.[1];
		if (name && name in options && options[name as Name].type === 'boolean') return new UsageError(`--${name} takes no value; ${hint}`);
		return new UsageError(`${name ? `--${name}` : 'an option'} needs a value; ${hint}`);
	}
	if (e.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') return new UsageError(`unexpected argument ${quoted ?? ''}; ${hint}`);
	return new UsageError(`${message}; ${hint}`);
}

const decimal = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const whole = /^[+-]?\d+$/;

/** A number above 0 (seconds). */
function positive(values: Values, name: Name, what: string): number | undefined {
	const text = values[name] as string | undefined;
	if (text === undefined) return undefined;
	const n = Number(text.trim());
	if (!decimal.test(text.trim()) || !Number.isFinite(n) || n <= 0) {
		throw new UsageError(`${flag(name)} takes ${what} above 0, not ${JSON.stringify(text)}`);
	}
	return n;
}

/** A whole number from `min`. */
function wholeFrom(values: Values, name: Name, min: number): number | undefined {
	const text = values[name] as string | undefined;
	if (text === undefined) return undefined;
	const n = Number(text.trim());
	if (!whole.test(text.trim()) || !Number.isSafeInteger(n) || n < min) {
		throw new UsageError(`${flag(name)} takes a whole number from ${min}, not ${JSON.stringify(text)}`);
	}
	return n;
}

function choice<T extends string>(values: Values, name: Name, allowed: readonly T[]): T | undefined {
	const text = values[name] as string | undefined;
	if (text === undefined) return undefined;
	if (!(allowed as readonly string[]).includes(text)) {
		const list = allowed.length === 2 ? allowed.join(' or ') : `${allowed.slice(0, -1).join(', ')} or ${allowed.at(-1)}`;
		throw new UsageError(`${flag(name)} takes ${list}, not ${JSON.stringify(text)}`);
	}
	return text as T;
}

function gpuList(text: string | undefined): number[] | undefined {
	if (text === undefined) return undefined;
	const parts = text.split(',').map(p => p.trim());
	const bad = parts.find(p => !/^\d+$/.test(p));
	if (bad !== undefined || parts.length === 0) {
		throw new UsageError(`--gpus takes GPU indices separated by commas (e.g. 0,1,2), not ${JSON.stringify(text)}`);
	}
	const gpus = parts.map(Number);
	const twice = gpus.find((g, i) => gpus.indexOf(g) !== i);
	if (twice !== undefined) throw new UsageError(`--gpus lists GPU ${twice} twice`);
	return gpus;
}

function text(values: Values, name: Name): string | undefined {
	const value = values[name] as string | undefined;
	if (value !== undefined && value.trim() === '') throw new UsageError(`${flag(name)} needs a value; ${hint}`);
	return value;
}

/** Reads the command line; throws UsageError for anything that cannot run. */
export function parseCommandLine(argv: readonly string[]): CommandLine {
	// `config set seed -1`: the words after `config` are its own, values included.
	if (argv[0] === 'config') return {command: 'config', args: argv.slice(1)};
	let parsed;
	try {
		parsed = parseArgs({args: joinDashValues(argv), options, allowPositionals: true, strict: true});
	} catch (error) {
		throw explain(error);
	}
	const values: Values = parsed.values;
	if (values.help) return {command: 'help'};
	if (values.version) return {command: 'version'};
	const [command = 'run', ...rest] = parsed.positionals;
	if (command === 'config') return {command: 'config', args: rest};
	if ((command !== 'run' && command !== 'report') || rest.length > 0) {
		throw new UsageError(`unknown command: ${parsed.positionals.join(' ')}; the commands are run (the default), report and config`);
	}
	const given = Object.keys(values) as Name[];
	if (command === 'report') {
		const foreign = given.find(name => !reportFlags.has(name));
		if (foreign)
			throw new UsageError(
				`${flag(foreign)} is not an option of nightshift report; it takes --workspace, --runs, --json, --out and --python`,
			);
		return {
			command: 'report',
			...optional('workspace', text(values, 'workspace')),
			...optional('runs', text(values, 'runs')),
			json: values.json === true,
			...(values.out === undefined ? {} : {out: text(values, 'out')!}),
			...(values.python === undefined ? {} : {python: text(values, 'python')!}),
		};
	}
	if (values.out !== undefined) throw new UsageError('--out is an option of nightshift report');
	return runOptions(values);
}

function runOptions(values: Values): RunOptions {
	const workers = wholeFrom(values, 'workers', 1);
	const gpus = gpuList(values.gpus);
	if (workers !== undefined && gpus !== undefined && workers !== gpus.length) {
		throw new UsageError(`--workers ${workers} and --gpus ${values.gpus} disagree: one worker runs per GPU listed; leave out --workers`);
	}
	const executor = choice(values, 'executor', ['local', 'slurm'] as const);
	const slurmFlags = (['slurm-partition', 'slurm-gres', 'slurm-args'] as const).filter(name => values[name] !== undefined);
	if (slurmFlags.length > 0 && executor !== 'slurm') throw new UsageError(`${flag(slurmFlags[0]!)} applies only with --executor slurm`);
	let slurmArgs: string[] = [];
	if (values['slurm-args'] !== undefined) {
		try {
			slurmArgs = splitCommand(values['slurm-args']);
		} catch (error) {
			throw new UsageError(`--slurm-args: ${(error as Error).message}`);
		}
	}
	const partition = text(values, 'slurm-partition');
	return {
		command: 'run',
		workspace: text(values, 'workspace') ?? '.',
		...(values.runs === undefined ? {} : {runs: text(values, 'runs')!}),
		...(values.tag === undefined ? {} : {tag: text(values, 'tag')!}),
		...optional('maxExperiments', wholeFrom(values, 'max-experiments', 1)),
		...optional('budgetSeconds', positive(values, 'budget', 'a number of seconds')),
		...optional('proposer', choice(values, 'proposer', ['auto', 'ollama', 'search'] as const)),
		...optional('model', text(values, 'model')),
		...optional('host', text(values, 'host')),
		allowRemote: values['allow-remote'] === true,
		...optional('python', text(values, 'python')),
		headless: values.headless === true || values.json === true,
		json: values.json === true,
		init: values.init === true,
		...(values['no-bell'] ? {bell: false} : {}),
		...optional('workers', workers),
		...optional('gpus', gpus),
		...optional('queueDepth', wholeFrom(values, 'queue-depth', 1)),
		...optional('executor', executor),
		slurm: {...optional('partition', partition), gres: text(values, 'slurm-gres') ?? 'gpu:1', args: slurmArgs},
		...optional('sandbox', choice(values, 'sandbox', ['auto', 'bwrap', 'off'] as const)),
	};
}

/** `{key: value}` when the value is there, `{}` otherwise (the options objects hold no undefined). */
function optional<K extends string, V>(key: K, value: V | undefined): {[P in K]?: V} {
	return (value === undefined ? {} : {[key]: value}) as {[P in K]?: V};
}
