// Text from logs, files and the model is untrusted: before it reaches a
// terminal, every escape and control sequence goes. Cursor moves, colours,
// OSC 52 clipboard writes, title changes and hyperlinks alike.

/**
 * Removes every escape/control sequence: CSI (`ESC [` ... final byte), OSC
 * (`ESC ]` ... BEL or ST), DCS/SOS/PM/APC strings (... ST), two-byte escapes,
 * their 8-bit C1 forms, and the other C0/C1 controls. Tabs become spaces; a
 * lone `\r` or `\n` becomes a space (one line in, one line out).
 */
export function sanitize(text: string): string {
	if (!/[\u0000-\u001f\u007f-\u009f]/.test(text)) return text;
	let out = '';
	let i = 0;
	const n = text.length;
	while (i < n) {
		const c = text.charCodeAt(i);
		if (c === 0x1b || c === 0x9b || c === 0x9d || c === 0x90 || c === 0x98 || c === 0x9e || c === 0x9f) {
			i = skipSequence(text, i);
			continue;
		}
		if (c === 0x09) {
			out += '    ';
		} else if (c === 0x0a || c === 0x0d) {
			out += ' ';
		} else if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) {
			// Dropped: BEL, backspace, other C0 and C1 controls.
		} else {
			out += text[i];
		}
		i++;
	}
	return out;
}

/** Index just past the escape sequence starting at `i`. */
function skipSequence(text: string, i: number): number {
	const n = text.length;
	const c = text.charCodeAt(i);
	let kind: 'csi' | 'string' | 'osc';
	let j: number;
	if (c === 0x1b) {
		const next = text[i + 1];
		if (next === undefined) return i + 1;
		if (next === '[') {
			kind = 'csi';
		} else if (next === ']') {
			kind = 'osc';
		} else if (next === 'P' || next === 'X' || next === '^' || next === '_') {
			kind = 'string';
		} else {
			// Two-byte escape (ESC 7, ESC c, ESC ( B ...): skip intermediates and the final byte.
			j = i + 1;
			while (j < n && text.charCodeAt(j) >= 0x20 && text.charCodeAt(j) <= 0x2f) j++;
			return Math.min(n, j + 1);
		}
		j = i + 2;
	} else {
		kind = c === 0x9b ? 'csi' : c === 0x9d ? 'osc' : 'string';
		j = i + 1;
	}
	if (kind === 'csi') {
		// Parameter and intermediate bytes, then one final byte in @..~.
		while (j < n) {
			const b = text.charCodeAt(j);
			if (b >= 0x40 && b <= 0x7e) return j + 1;
			if (b < 0x20 || b > 0x7e) return j;
			j++;
		}
		return n;
	}
	// OSC and the other strings end at BEL (OSC only), ST (ESC \) or 8-bit ST; a string never
	// ended is dropped to the end, which is what a terminal would swallow too.
	while (j < n) {
		const b = text.charCodeAt(j);
		if (b === 0x07 && kind === 'osc') return j + 1;
		if (b === 0x9c) return j + 1;
		if (b === 0x1b) return text[j + 1] === '\\' ? j + 2 : j;
		j++;
	}
	return n;
}
