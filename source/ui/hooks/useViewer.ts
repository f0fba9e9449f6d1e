import {useMemo, useRef, useState} from 'react';
import type {LoopControl} from '../../core/intents.js';
import {changeLines, detailLines} from '../details.js';
import {viewerMaxScroll} from '../panes/Viewer.js';
import type {Snapshot} from '../snapshot.js';
import {newSince, summarize, summaryLines, type Since} from '../summary.js';
import type {Line} from '../text.js';

// The reading overlay: the morning view (opened at start when a resumed
// session has news, and with `s`), an experiment opened from its row, the
// whole change since the baseline (`c`), and text the loop sends to read in
// full (`show`: the memory digest). Reading a file is the loop's (details,
// changeSinceBaseline): the newest request wins. Closing the morning view
// tells the loop the person has now looked (markSeen).

export type ViewKind = 'summary' | 'details' | 'change' | 'memory';

type Opened = {kind: Exclude<ViewKind, 'summary'>; title: string; lines: Line[]} | {kind: 'summary'};

export type Viewer = {
	/** What is open, as the viewer draws it. */
	open: {kind: ViewKind; title: string; keys: string; lines: readonly Line[]; scroll: number} | undefined;
	/** Experiments decided since the person last looked (the status bar says so). */
	fresh: number;
	openSummary: () => void;
	toggleSince: () => void;
	openDetails: (n: number) => void;
	showChange: () => void;
	close: () => void;
	scroll: (delta: number, page: boolean) => void;
	jump: (to: 'start' | 'end') => void;
};

const textLines = (text: string): Line[] => text.split('\n').map(l => [{text: l}]);

export function useViewer(control: LoopControl, snapshot: Snapshot, height: number): Viewer {
	const [opened, setOpened] = useState<Opened | undefined>();
	const [scroll, setScroll] = useState(0);
	const [since, setSince] = useState<Since>('seen');
	const [seen, setSeen] = useState(() => control.lastSeen());
	const request = useRef(0);
	const [shownSeq, setShownSeq] = useState(snapshot.shown?.seq ?? 0);
	const [decided, setDecided] = useState(false);

	const fresh = useMemo(() => newSince(snapshot.experiments, seen), [snapshot.experiments, seen]);

	const openSummary = (): void => {
		setOpened({kind: 'summary'});
		setScroll(0);
	};

	// Decided while rendering, from what the store says (React's "state from props" way, no effect):
	// at start, a session that resumed with news opens on the morning view; a new `show` (the memory digest) opens to be read.
	if (!decided && snapshot.session !== undefined) {
		setDecided(true);
		if (snapshot.session.resumed && fresh > 0) openSummary();
	}
	const seq = snapshot.shown?.seq ?? 0;
	if (seq !== shownSeq && snapshot.shown) {
		setShownSeq(seq);
		setOpened({kind: 'memory', title: snapshot.shown.title, lines: textLines(snapshot.shown.text)});
		setScroll(0);
	}

	/** Opens a view whose lines a promise brings; until then (or on failure) it says so. The newest request wins. */
	const load = (kind: 'details' | 'change', title: string, lines: () => Promise<Line[]>): void => {
		const mine = ++request.current;
		setOpened({kind, title, lines: [[{text: 'reading…', dim: true}]]});
		setScroll(0);
		lines().then(
			loaded => {
				if (request.current === mine) setOpened({kind, title, lines: loaded});
			},
			(error: unknown) => {
				if (request.current === mine)
					setOpened({kind, title, lines: [[{text: `cannot read it: ${(error as Error).message}`, color: 'red'}]]});
			},
		);
	};

	const metric = snapshot.session?.metric;
	const openDetails = (n: number): void => {
		const experiment = snapshot.experiments.find(e => e.n === n);
		load('details', `#${n} · its diff and log`, async () => detailLines(await control.details(n), experiment, metric));
	};

	let open: Viewer['open'];
	if (opened?.kind === 'summary') {
		const workers = snapshot.workers.map(w => w.name);
		const summary = summarize({...snapshot, since, seen, now: snapshot.now, workers});
		const other = summary.since === 'seen' ? 'since the start' : seen ? 'since you last looked' : undefined;
		open = {
			kind: 'summary',
			title: 'The night so far',
			keys: `${other ? `a: ${other} · ` : ''}Esc closes`,
			lines: summaryLines(summary, metric),
			scroll,
		};
	} else if (opened) {
		open = {...opened, keys: opened.kind === 'details' ? 'c: the whole change · Esc closes' : 'Esc closes', scroll};
	}
	const max = viewerMaxScroll(open?.lines.length ?? 0, height);

	return {
		open: open ? {...open, scroll: Math.min(scroll, max)} : undefined,
		fresh,
		openSummary,
		toggleSince: () => {
			setSince(s => (s === 'seen' ? 'start' : 'seen'));
			setScroll(0);
		},
		openDetails,
		showChange: () => load('change', 'Change since the baseline', async () => changeLines(await control.changeSinceBaseline())),
		close: () => {
			if (opened?.kind === 'summary') {
				control.markSeen();
				setSeen(new Date().toISOString());
			}
			request.current++;
			setOpened(undefined);
		},
		scroll: (delta, page) => setScroll(s => Math.max(0, Math.min(max, Math.min(s, max) + delta * (page ? Math.max(1, height - 3) : 1)))),
		jump: to => setScroll(to === 'end' ? max : 0),
	};
}
