// The run command and the editor are written as one line in program.md or
// $EDITOR, and run without a shell: these words are what a POSIX shell would
// pass as argv, and nothing else (no globs, no variables, no pipes).

/** Splits a command line the way a POSIX shell splits words (quotes, backslashes); nothing else. */
export function splitCommand(command: string): string[] {
	const words: string[] = [];
	let word = '';
	let inWord = false;
	let quote: '"' | "'" | undefined;
	for (let i = 0; i < command.length; i++) {
		const c = command[i]!;
		if (quote === "'") {
			if (c === "'") quote = undefined;
			else word += c;
		} else if (quote === '"') {
			if (c === '"') quote = undefined;
			else if (c === '\\' && i + 1 < command.length && '"\\$`'.includes(command[i + 1]!)) word += command[++i];
			else word += c;
		} else if (c === "'" || c === '"') {
			quote = c;
			inWord = true;
		} else if (c === '\\' && i + 1 < command.length) {
			word += command[++i];
			inWord = true;
		} else if (/\s/.test(c)) {
			if (inWord) words.push(word);
			word = '';
			inWord = false;
		} else {
			word += c;
			inWord = true;
		}
	}
	if (quote) throw new Error(`unterminated ${quote} quote in command: ${command}`);
	if (inWord) words.push(word);
	return words;
}
