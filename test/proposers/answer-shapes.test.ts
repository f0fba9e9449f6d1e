import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {afterAll, afterEach, describe, expect, it} from 'vitest';
import {OllamaProposer} from '../../source/proposers/ollama.js';
import {ProposalError, type CheckResult, type Proposal} from '../../source/core/proposer.js';
import {dryRun} from '../../source/core/dry-run.js';
import {startStandin, type ChatBody, type OllamaStandin, type Reply} from '../support/ollama-standin.js';
import {makeRequest, rules, train} from './support.js';

// One row per shape a small model's answer takes, through the real `ollama`
// client and the stand-in server, checked by the loop's own dry run (which
// compiles with Python). Each row says whether the answer applied at once,
// after one repair, or failed, what the feedback said, and the description
// that was recorded.

const model = 'qwen2.5-coder:7b';
const file = 'train/train.py';
/** The test file, with a line that occurs twice (in lr_at and decay_at). */
const source = `${train}\ndef decay_at(step, total):\n    warm = int(total * WARMUP_RATIO)\n    return max(0.0, 1 - step / total)\n`;
const arena = mkdtempSync(path.join(tmpdir(), 'nightshift-shapes-'));
afterAll(() => rmSync(arena, {recursive: true, force: true}));

let standin: OllamaStandin | undefined;
afterEach(async () => {
	await standin?.close();
	standin = undefined;
});

const block = (search: string, replace: string, marks = ['<<<<<<< SEARCH', '=======', '>>>>>>> REPLACE']) =>
	[marks[0], search, marks[1], replace, marks[2]].join('\n');
const lrSearch = 'LEARNING_RATE = 3e-4  # peak learning rate';
const lrReplace = 'LEARNING_RATE = 6e-4  # peak learning rate';
const lrBlock = block(lrSearch, lrReplace);
const head = 'DESCRIPTION: LEARNING_RATE 3e-4 -> 6e-4\nRATIONALE: The loss still falls fast at the end.\n';
const good = `${head}\n${file}\n${lrBlock}\n`;
const warmupFix = `DESCRIPTION: WARMUP_RATIO 0.1 -> 0.05\nRATIONALE: More steps at the peak.\n\n${file}\n${block('WARMUP_RATIO = 0.1  # fraction of steps', 'WARMUP_RATIO = 0.05  # fraction of steps')}\n`;
const lrEdit = {path: file, search: lrSearch, replace: lrReplace};

type Row = {
	shape: string;
	/** The first answer, then the answers to any repairs. */
	answers: Array<string | Reply>;
	outcome: 'first' | 'repaired' | 'failed';
	/** Key words of the feedback sent back after the first answer. */
	feedback?: Array<string | RegExp>;
	/** Words the feedback must not hold. */
	notInFeedback?: string[];
	description?: string;
	edits?: Proposal['edits'];
};

