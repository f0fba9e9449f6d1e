import {isIdle, type EventHandlers} from '../core/events.js';
import {sanitize} from '../core/sanitize.js';
import type {ExperimentRecord} from '../core/types.js';
import {isWorking} from './activity.js';
import {AgentLog, sanitizeBlock, streamCapacity} from './agent-log.js';
import {Feeds, type Feed} from './feeds.js';
import {clip, lineLimit} from './log-ring.js';
import type {AgentEntry, Experiment, Pending, Snapshot} from './snapshot.js';

// The events reduced into what the screen shows, one handler per event type
// (core's EventHandlers: a new event does not compile until the screen says
// what it shows of it). Each handler says what it changed, so the store
// (state.ts) can publish structure at once, the log a little later and the
// loss curve once a second.

/** What an event changed: the screen's structure, the followed log, its loss curve; `run` starts or ends a curve. */
export const changed = {none: 0, structure: 1, log: 2, loss: 4, run: 8} as const;

/** A message, a description or a rationale longer than this is cut for the screen. */
const textLimit = 4000;
/** Text to read in full (`show`) is cut only past this. */
const shownLimit = 200_000;

/** The parts of a snapshot that are cheap to copy on each publish. */
export type Cheap = Omit<
	Snapshot,
	'version' | 'log' | 'logTotal' | 'loss' | 'agent' | 'now' | 'workers' | 'runs' | 'run' | 'lastRun' | 'followed'
>;

/** One line out of text that may be long and meant for someone else (feedback written for the model): its first line, cut. */
export function brief(text: string, limit = 240): string {
	const first = text.split('\n').find(l => l.trim() !== '' && !l.trim().startsWith('```')) ?? '';
	const line = sanitize(first).replace(/\s+/g, ' ').trim();
	return line.length > limit ? `${line.slice(0, limit - 1)}…` : line;
}

export class StoreModel {
	cheap: Cheap = {state: 'starting', bestLoss: [], experiments: [], notes: [], gpus: [], goalVersion: 0, pending: []};
	readonly feeds = new Feeds();
	readonly agent = new AgentLog();
	followed: string | undefined;
	/** The person chose the worker to follow (w): runs starting elsewhere do not take the view away. */
	followedByHand = false;

	get follow(): string {
		return this.followed ?? this.feeds.first;
	}

	isFollowed(feed: Feed): boolean {
		return feed.name === this.follow;
	}

	/** Something counts down or turns: a run in progress, or the loop working without one. */
	counting(): boolean {
		const runs = this.feeds.runs();
		return runs.length > 0 || isWorking({state: this.cheap.state, proposer: this.cheap.proposer});
	}

	/** An experiment's row as recorded, and the best it leaves (the best the events carry: never worked out here). */
	private settle(
		record: ExperimentRecord,
		seconds: number | undefined,
		best: ExperimentRecord | undefined,
		baseline?: ExperimentRecord,
	): void {
		const m = this.cheap;
		const at = m.experiments.findIndex(e => e.n === record.n);
		const experiment: Experiment = {
			...record,
			seconds: seconds ?? record.seconds ?? m.experiments[at]?.seconds ?? 0,
			description: sanitize(record.description),
			commit: sanitize(record.commit),
			...(record.reason ? {reason: sanitize(record.reason)} : {}),
			...(record.worker ? {worker: sanitize(record.worker)} : {}),
		};
		m.experiments = at === -1 ? [...m.experiments, experiment] : m.experiments.map((e, i) => (i === at ? experiment : e));
		if (m.pending.some(p => p.n === record.n)) m.pending = m.pending.filter(p => p.n !== record.n);
		const newBest = best !== undefined && best.n === record.n && record.status === 'keep' && best.n !== m.best?.n;
		const curve = newBest ? this.feeds.curve(record.n) : undefined;
		if (curve && curve.length > 0) m.bestLoss = curve.slice();
		m.best = best;
		if (baseline !== undefined || m.baseline === undefined) m.baseline = baseline;
	}

	/** The feed that ran experiment `n` (by the worker the event names, else whichever runs it). */
	private feedOf(n: number, worker: string | undefined): Feed | undefined {
		const named = worker === undefined ? undefined : this.feeds.get(worker);
		return named?.run?.n === n ? named : this.feeds.running(n);
	}

	private endRun(n: number, worker: string | undefined): number {
		const feed = this.feedOf(n, worker);
		if (!feed) return changed.none;
		this.feeds.end(feed);
		return this.isFollowed(feed) ? changed.run : changed.none;
	}

