import {dispatch, isIdle, type EventHandlers, type EventOf, type LoopEvent} from '../core/events.js';
import {sanitize} from '../core/sanitize.js';
import type {ExperimentRecord} from '../core/types.js';
import {AgentLog, sanitizeBlock, streamCapacity} from './agent-log.js';
import {clip, lineLimit, LogRing, pushPoint} from './log-ring.js';
import type {AgentEntry, Experiment, Point, Snapshot} from './snapshot.js';

// Events -> what the screen shows. Fast-changing data (log lines, the loss
// series, streamed tokens) lives here, outside React; React sees a snapshot
// published at most `fps` times a second, and only when something changed.
// Parts that did not change keep their identity from one snapshot to the
// next, so a pane whose inputs are the same is not drawn again. Events are
// reduced through one handler per type (core's EventHandlers): a new event
// type does not compile until the screen says what it shows of it.

export type {AgentEntry, Experiment, LogLine, Point, ProposerActivity, Snapshot} from './snapshot.js';
export {agentCapacity} from './agent-log.js';
export {lineLimit, logCapacity, lossCapacity, LogRing} from './log-ring.js';

/** A message, a description or a rationale longer than this is cut for the screen. */
const textLimit = 4000;

type Cheap = Omit<Snapshot, 'version' | 'log' | 'logTotal' | 'loss' | 'agent'>;

export class UiStore {
	private snapshot: Snapshot;
	private ring = new LogRing();
	private loss: Point[] = [];
	/** The loss series of the run that ended last, should an overrule make it the best later. */
	private finished: {n: number; loss: Point[]} | undefined;
	private agent = new AgentLog();
	private listeners = new Set<() => void>();
	private dirty = false;
	private logDirty = false;
	private lossDirty = false;
	private timer: NodeJS.Timeout | undefined;
	private readonly interval: number;
	private cheap: Cheap;
	/** Snapshots published so far (the benchmark and tests read it). */
	published = 0;
	/** Events taken in so far. */
	events = 0;

	constructor(fps = 10) {
		this.interval = 1000 / fps;
		this.cheap = {state: 'starting', bestLoss: [], experiments: [], notes: [], gpus: [], goalVersion: 0};
		this.snapshot = {...this.cheap, version: 0, log: [], logTotal: 0, loss: [], agent: []};
	}

	subscribe = (listener: () => void): (() => void) => {
		this.listeners.add(listener);
		return () => this.listeners.delete(listener);
	};

	getSnapshot = (): Snapshot => this.snapshot;

	/** The loop's listener. */
	handle = (event: LoopEvent): void => {
		this.events++;
		dispatch(this.handlers, event);
		this.changed();
	};

	/** A message from the screen itself (a command's answer, a save). */
	note(kind: 'info' | 'warn' | 'error', text: string): void {
		this.agent.add({kind, text: text.split('\n').map(sanitize).join('\n')});
		this.changed();
	}

	dispose(): void {
		if (this.timer) clearTimeout(this.timer);
		this.timer = undefined;
		this.listeners.clear();
	}

	private changed(): void {
		this.dirty = true;
		if (this.timer) return;
		this.timer = setTimeout(() => {
			this.timer = undefined;
			this.flush();
		}, this.interval);
	}

	/** Publishes now, if anything changed (tests, and the first frame). */
	flush(): void {
		if (!this.dirty) return;
		this.dirty = false;
		const previous = this.snapshot;
		this.snapshot = {
			...this.cheap,
			version: previous.version + 1,
			log: this.logDirty ? this.ring.view() : previous.log,
			logTotal: this.ring.total,
			loss: this.lossDirty ? this.loss.slice() : previous.loss,
			agent: this.agent.dirty ? this.agent.take() : previous.agent,
		};
		this.logDirty = this.lossDirty = false;
		this.published++;
		for (const listener of this.listeners) listener();
	}

	/** An experiment's row as recorded (a run that ended, one replayed at startup, or an overrule), and the best it leaves. */
	private settle(
		n: number,
		record: ExperimentRecord,
		seconds: number | undefined,
		best: ExperimentRecord | undefined,
		baseline: ExperimentRecord | undefined,
	): void {
		const m = this.cheap;
		const at = m.experiments.findIndex(e => e.n === n);
		const experiment: Experiment = {
			...record,
			n,
			seconds: seconds ?? m.experiments[at]?.seconds ?? 0,
			description: sanitize(record.description),
			commit: sanitize(record.commit),
		};
		m.experiments = at === -1 ? [...m.experiments, experiment] : m.experiments.map((e, i) => (i === at ? experiment : e));
		if (m.run?.n === n) {
			this.finished = {n, loss: this.loss};
			m.run = undefined;
		}
		const newBest = best !== undefined && best.commit === record.commit && record.status === 'keep';
		if (newBest && this.finished?.n === n && this.finished.loss.length > 0) m.bestLoss = this.finished.loss.slice();
		m.best = best;
		m.baseline = baseline;
	}