const rows: Row[] = [
	{
		shape: 'a correct block inside a ```python fence',
		answers: [`${head}\n\`\`\`python\n${file}\n${lrBlock}\n\`\`\``],
		outcome: 'first',
		description: 'LEARNING_RATE 3e-4 -> 6e-4',
		edits: [lrEdit],
	},
	{
		shape: 'the file name in the fence info string',
		answers: [`${head}\n\`\`\`python ${file}\n${lrBlock}\n\`\`\``],
		outcome: 'first',
		description: 'LEARNING_RATE 3e-4 -> 6e-4',
		edits: [lrEdit],
	},
	{
		shape: '**train/train.py** above the block',
		answers: [`${head}\n**${file}**\n${lrBlock}`],
		outcome: 'first',
		description: 'LEARNING_RATE 3e-4 -> 6e-4',
		edits: [lrEdit],
	},
	{
		shape: '3-character markers',
		answers: [`${head}\n${file}\n${block(lrSearch, lrReplace, ['<<< SEARCH', '=== ', '>>> REPLACE'])}`],
		outcome: 'first',
		description: 'LEARNING_RATE 3e-4 -> 6e-4',
		edits: [lrEdit],
	},
	{
		shape: 'SEARCH: and REPLACE: labels',
		answers: [`${head}\n${file}\nSEARCH:\n\`\`\`python\n${lrSearch}\n\`\`\`\nREPLACE:\n\`\`\`python\n${lrReplace}\n\`\`\``],
		outcome: 'first',
		description: 'LEARNING_RATE 3e-4 -> 6e-4',
		edits: [lrEdit],
	},
	{
		shape: 'a unified diff (its header off by a few lines)',
		answers: [
			`${head}\n\`\`\`diff\n--- a/${file}\n+++ b/${file}\n@@ -7,3 +7,3 @@\n # --- hyperparameters ---\n-${lrSearch}\n+${lrReplace}\n WARMUP_RATIO = 0.1  # fraction of steps\n\`\`\``,
		],
		outcome: 'first',
		description: 'LEARNING_RATE 3e-4 -> 6e-4',
		edits: [
			{
				path: file,
				search: `# --- hyperparameters ---\n${lrSearch}\nWARMUP_RATIO = 0.1  # fraction of steps`,
				replace: `# --- hyperparameters ---\n${lrReplace}\nWARMUP_RATIO = 0.1  # fraction of steps`,
			},
		],
	},
	{
		shape: 'a whole file',
		answers: [`${head}\n\`\`\`python\n${source.replace(lrSearch, lrReplace)}\`\`\``],
		outcome: 'first',
		description: 'LEARNING_RATE 3e-4 -> 6e-4',
	},
	{
		shape: 'wrong indentation',
		answers: [
			`DESCRIPTION: warm up over twice the steps\n\n${file}\n${block('  warm = int(total * WARMUP_RATIO)\n  return LEARNING_RATE * min(1.0, (step + 1) / max(1, warm))', '  warm = int(2 * total * WARMUP_RATIO)\n  return LEARNING_RATE * min(1.0, (step + 1) / max(1, warm))')}`,
		],
		outcome: 'first',
		description: 'warm up over twice the steps',
		edits: [
			{
				path: file,
				search: '    warm = int(total * WARMUP_RATIO)\n    return LEARNING_RATE * min(1.0, (step + 1) / max(1, warm))',
				replace: '    warm = int(2 * total * WARMUP_RATIO)\n    return LEARNING_RATE * min(1.0, (step + 1) / max(1, warm))',
			},
		],
	},
	{
		shape: "a SEARCH without the line's comment",
		answers: [`${head}\n${file}\n${block('LEARNING_RATE = 3e-4', 'LEARNING_RATE = 6e-4')}`],
		outcome: 'first',
		description: 'LEARNING_RATE 3e-4 -> 6e-4',
		edits: [{path: file, search: 'LEARNING_RATE = 3e-4', replace: 'LEARNING_RATE = 6e-4'}],
	},
	{
		shape: 'a SEARCH that misses a line, with the closest lines in the feedback',
		answers: [`${head}\n${file}\n${block('LR = 3e-4', 'LR = 6e-4')}`, good],
		outcome: 'repaired',
		feedback: [
			'does not match train/train.py',
			'The closest lines of train/train.py (from line 3) are:\n```\nLEARNING_RATE = 3e-4  # peak learning rate\n```',
		],
		description: 'LEARNING_RATE 3e-4 -> 6e-4',
	},
	{
		shape: 'inner spacing off',
		answers: [`${head}\n${file}\n${block('LEARNING_RATE=3e-4 # peak learning rate', 'LEARNING_RATE = 6e-4  # peak learning rate')}`],
		outcome: 'first',
		description: 'LEARNING_RATE 3e-4 -> 6e-4',
		edits: [lrEdit],
	},
	{
		shape: 'CRLF line endings',
		answers: [good.replace(/\n/g, '\r\n')],
		outcome: 'first',
		description: 'LEARNING_RATE 3e-4 -> 6e-4',
		edits: [lrEdit],
	},
	{
		shape: 'a <think> preamble with a draft block',
		answers: [
			`<think>\nDESCRIPTION: DEPTH 4 -> 16\n${file}\n${block('DEPTH = 4  # layers', 'DEPTH = 16  # layers')}\nNo, too big.\n</think>\n${good}`,
		],
		outcome: 'first',
		description: 'LEARNING_RATE 3e-4 -> 6e-4',
		edits: [lrEdit],
	},
	{
		shape: 'two blocks, one bad: the good one is kept, the bad one asked again',
		answers: [
			`${head}\n${file}\n${lrBlock}\n\n${file}\n${block('WARMUP = 0.1', 'WARMUP = 0.05')}`,
			`${file}\n${block('WARMUP_RATIO = 0.1  # fraction of steps', 'WARMUP_RATIO = 0.05  # fraction of steps')}`,
		],
		outcome: 'repaired',
		feedback: [
			'Edit 1 (`LEARNING_RATE = 3e-4  # peak learning rate`) applied and is kept: do not send it again.',
			'Edit 2 (`WARMUP = 0.1`) did not apply',
			'WARMUP_RATIO = 0.1  # fraction of steps',
			'Send again only the edit that did not apply (2)',
		],
		description: 'LEARNING_RATE 3e-4 -> 6e-4',
		edits: [lrEdit, {path: file, search: 'WARMUP_RATIO = 0.1  # fraction of steps', replace: 'WARMUP_RATIO = 0.05  # fraction of steps'}],
	},
	{
		shape: 'a SEARCH that matches several places',
		answers: [
			`DESCRIPTION: longer warmup\n${file}\n${block('    warm = int(total * WARMUP_RATIO)', '    warm = int(2 * total * WARMUP_RATIO)')}`,
			warmupFix,
		],
		outcome: 'repaired',
		feedback: [
			'matches 2 places in train/train.py, at lines 9, 13',
			'- line 9: `warm = int(total * WARMUP_RATIO)`',
			'Add a neighbouring line',
		],
		description: 'WARMUP_RATIO 0.1 -> 0.05',
	},
	{
		shape: 'prose only',
		answers: ['I would raise the learning rate a little, since the loss is still falling.', good],
		outcome: 'repaired',
		feedback: [
			'only prose',
			'in exactly this format',
			`${file}\n<<<<<<< SEARCH\nDEPTH = 4  # layers\n=======\nDEPTH = 8  # layers\n>>>>>>> REPLACE`,
		],
		description: 'LEARNING_RATE 3e-4 -> 6e-4',
	},
	{
		shape: 'a syntax error: the proposed code is quoted, with its line number and a caret',
		answers: [`${head}\n${file}\n${block(lrSearch, 'LEARNING_RATE = (6e-4  # peak learning rate')}`, good],
		outcome: 'repaired',
		feedback: [
			'does not compile',
			"'(' was never closed",
			'at line 3',
			'3 | LEARNING_RATE = (6e-4  # peak learning rate\n  | ^\n4 | WARMUP_RATIO',
			'none of the edits was kept',
		],
		// What Python printed from the file on disk at that line (the bundled train.py), not what was proposed.
		notInFeedback: ['The one file the agent edits'],
		description: 'LEARNING_RATE 3e-4 -> 6e-4',
	},
	{
		shape: 'an answer cut at the length limit',
		answers: [{content: good, doneReason: 'length'}, good],
		outcome: 'repaired',
		feedback: ['cut off at the length limit', 'much shorter'],
		description: 'LEARNING_RATE 3e-4 -> 6e-4',
	},
	{
		shape: 'no DESCRIPTION line',
		answers: [`${file}\n${block('WARMUP_RATIO = 0.1  # fraction of steps', 'WARMUP_RATIO = 0.05  # fraction of steps')}`],
		outcome: 'first',
		description: 'WARMUP_RATIO 0.1 -> 0.05',
	},
	{
		shape: 'a chatty lead-in before DESCRIPTION',
		answers: [`Sure! Here's my proposal for the next experiment:\n\n### Proposed Change\n\n${good}`],
		outcome: 'first',
		description: 'LEARNING_RATE 3e-4 -> 6e-4',
	},
	{
		shape: 'a chatty lead-in and no DESCRIPTION',
		answers: [`Sure! Here's my proposal:\n\n${file}\n${lrBlock}`],
		outcome: 'first',
		description: 'LEARNING_RATE 3e-4 -> 6e-4',
	},
	{
		shape: 'REPLACE equal to SEARCH',
		answers: [`${head}\n${file}\n${block(lrSearch, lrSearch)}`, good],
		outcome: 'repaired',
		feedback: ['changes nothing', 'Put the new lines in REPLACE'],
		description: 'LEARNING_RATE 3e-4 -> 6e-4',
	},
	{
		shape: "the prompt's own example copied",
		answers: [`DESCRIPTION: DEPTH 4 -> 8\n${file}\n${block('DEPTH = 4  # layers', 'DEPTH = 8  # layers')}`, good],
		outcome: 'repaired',
		feedback: ['the example from the format description'],
		description: 'LEARNING_RATE 3e-4 -> 6e-4',
	},
	{
		shape: 'an experiment tried before',
		answers: [`DESCRIPTION: DEPTH 4 -> 6\n${file}\n${block('DEPTH = 4  # layers', 'DEPTH = 6  # layers')}`, good],
		outcome: 'repaired',
		feedback: ['the same as experiment #2 (DEPTH 4 -> 6), which was already tried', 'something different'],
		description: 'LEARNING_RATE 3e-4 -> 6e-4',
	},
	{
		shape: 'wrong markers',
		answers: [`${head}\n[SEARCH]\n${lrSearch}\n[REPLACE]\n${lrReplace}`, good],
		outcome: 'repaired',
		feedback: ['markers cannot be read (`[SEARCH]`)', '<<<<<<< SEARCH, ======= and >>>>>>> REPLACE'],
		description: 'LEARNING_RATE 3e-4 -> 6e-4',
	},
	{
		shape: 'a diff that does not apply',
		answers: [`${head}\n\`\`\`diff\n@@ -3 +3 @@\n-LR = 3e-4\n+LR = 6e-4\n\`\`\``, good],
		outcome: 'repaired',
		feedback: ['Edit 1 (a hunk of your diff) (`LR = 3e-4`) did not apply', 'LEARNING_RATE = 3e-4  # peak learning rate'],
		description: 'LEARNING_RATE 3e-4 -> 6e-4',
	},
	{
		shape: 'a whole file for a file that may not change',
		answers: Array(3).fill(
			`DESCRIPTION: cache the data\ntrain/prepare.py\n\`\`\`python\nimport os\nDATA = os.environ['DATA']\n\`\`\``,
		) as string[],
		outcome: 'failed',
		feedback: ['a whole file for train/prepare.py, which may not change (only train/train.py may be edited)'],
	},
];

