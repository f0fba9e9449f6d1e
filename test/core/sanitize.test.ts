import {describe, expect, it} from 'vitest';
import {sanitize} from '../../source/core/sanitize.js';

describe('sanitize', () => {
	it.each([
		// What stays
		['plain text stays', 'step 00012 | loss: 3.1', 'step 00012 | loss: 3.1'],
		[
			'unicode stays: wide, emoji, ZWJ, combining, RTL letters',
			'ｗｉｄｅ 日本語 ✓ 🚀 👩‍👩‍👧 e\u0301 עברית',
			'ｗｉｄｅ 日本語 ✓ 🚀 👩‍👩‍👧 e\u0301 עברית',
		],
		['an empty string', '', ''],
		// CSI
		['SGR colours go', '\u001b[31mred\u001b[0m and \u001b[1;38;5;200mbold\u001b[m', 'red and bold'],
		['truecolour SGR with colons goes', '\u001b[38:2::255:0:0mx\u001b[0m', 'x'],
		['cursor moves and clears go', 'a\u001b[2J\u001b[H\u001b[10;20Hb\u001b[?25l\u001b[?1049h\u001b[3A\u001b[K', 'ab'],
		['private modes and intermediates go', 'a\u001b[?2004h\u001b[>4;1m\u001b[1 qb', 'ab'],
		['a CSI cut by a newline ends there', 'a\u001b[12\nb', 'a b'],
		['a CSI cut by another ESC ends there', 'a\u001b[12\u001b[31mb', 'ab'],
		['a CSI with a non-ASCII byte ends before it', 'a\u001b[1日b', 'a日b'],
		['an unterminated CSI at the end goes', 'ok\u001b[1;2', 'ok'],
		// OSC
		['OSC 52 clipboard write (BEL) goes', 'x\u001b]52;c;ZXZpbA==\u0007y', 'xy'],
		['OSC 52 (ST) goes', 'x\u001b]52;c;ZXZpbA==\u001b\\y', 'xy'],
		['title change goes', '\u001b]0;pwned\u0007title', 'title'],
		['OSC 8 hyperlink keeps its text', '\u001b]8;;http://evil.example\u001b\\click\u001b]8;;\u001b\\', 'click'],
		['OSC 8 with parameters keeps its text', '\u001b]8;id=1;file:///etc/passwd\u0007here\u001b]8;;\u0007', 'here'],
		['OSC 4 palette change goes', 'a\u001b]4;1;rgb:ff/00/00\u0007b', 'ab'],
		['unterminated OSC swallows the rest', 'ok\u001b]52;c;AAAA', 'ok'],
		['an OSC cut by ESC ends there', 'a\u001b]0;t\u001b[31mb', 'ab'],
		// DCS, SOS, PM, APC
		['DCS string goes (sixel)', 'a\u001bPq#0;2;0;0;0\u001b\\b', 'ab'],
		['DECRQSS goes', 'a\u001bP$qm\u001b\\b', 'ab'],
		['APC and PM go', 'a\u001b_secret\u001b\\b\u001b^pm\u001b\\c', 'abc'],
		['SOS goes', 'a\u001bXsos string\u001b\\b', 'ab'],
		// 8-bit C1 forms
		['8-bit CSI goes', 'a\u009b31mb', 'ab'],
		['8-bit OSC to 8-bit ST goes', 'a\u009d0;t\u009cb', 'ab'],
		['8-bit OSC to BEL goes', 'a\u009d52;c;QQ==\u0007b', 'ab'],
		['8-bit DCS, SOS, PM, APC go', 'a\u0090x\u009cb\u0098y\u009cc\u009ez\u009cd\u009fw\u009ce', 'abcde'],
		['other C1 controls go (NEL, IND, SS2)', 'a\u0085b\u0084c\u008ed', 'abcd'],
		// Two-byte escapes and lone ESC
		['two-byte escapes go', 'a\u001b7b\u001b8c\u001bcd\u001b(Be\u001b=f\u001bMg', 'abcdefg'],
		['lone ESC at the end goes', 'abc\u001b', 'abc'],
		['ESC before a wide character leaves the character', 'a\u001b日b', 'a日b'],
		['ESC before an emoji leaves it whole', 'a\u001b🚀b', 'a🚀b'],
		['ESC ESC goes (the second starts a sequence of its own)', 'a\u001b\u001b日', 'a日'],
		// Other controls
		['BEL, backspace and NUL go', 'a\u0007b\bc\u0000d', 'abcd'],
		['backspace overstrike cannot hide text', 'safe\b\b\b\bevil', 'safeevil'],
		['tabs become spaces, line breaks a space', 'a\tb\r\nc', 'a    b  c'],
		['a lone CR cannot overwrite the line', 'visible\rHIDDEN', 'visible HIDDEN'],
		['DEL goes', 'a\u007fb', 'ab'],
		['form feed and vertical tab go', 'a\u000cb\u000bc', 'abc'],
		['bidi overrides and isolates go (Trojan Source)', 'a\u202eb\u202cc\u2066d\u2069e\u2067f\u2068g', 'abcdefg'],
	])('%s', (_name, input, expected) => {
		expect(sanitize(input)).toBe(expected);
	});

	it('never lets an ESC, a control character or a bidi override through (random input)', () => {
		let random = 1;
		const next = () => (random = (random * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
		const alphabet = [0x1b, 0x9b, 0x9d, 0x90, 0x9c, 0x07, 0x5b, 0x5d, 0x5c, 0x3b, 0x30, 0x6d, 0x202e, 0x2066, 0x65e5, 0xd83d, 0xde80];
		for (let k = 0; k < 3000; k++) {
			let s = '';
			for (let i = 0; i < 30; i++) {
				const r = next();
				s += String.fromCharCode(
					r < 0.4
						? alphabet[Math.floor(next() * alphabet.length)]!
						: r < 0.7
							? Math.floor(next() * 0xa0)
							: 0x20 + Math.floor(next() * 0x5f),
				);
			}

			expect(sanitize(s)).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
		}
	});

	it('is idempotent, and fast on clean text', () => {
		const nasty = 'x\u001b]52;c;QQ==\u0007\u001b[31my\u009b2Jz\t';
		expect(sanitize(sanitize(nasty))).toBe(sanitize(nasty));
		const clean = 'step 00012 (12.0%) | loss: 3.123456 | lrm: 1.00 | dt: 93ms';
		expect(sanitize(clean)).toBe(clean);
		const started = performance.now();
		for (let i = 0; i < 100_000; i++) sanitize(clean);
		expect(performance.now() - started).toBeLessThan(1000);
	});
});
