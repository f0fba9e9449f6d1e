import {useReducer, useRef} from 'react';
import {complete} from '../slash.js';
import {bufferText, createBuffer, reduce, type Action, type Buffer} from '../text-buffer.js';

// The Agent pane's input line: its text, the history of what was sent
// (↑/↓, with the draft kept while walking it) and /command completion.
// What a sent line does is the caller's (submit hands it over).

const historyLimit = 100;

export type ChatInput = {
	buffer: Buffer;
	/** An editing action; line breaks typed or pasted become spaces (one line). */
	edit: (action: Action) => void;
	/** Replaces the text, the cursor at its end. */
	setText: (text: string) => void;
	/** Clears the line and returns what it held (undefined when nothing). */
	submit: () => string | undefined;
	/** 1: an older message; -1: a newer one, then the draft. */
	recall: (direction: 1 | -1) => void;
	/** Completes a /command; false when the text is not one (Tab means something else then). */
	complete: () => boolean;
};

export function useChatInput(): ChatInput {
	const [buffer, dispatch] = useReducer(reduce, undefined, () => createBuffer('', 1, 1_000_000));
	const history = useRef<{items: string[]; index: number; draft: string}>({items: [], index: -1, draft: ''});

	const edit = (action: Action): void =>
		dispatch(action.type === 'insert' ? {type: 'insert', text: action.text.replace(/[\r\n]+/g, ' ')} : action);

	const setText = (text: string): void => {
		dispatch({type: 'load', text});
		dispatch({type: 'end'});
	};

	const submit = (): string | undefined => {
		const text = bufferText(buffer).trim();
		setText('');
		const h = history.current;
		h.index = -1;
		h.draft = '';
		if (text === '') return undefined;
		if (h.items.at(-1) !== text) h.items = [...h.items, text].slice(-historyLimit);
		return text;
	};

	const recall = (direction: 1 | -1): void => {
		const h = history.current;
		if (h.items.length === 0) return;
		if (h.index === -1 && direction === 1) h.draft = bufferText(buffer);
		const index = Math.max(-1, Math.min(h.items.length - 1, h.index + direction));
		if (index === h.index) return;
		h.index = index;
		setText(index === -1 ? h.draft : h.items[h.items.length - 1 - index]!);
	};

	const completeCommand = (): boolean => {
		const text = bufferText(buffer);
		if (!text.startsWith('/')) return false;
		const completed = complete(text);
		if (completed !== undefined) setText(completed);
		return true;
	};

	return {buffer, edit, setText, submit, recall, complete: completeCommand};
}
