import {Box, Text} from 'ink';
import React, {createContext, useContext} from 'react';
import {cut, fitLine, width as cellsOf, type Line} from './text.js';

// Every pane is drawn as exact lines inside a border we draw ourselves: the
// title sits in the top edge, the focused pane gets a double (or, on a dumb
// terminal, `#`) border, and nothing a pane holds can push a border out.

export type Theme = {color: boolean; unicode: boolean};
export const ThemeContext = createContext<Theme>({color: true, unicode: true});
export const useTheme = (): Theme => useContext(ThemeContext);

const single = {tl: '┌', tr: '┐', bl: '└', br: '┘', h: '─', v: '│'};
const double = {tl: '╔', tr: '╗', bl: '╚', br: '╝', h: '═', v: '║'};
const asciiPlain = {tl: '+', tr: '+', bl: '+', br: '+', h: '-', v: '|'};
const asciiFocus = {tl: '#', tr: '#', bl: '#', br: '#', h: '=', v: '#'};

export type FrameProps = {
	title: string;
	/** Text at the right of the top edge. */
	info?: string;
	width: number;
	height: number;
	focused: boolean;
	lines: Line[];
};

export function Frame({title, info, width, height, focused, lines}: FrameProps) {
	const theme = useTheme();
	const box = theme.unicode ? (focused ? double : single) : focused ? asciiFocus : asciiPlain;
	const inner = Math.max(0, width - 2);
	const rows = Math.max(0, height - 2);
	const label = ` ${focused ? '▸ ' : ''}${title} `.replace('▸', theme.unicode ? '▸' : '>');
	const right = info ? ` ${cut(info, Math.max(0, inner - cellsOf(label) - 3))} ` : '';
	const fill = Math.max(0, inner - cellsOf(label) - cellsOf(right) - 1);
	const top = `${box.tl}${box.h}${label}${box.h.repeat(fill)}${right}${box.tr}`;
	const borderColor = theme.color && focused ? 'cyan' : undefined;
	const content = lines.slice(0, rows);
	while (content.length < rows) content.push([]);
	return (
		<Box flexDirection="column" width={width} height={height} flexShrink={0}>
			<Text color={borderColor} bold={focused} wrap="truncate">
				{cut(top, width)}
			</Text>
			{content.map((line, i) => (
				<Text key={i} wrap="truncate">
					<Text color={borderColor}>{box.v}</Text>
					{fitLine(line, inner).map((segment, j) => (
						<Text
							key={j}
							color={theme.color ? segment.color : undefined}
							bold={theme.color ? segment.bold : false}
							dimColor={theme.color ? segment.dim : false}
							inverse={segment.inverse}
						>
							{segment.text}
						</Text>
					))}
					<Text color={borderColor}>{box.v}</Text>
				</Text>
			))}
			<Text color={borderColor} wrap="truncate">
				{`${box.bl}${box.h.repeat(inner)}${box.br}`}
			</Text>
		</Box>
	);
}