	/** The chat's stream: the user's lines as they are, the agent's answer growing in one entry until `done`. */
	private chat(event: EventOf<'chat'>): void {
		const text = sanitizeBlock(event.text);
		if (event.role === 'user') return this.agent.add({kind: 'user', text});
		const i = this.agent.streaming('agent');
		if (event.done) {
			if (i >= 0) this.agent.update(i, () => ({kind: 'agent', text, streaming: false}));
			else this.agent.add({kind: 'agent', text, streaming: false});
		} else if (i >= 0)
			this.agent.update(i, e => ({kind: 'agent', text: ((e as {text: string}).text + text).slice(-streamCapacity), streaming: true}));
		else this.agent.add({kind: 'agent', text, streaming: true});
	}

	private readonly handlers: EventHandlers = {
		session: e => {
			this.cheap.session = {
				tag: sanitize(e.tag),
				branch: sanitize(e.branch),
				metric: sanitize(e.metric),
				direction: e.direction,
				proposer: sanitize(e.proposer),
				resumed: e.resumed,
				...(e.python ? {python: sanitize(e.python)} : {}),
			};
			this.cheap.budgetSeconds = e.budgetSeconds;
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
		},
		message: e => this.agent.add({kind: e.level, text: sanitizeBlock(clip(e.text, textLimit))}),
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
		},
		'proposal-retry': e => {
			this.agent.add({kind: 'warn', text: `#${e.n} retry ${e.attempt}: ${sanitizeBlock(e.reason)}`});
			this.cheap.proposer = {n: e.n, phase: 'retrying'};
		},
		proposal: e => {
			this.agent.endProposal();
			this.agent.add({
				kind: 'edit',
				n: e.n,
				description: sanitize(clip(e.description, textLimit)),
				...(e.rationale ? {rationale: sanitizeBlock(clip(e.rationale, textLimit))} : {}),
				diff: sanitizeBlock(clip(e.diff, streamCapacity)),
			});
			this.cheap.proposer = {n: e.n, phase: 'applying'};
		},
		'proposal-failed': e => {
			this.agent.endProposal();
			this.agent.add({kind: 'error', text: `#${e.n} proposal failed: ${sanitizeBlock(e.reason)}`});
			if (this.cheap.proposer?.n === e.n) this.cheap.proposer = undefined;
		},
		'run-start': e => {
			const m = this.cheap;
			m.run = {
				n: e.n,
				commit: sanitize(e.commit),
				description: sanitize(e.description),
				startedAt: e.startedAt,
				budgetSeconds: e.budgetSeconds,
			};
			m.lastRun = {n: e.n, commit: m.run.commit};
			if (m.proposer?.n === e.n) m.proposer = undefined;
			this.ring.clear();
			this.logDirty = true;
			this.loss = [];
			this.lossDirty = true;
		},
		log: e => {
			this.ring.push({text: sanitize(clip(e.text, lineLimit)), partial: e.partial});
			this.logDirty = true;
		},
		progress: e => {
			const run = this.cheap.run;
			if (e.n !== run?.n) return;
			const frac = e.pct !== undefined && Number.isFinite(e.pct) ? e.pct / 100 : (Date.now() - run.startedAt) / (run.budgetSeconds * 1000);
			this.loss = pushPoint(this.loss, {step: e.step, loss: e.loss, ...(Number.isFinite(frac) && frac > 0 ? {frac} : {})});
			this.lossDirty = true;
		},
		'run-end': e => {
			for (const rerun of e.reruns ?? []) this.settle(rerun.n, rerun, undefined, e.best, e.baseline);
			this.settle(e.n, e.record, e.seconds, e.best, e.baseline);
		},
		rerun: e => this.settle(e.n, e.record, e.seconds, this.cheap.best, this.cheap.baseline),
		reference: () => undefined,
		'run-queued': e => {
			this.cheap.detail = sanitize(`#${e.n} queued: ${e.reason}`);
		},
		'run-measured': e => {
			const m = this.cheap;
			if (m.run?.n === e.n || m.run?.n === e.group) m.run = undefined;
			this.agent.add({kind: 'info', text: `#${e.group}: ${sanitize(e.detail)}`});
		},
		recorded: e => this.settle(e.n, e.record, 0, e.best, e.baseline),
		overrule: e => {
			this.agent.add({kind: 'info', text: `#${e.n} overruled by hand: ${e.from} -> ${e.to}`});
			this.settle(e.n, e.record, undefined, e.best, e.baseline);
		},
		notes: e => {
			this.cheap.notes = e.notes.map(n => ({...n, text: sanitize(n.text)}));
		},
		chat: e => this.chat(e),
		show: e => this.agent.add({kind: 'info', text: `${sanitize(e.title)}:\n${sanitizeBlock(clip(e.text, textLimit))}`}),
		'goal-changed': () => {
			this.cheap.goalVersion++;
		},
		'budget-changed': e => {
			this.cheap.budgetSeconds = e.seconds;
		},
		'model-changed': e => {
			this.cheap.model = sanitize(e.model);
		},
		gpu: e => {
			this.cheap.gpus = e.gpus.map(g => ({...g, name: sanitize(g.name)}));
		},
	};
}