	readonly handlers: EventHandlers<number> = {
		session: e => {
			this.cheap.session = {
				tag: sanitize(e.tag),
				branch: sanitize(e.branch),
				metric: sanitize(e.metric),
				direction: e.direction,
				proposer: sanitize(e.proposer),
				resumed: e.resumed,
				...(e.python ? {python: sanitize(e.python)} : {}),
				...(e.budgetOverride ? {budgetOverride: true} : {}),
				...(e.executor ? {executor: sanitize(e.executor)} : {}),
			};
			this.cheap.budgetSeconds = e.budgetSeconds;
			if (e.workers) this.feeds.configure(e.workers.map(w => ({...w, name: sanitize(w.name)})));
			return changed.structure | changed.run;
		},
		reference: e => {
			this.cheap.reference = {
				budgetSeconds: e.budgetSeconds,
				mean: e.mean,
				runs: e.runs,
				...(e.sigma === undefined ? {} : {sigma: e.sigma}),
			};
			return changed.structure;
		},
		state: e => {
			const m = this.cheap;
			m.state = e.state;
			m.detail = e.detail === undefined ? undefined : sanitize(e.detail);
			// A loop that pauses, waits, stops or is done proposes nothing (a spinner must not turn on).
			if (isIdle(e.state)) {
				m.proposer = undefined;
				this.agent.endProposal();
			}
			return changed.structure;
		},
		message: e => {
			this.agent.add({kind: e.level, text: sanitizeBlock(clip(e.text, textLimit))});
			return changed.structure;
		},
		'proposal-start': e => {
			this.agent.endProposal();
			this.agent.add({
				kind: 'proposal',
				n: e.n,
				text: '',
				thinking: '',
				streaming: true,
				proposer: sanitize(e.proposer),
				...(e.model ? {model: sanitize(e.model)} : {}),
			});
			this.cheap.proposer = {n: e.n, phase: 'waiting'};
			if (e.model) this.cheap.model = sanitize(e.model);
			return changed.structure;
		},
		'proposal-token': e => {
			const i = this.agent.streaming('proposal');
			if (i >= 0) {
				const token = sanitizeBlock(e.text);
				this.agent.update(i, entry => {
					const p = entry as Extract<AgentEntry, {kind: 'proposal'}>;
					return e.channel === 'thinking'
						? {...p, thinking: (p.thinking + token).slice(-streamCapacity)}
						: {...p, text: (p.text + token).slice(-streamCapacity)};
				});
			}
			const phase = e.channel === 'thinking' ? 'thinking' : 'writing';
			if (this.cheap.proposer?.n !== e.n || this.cheap.proposer.phase !== phase) this.cheap.proposer = {n: e.n, phase};
			return changed.structure;
		},
		'proposal-retry': e => {
			// The reason may carry what the model is told; the screen shows one line of it.
			this.agent.add({kind: 'warn', text: `#${e.n} retry ${e.attempt}: ${brief(e.reason)}`, brief: true});
			this.cheap.proposer = {n: e.n, phase: 'retrying'};
			return changed.structure;
		},
		proposal: e => {
			this.agent.endProposal();
			const proposer = sanitize(e.proposer);
			const model = e.model ? sanitize(e.model) : undefined;
			this.agent.relabel(e.n, proposer, model);
			this.agent.add({
				kind: 'edit',
				n: e.n,
				description: sanitize(clip(e.description, textLimit)),
				...(e.rationale ? {rationale: sanitizeBlock(clip(e.rationale, textLimit))} : {}),
				diff: sanitizeBlock(clip(e.diff, streamCapacity)),
				proposer: model ? `${proposer} ${model}` : proposer,
			});
			// Ready: it waits in the queue for a worker (not applied until its run starts).
			this.cheap.proposer = {n: e.n, phase: 'queued'};
			return changed.structure;
		},
		'proposal-failed': e => {
			this.agent.endProposal();
			this.agent.add({kind: 'error', text: `#${e.n} proposal failed: ${brief(e.reason)}`, brief: true});
			if (this.cheap.proposer?.n === e.n) this.cheap.proposer = undefined;
			return changed.structure;
		},
		'run-start': e => {
			const feed = this.feeds.get(e.worker === undefined ? undefined : sanitize(e.worker));
			this.feeds.start(feed, {
				n: e.n,
				commit: sanitize(e.commit),
				description: sanitize(e.description),
				startedAt: e.startedAt,
				budgetSeconds: e.budgetSeconds,
				worker: feed.name,
				...(e.of === undefined ? {} : {of: e.of}),
			});
			if (this.cheap.proposer?.n === e.n) this.cheap.proposer = undefined;
			// Unless the person chose one, the view goes where the work is.
			const followed = this.feeds.get(this.follow);
			if (!this.followedByHand && !followed.run) this.followed = feed.name;
			return changed.structure | (this.isFollowed(feed) ? changed.run : changed.none);
		},
		'run-queued': e => {
			const feed = this.feeds.get(e.worker === undefined ? undefined : sanitize(e.worker));
			const reason = sanitize(e.reason);
			this.feeds.setRun(
				feed,
				feed.run?.n === e.n
					? {...feed.run, queued: reason}
					: {n: e.n, commit: '', description: '', startedAt: Date.now(), budgetSeconds: 0, worker: feed.name, queued: reason},
			);
			return changed.structure;
		},
		log: e => {
			const feed = this.feedOf(e.n, e.worker) ?? this.feeds.get(e.worker);
			feed.ring.push({text: sanitize(clip(e.text, lineLimit)), partial: e.partial});
			let what: number = this.isFollowed(feed) ? changed.log : changed.none;
			if (feed.run?.queued !== undefined && feed.run.n === e.n) {
				const {queued: _started, ...run} = feed.run;
				this.feeds.setRun(feed, run);
				what |= changed.structure;
			}
			return what;
		},
		progress: e => {
			const feed = this.feedOf(e.n, e.worker);
			if (!feed?.run) return changed.none;
			const run = feed.run;
			const frac = e.pct !== undefined && Number.isFinite(e.pct) ? e.pct / 100 : (Date.now() - run.startedAt) / (run.budgetSeconds * 1000);
			this.feeds.progress(feed, {step: e.step, loss: e.loss, ...(Number.isFinite(frac) && frac > 0 ? {frac} : {})});
			return this.isFollowed(feed) ? changed.loss : changed.none;
		},
		'run-end': e => {
			const what = this.endRun(e.n, e.worker);
			for (const rerun of e.reruns ?? []) this.settle(rerun, undefined, e.best, e.baseline);
			this.settle(e.record, e.seconds, e.best, e.baseline);
			return changed.structure | what;
		},
		rerun: e => {
			const what = this.endRun(e.n, e.worker);
			this.settle(e.record, e.seconds, this.cheap.best);
			// The best measured again at a new budget: its curve at that budget is the one to beat.
			const of = e.record.of;
			const curve = of !== undefined && of === this.cheap.best?.n ? this.feeds.curve(of) : undefined;
			if (curve && curve.length > 0) this.cheap.bestLoss = curve.slice();
			return changed.structure | what;
		},
		'run-measured': e => {
			const description = this.feedOf(e.n, e.worker)?.run?.description ?? '';
			const what = this.endRun(e.n, e.worker);
			const m = this.cheap;
			const pending: Pending = {n: e.group, metric: e.metric, detail: sanitize(e.detail), description};
			m.pending = [...m.pending.filter(p => p.n !== e.group), pending];
			this.agent.add({kind: 'info', text: `#${e.group}: ${pending.detail}`});
			return changed.structure | what;
		},
		recorded: e => {
			this.settle(e.record, undefined, e.best, e.baseline);
			return changed.structure;
		},
		overrule: e => {
			this.agent.add({kind: 'info', text: `#${e.n} overruled by hand: ${e.from} -> ${e.to}`});
			this.settle(e.record, undefined, e.best, e.baseline);
			return changed.structure;
		},
		notes: e => {
			this.cheap.notes = e.notes.map(n => ({...n, text: sanitize(n.text)}));
			return changed.structure;
		},
		chat: e => {
			this.agent.chat(e.role, sanitizeBlock(e.text), e.done);
			return changed.structure;
		},
		show: e => {
			const title = sanitize(e.title);
			const text = sanitizeBlock(clip(e.text, shownLimit));
			this.cheap.shown = {title, text, seq: (this.cheap.shown?.seq ?? 0) + 1};
			const lines = text.split('\n').length;
			this.agent.add({kind: 'info', text: `${title}: ${lines} line${lines === 1 ? '' : 's'}, shown in full (Esc closes)`});
			return changed.structure;
		},
		'goal-changed': () => {
			this.cheap.goalVersion++;
			return changed.structure;
		},
		'budget-changed': e => {
			this.cheap.budgetSeconds = e.seconds;
			return changed.structure;
		},
		'model-changed': e => {
			this.cheap.model = sanitize(e.model);
			return changed.structure;
		},
		gpu: e => {
			this.cheap.gpus = e.gpus.map(g => ({...g, name: sanitize(g.name)}));
			return changed.structure;
		},
	};
}
