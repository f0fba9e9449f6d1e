import {describe, expect, it} from 'vitest';
import {sanitize} from '../../source/core/sanitize.js';

describe('sanitize', () => {
	it.each([
		['plain text stays', 'step 00012 | loss: 3.1', 'step 00012 | loss: 3.1'],
		['unicode stays', 'ｗｉｄｅ 日本語 ✓ 🚀', 'ｗｉｄｅ 日本語 ✓ 🚀'],
		['SGR colours go', '\u001b[31mred\u001b[0m and \u001b[1;38;5;200mbold\u001b[m', 'red and bold'],
		['cursor moves go', 'a\u001b[2J\u001b[H\u001b[10;20Hb\u001b[?25l\u001b[?1049h', 'ab'],
		['OSC 52 clipboard write (BEL) goes', 'x\u001b]52;c;ZXZpbA==\u0007y', 'xy'],
		['OSC 52 (ST) goes', 'x\u001b]52;c;ZXZpbA==\u001b\\y', 'xy'],
		['title change goes', '\u001b]0;pwned\u0007title', 'title'],
		['OSC 8 hyperlink keeps its text', '\u001b]8;;http://evil.example\u001b\\click\u001b]8;;\u001b\\', 'click'],
		['DCS string goes', 'a\u001bPq#0;2;0;0;0\u001b\\b', 'ab'],
		['APC and PM go', 'a\u001b_secret\u001b\\b\u001b^pm\u001b\\c', 'abc'],
		['8-bit CSI goes', 'a\u009b31mb', 'ab'],
		['8-bit OSC to 8-bit ST goes', 'a\u009d0;t\u009cb', 'ab'],
		['two-byte escapes go', 'a\u001b7b\u001b8c\u001bcd\u001b(Be', 'abcde'],
		['lone ESC at the end goes', 'abc\u001b', 'abc'],
		['unterminated OSC swallows the rest', 'ok\u001b]52;c;AAAA', 'ok'],
		['BEL, backspace and NUL go', 'a\u0007b\bc\u0000d', 'abcd'],
		['tabs become spaces, line breaks a space', 'a\tb\r\nc', 'a    b  c'],
		['DEL and C1 controls go', 'a\u007fb\u0085c', 'abc'],
	])('%s', (_name, input, expected) => {
		expect(sanitize(input)).toBe(expected);
	});

	it('never lets an ESC or a control character through', () => {
		let random = 1;
		const next = () => (random = (random * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
		for (let k = 0; k < 2000; k++) {
			let s = '';
			for (let i = 0; i < 30; i++) s += String.fromCharCode(next() < 0.5 ? Math.floor(next() * 0xa0) : 0x20 + Math.floor(next() * 0x5f));
			expect(sanitize(s)).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
		}
	});
});
