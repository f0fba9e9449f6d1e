// Text from logs, files and the model is untrusted: before it reaches a
// terminal, every escape and control sequence goes. Cursor moves, colours,
// OSC 52 clipboard writes, title changes and hyperlinks alike.

// Anything that may need work: C0, DEL, C1, and the bidirectional overrides
// and isolates (they reorder what a terminal shows: "Trojan Source").
// eslint-disable-next-line no-control-regex
const suspicious = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

/**
 * Removes every escape/control sequence: CSI (`ESC [` ... final byte), OSC
 * (`ESC ]` ... BEL or ST), DCS/SOS/PM/APC strings (... ST), two-byte escapes,
 * their 8-bit C1 forms, the other C0/C1 controls, and the bidi overrides.
 * Tabs become spaces; a lone `\r` or `\n` becomes a space (one line in, one
 * line out). Printable unicode (wide, emoji, combining marks) stays.
 */
export function sanitize(text: string): string {
	if (!suspicious.test(text)) return text;
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
		} else if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069)) {
			// Dropped: BEL, backspace, other C0 and C1 controls, bidi overrides.
		} else {
			out += text[i];
		}
		i++;
	}
	return out;
}

/** Multi-line untrusted text (model output, a diff, a commit message): each line sanitized, the line breaks kept. */
export function sanitizeBlock(text: string): string {
	return text
		.replace(/\r\n?/g, '\n')
		.split('\n')
		.map(part => sanitize(part))
		.join('\n');
}

/** One line fit for a TSV cell or a commit subject: sanitized, white space collapsed. */
export function oneLine(text: string): string {
	return sanitize(text).replace(/\s+/g, ' ').trim();
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
			// Two-byte escape (ESC 7, ESC c, ESC ( B ...): intermediates, then one final byte in 0..~.
			// Anything else after ESC is text again: only the ESC (and intermediates) go.
			j = i + 1;
			while (j < n && text.charCodeAt(j) >= 0x20 && text.charCodeAt(j) <= 0x2f) j++;
			const final = text.charCodeAt(j);
			return j < n && final >= 0x30 && final <= 0x7e ? j + 1 : j;
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