/** The loop's dry run with compiling, which also refuses an edit that repeats experiment #2 (DEPTH 4 -> 6). */
function check(files: Record<string, string>) {
	const real = dryRun(files, {arenaDir: arena, editable: rules.editable, python: 'python3', compile: true});
	return async (edits: Parameters<typeof real>[0]): Promise<CheckResult> => {
		const result = await real(edits);
		if (result.ok && result.files[file]!.includes('DEPTH = 6  # layers')) {
			return {ok: false, reason: 'the edits repeat experiment #2', repeats: {n: 2, description: 'DEPTH 4 -> 6', state: 'tried'}};
		}
		return result;
	};
}

const lastUser = (body: ChatBody) => body.messages.filter(m => m.role === 'user').at(-1)!.content;

describe('answer shapes', () => {
	for (const row of rows) {
		it(`${row.shape}: ${row.outcome === 'first' ? 'applied first time' : row.outcome === 'repaired' ? 'applied after one repair' : 'failed'}`, async () => {
			standin = await startStandin({models: [model]});
			standin.reply(...row.answers);
			const files = {[file]: source};
			const req = makeRequest({files, check: check(files)});
			const proposer = new OllamaProposer({host: standin.url, model, numCtx: 16384, numPredict: 2048, seed: 1});
			const result = await proposer.propose(req).catch((e: unknown) => e);
			const chats = standin.chats;
			if (row.outcome === 'failed') {
				expect(result).toBeInstanceOf(ProposalError);
				expect(chats).toHaveLength(3);
			} else {
				if (result instanceof Error) throw result;
				expect(chats).toHaveLength(row.outcome === 'first' ? 1 : 2);
				const proposal = result as Proposal;
				if (row.description !== undefined) expect(proposal.description).toBe(row.description);
				if (row.edits) expect(proposal.edits).toEqual(row.edits);
			}
			if (row.feedback || row.notInFeedback) {
				const feedback = lastUser(chats[1]!);
				for (const words of row.feedback ?? [])
					expect(feedback).toMatch(typeof words === 'string' ? new RegExp(words.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : words);
				for (const words of row.notInFeedback ?? []) expect(feedback).not.toContain(words);
				expect(feedback).not.toContain('LEARNING_RATE = 3e-4  # peak learning rate\n=======\nLEARNING_RATE = 6e-4');
				expect(chats[1]!.messages.at(-2)).toMatchObject({role: 'assistant'});
			}
			// A retry is a different request: never the same body twice.
			expect(new Set(chats.map(c => JSON.stringify(c))).size).toBe(chats.length);
			expect(new Set(chats.map(c => c.options?.['seed'])).size).toBe(chats.length);
		});
	}
});
