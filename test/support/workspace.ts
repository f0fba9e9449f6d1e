import {execFileSync} from 'node:child_process';
import {cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';

export const repoRootDir = path.resolve(import.meta.dirname, '..', '..');

export type TempArena = {dir: string; cleanup: () => void};

export function git(dir: string, ...args: string[]): string {
	return execFileSync('git', args, {cwd: dir, encoding: 'utf8'}).trim();
}

/** A fresh git repository holding the given files, committed; removed by cleanup(). */
export function makeArena(files: Record<string, string>): TempArena {
	const dir = mkdtempSync(path.join(tmpdir(), 'nightshift-test-'));
	for (const [file, content] of Object.entries(files)) {
		mkdirSync(path.dirname(path.join(dir, file)), {recursive: true});
		writeFileSync(path.join(dir, file), content);
	}
	git(dir, 'init', '-q', '-b', 'main');
	git(dir, 'config', 'user.name', 'test');
	git(dir, 'config', 'user.email', 'test@example.com');
	git(dir, 'add', '-A');
	git(dir, 'commit', '-q', '-m', 'arena');
	return {dir, cleanup: () => rmSync(dir, {recursive: true, force: true})};
}

/** The bundled arena (program.md and train/), copied into a fresh repository. */
export function copyBundledArena(programOverrides: Record<string, string | number> = {}): TempArena {
	let program = readText(path.join(repoRootDir, 'program.md'));
	for (const [key, value] of Object.entries(programOverrides)) {
		const line = new RegExp(`^#?\\s*${key}:.*$`, 'm');
		program = line.test(program) ? program.replace(line, `${key}: ${value}`) : program.replace(/^---\n/, `---\n${key}: ${value}\n`);
	}
	const arena = makeArena({'program.md': program, '.gitignore': '__pycache__/\n'});
	cpSync(path.join(repoRootDir, 'train'), path.join(arena.dir, 'train'), {
		recursive: true,
		filter: source => !source.includes('__pycache__'),
	});
	git(arena.dir, 'add', '-A');
	git(arena.dir, 'commit', '-q', '-m', 'bundled arena');
	return arena;
}

function readText(file: string): string {
	return execFileSync('cat', [file], {encoding: 'utf8'});
}

/** True while a process with this pid exists and is not a zombie waiting to be reaped. */
export function alive(pid: number): boolean {
	try {
		process.kill(pid, 0);
	} catch {
		return false;
	}
	try {
		const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
		return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
	} catch {
		return false;
	}
}

/** Waits (a bounded time) for processes that were sent SIGKILL to be gone. */
export async function gone(pids: number[], ms = 3000): Promise<boolean> {
	const until = Date.now() + ms;
	while (pids.some(alive) && Date.now() < until) await new Promise(r => setTimeout(r, 50));
	return !pids.some(alive);
}

/** Debian's torch is seen by /usr/bin/python3 only; NIGHTSHIFT_PYTHON overrides. */
export const torchPython = process.env.NIGHTSHIFT_PYTHON ?? '/usr/bin/python3';
