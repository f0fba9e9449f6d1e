import {Box, Transform} from 'ink';
import {createContext, useContext} from 'react';
import {cut, fitLine, toAscii, width as cellsOf, type Line, type Segment} from './text.js';

// Every pane is drawn as exact lines inside a border we draw ourselves: the
// title sits in the top edge, the focused pane gets a double (or, on a dumb
// terminal, `#`) border and a `▸` before its title, and nothing a pane holds
// can push a border out.
//
// How the lines reach Ink matters for a screen that runs all night: Ink
// measures every distinct text it lays out and keeps the measurement in a
// cache that never shrinks. A log that changes ten times a second would grow
// it without end. So each pane hands Ink one constant block of spaces (its
// size: measured once) and puts the real, already styled lines in through a
// <Transform>, which Ink applies only when it writes the frame.

export type Theme = {color: boolean; unicode: boolean};
export const ThemeContext = createContext<Theme>({color: true, unicode: true});
export const useTheme = (): Theme => useContext(ThemeContext);

const single = {tl: '┌', tr: '┐', bl: '└', br: '┘', h: '─', v: '│'};
const double = {tl: '╔', tr: '╗', bl: '╚', br: '╝', h: '═', v: '║'};
const asciiPlain = {tl: '+', tr: '+', bl: '+', br: '+', h: '-', v: '|'};
const asciiFocus = {tl: '#', tr: '#', bl: '#', br: '#', h: '=', v: '#'};

const sgrColor: Record<string, number> = {black: 30, red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, cyan: 36, white: 37, gray: 90};

/** A segment as terminal text: SGR codes around it (colour, bold and dim only with colour on; inverse always, it is the cursor). */
export function styled(segment: Segment, theme: Theme): string {
	const codes: number[] = [];
	if (theme.color) {
		const color = segment.color === undefined ? undefined : sgrColor[segment.color];
		if (color !== undefined) codes.push(color);
		if (segment.bold) codes.push(1);
		if (segment.dim) codes.push(2);
	}
	if (segment.inverse) codes.push(7);
	return codes.length === 0 || segment.text === '' ? segment.text : `\u001b[${codes.join(';')}m${segment.text}\u001b[0m`;
}

/** A line fitted to exactly `cells` and styled; on a plain terminal, in ASCII (nothing else reaches it). */
export function renderLine(line: Line, cells: number, theme: Theme): string {
	let out = '';
	for (const segment of fitLine(line, cells, !theme.unicode)) out += styled(segment, theme);
	return out;
}

const blocks = new Map<string, string>();
/** `height` lines of `width` spaces: what Ink measures, the same every frame. */
function block(width: number, height: number): string {
	const key = `${width}x${height}`;
	let b = blocks.get(key);
	if (b === undefined) {
		b = Array.from({length: height}, () => ' '.repeat(width)).join('\n');
		blocks.set(key, b);
	}
	return b;
}

/** Pre-styled rows (each exactly `width` cells) in a box of that size. */
export function Rows({rows, width, height}: {rows: readonly string[]; width: number; height: number}) {
	if (width <= 0 || height <= 0) return null;
	return (
		<Box width={width} height={height} flexShrink={0}>
			<Transform transform={(_line: string, index: number) => rows[index] ?? ' '.repeat(width)}>{block(width, height)}</Transform>
		</Box>
	);
}

export type FrameProps = {
	title: string;
	/** Text at the right of the top edge. */
	info?: string;
	width: number;
	height: number;
	focused: boolean;
	lines: Line[];
};

/** The frame's rows as styled strings, each exactly `width` cells. */
export function frameRows({title, info, width, height, focused, lines}: FrameProps, theme: Theme): string[] {
	if (width < 2 || height < 2) return [];
	const box = theme.unicode ? (focused ? double : single) : focused ? asciiFocus : asciiPlain;
	const inner = width - 2;
	const rows = height - 2;
	const marker = focused ? (theme.unicode ? '▸ ' : '> ') : '';
	const plain = (text: string): string => (theme.unicode ? text : toAscii(text));
	const mark = theme.unicode ? '…' : '...';
	const label = cut(plain(` ${marker}${title} `), Math.max(0, inner - 1), mark);
	const room = inner - 3 - cellsOf(label);
	const right = info && room >= 2 ? ` ${cut(plain(info), room, mark)} ` : '';
	const fill = Math.max(0, inner - 1 - cellsOf(label) - cellsOf(right));
	const edge: Segment = {text: '', ...(focused ? {color: 'cyan', bold: true} : {dim: false})};
	const border = (text: string): string => styled({...edge, text}, theme);
	const out: string[] = [];
	out.push(
		border(`${box.tl}${box.h}`) +
			styled({text: label, bold: true, ...(focused ? {color: 'cyan'} : {})}, theme) +
			border(box.h.repeat(fill)) +
			styled({text: right, dim: !focused}, theme) +
			border(box.tr),
	);
	const left = border(box.v);
	for (let i = 0; i < rows; i++) out.push(left + renderLine(lines[i] ?? [], inner, theme) + left);
	out.push(border(`${box.bl}${box.h.repeat(inner)}${box.br}`));
	return out;
}

export function Frame(props: FrameProps) {
	const theme = useTheme();
	return <Rows rows={frameRows(props, theme)} width={props.width} height={props.height} />;
}
