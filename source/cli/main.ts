import {createRequire} from 'node:module';
import {parseCommandLine, usage, UsageError, type CommandLine} from './args.js';
import {configure} from './config.js';
import {exitCodes, fail} from './io.js';

// The commands, once the Node version is known to be one we run on (the
// entry, cli.ts, checks it before importing this): read the command line,
// then hand over to the command. Each command resolves with its exit status.

async function dispatch(line: CommandLine): Promise<number> {
	switch (line.command) {
		case 'help':
			process.stdout.write(usage + '\n');
			return exitCodes.finished;
		case 'version': {
			const pkg = createRequire(import.meta.url)('../../package.json') as {version: string};
			process.stdout.write(`${pkg.version}\n`);
			return exitCodes.finished;
		}
		case 'config':
			configure(line.args);
			return exitCodes.finished;
		case 'report': {
			const {report} = await import('./report.js');
			return report(line);
		}
		case 'run': {
			const {run} = await import('./run.js');
			return run(line);
		}
	}
}

export async function main(argv: readonly string[]): Promise<void> {
	let line: CommandLine;
	try {
		line = parseCommandLine(argv);
	} catch (error) {
		if (error instanceof UsageError) fail(error.message);
		throw error;
	}
	let code: number;
	try {
		code = await dispatch(line);
	} catch (error) {
		process.stderr.write(`nightshift: ${(error as Error)?.stack ?? String(error)}\n`);
		code = exitCodes.error;
	}
	process.exit(code);
}
