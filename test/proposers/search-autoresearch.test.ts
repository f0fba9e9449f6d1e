import {readFileSync} from 'node:fs';
import {describe, expect, it} from 'vitest';
import {findSection, type Value} from '../../source/proposers/hyperparams.js';
import {parseMoves} from '../../source/proposers/search.js';
import {driveFile} from './search-support.js';

// The search on a checkout laid out like autoresearch's: train.py in banner
// sections, the hyperparameters in one of them and machine facts (a peak
// FLOPs figure, a seed) in the setup section below; prepare.py with its
// fixed time budget. Thirty experiments must move nothing outside the
// section, and the depth first by one layer.

const fixture = (name: string) => readFileSync(new URL(`../fixtures/autoresearch/${name}`, import.meta.url), 'utf8');
const train = fixture('train.py');
const prepare = fixture('prepare.py');

/** A made-up landscape: best near depth 10, a higher matrix rate, beta1 0.85, SSLL windows; out of memory past 128 rows. */
function objective(k: Map<string, Value>): number | null {
	const n = (name: string) => Number(k.get(name));
	if (n('ROWS_PER_DEVICE') > 128) return null;
	return (
		1 +
		0.01 * (n('DEPTH') - 10) ** 2 +
		0.3 * Math.log(n('MATRIX_LR') / 0.06) ** 2 +
		(n('ADAM_BETAS[0]') - 0.85) ** 2 +
		0.01 * Math.log2(n('TOKENS_PER_STEP') / 2 ** 18) ** 2 +
		(k.get('WINDOW_PATTERN') === 'SSLL' ? -0.02 : 0)
	);
}

describe('the search on an autoresearch layout', () => {
	it('reads the banner section and nothing else', () => {
		const {how, ranges} = findSection(train);
		expect(how).toBe('banner');
		const lines = train.split('\n');
		const body = ranges.flatMap(([start, end]) => lines.slice(start, end)).join('\n');
		expect(body).toMatch(/^DEPTH = 8/m);
		expect(body).not.toMatch(/PEAK_FLOPS|SEED|NORM_EPS/);
	});

	it('over 30 experiments moves only the section, DEPTH first by one, and improves', async () => {
		const files = {'prepare.py': prepare, 'train.py': train};
		// prepare.py listed first and editable: a file that declares its section still wins over one read whole.
		const driven = await driveFile('train.py', files, objective, 31, {device: 'cuda', editable: ['prepare.py', 'train.py']});
		const {ranges} = findSection(train);
		const inside = (i: number) => ranges.some(([start, end]) => i >= start && i < end);
		const original = train.split('\n');
		for (const content of driven.contents) {
			const lines = content.split('\n');
			expect(lines).toHaveLength(original.length);
			const changed = lines.flatMap((line, i) => (line === original[i] ? [] : [i]));
			expect(changed.length).toBeGreaterThan(0);
			for (const i of changed) expect(inside(i), `line ${i + 1} changed: ${lines[i]}`).toBe(true);
		}
		const descriptions = driven.results.slice(1).map(r => r.description);
		expect(descriptions).toHaveLength(30);
		for (const description of descriptions) expect(description).not.toMatch(/PEAK_FLOPS|SEED|NORM_EPS|LOG_EVERY|TIME_BUDGET|ATTN_KIND/);
		const firstDepth = driven.results.flatMap(r => parseMoves(r.description)).find(m => m.name === 'DEPTH')!;
		expect(Math.abs(Number(firstDepth.to) - Number(firstDepth.from))).toBe(1);
		// Each kind had its turn, written in the file's own style.
		expect(descriptions.some(d => /^TOKENS_PER_STEP 2\*\*19 -> 2\*\*(18|20)$/.test(d))).toBe(true);
		expect(descriptions.some(d => /^ADAM_BETAS\[[01]\] /.test(d))).toBe(true);
		expect(descriptions.some(d => /^WINDOW_PATTERN "SSSL" -> "(SSLL|LLLL|L)"$/.test(d))).toBe(true);
		expect(driven.best).toBeLessThan(driven.results[0]!.metric!);
	});
});
