import type {GpuReading, LoopEvent, LoopState} from '../core/events.js';
import {sanitize} from '../core/sanitize.js';
import type {Direction, ExperimentRecord, SteeringNote} from '../core/types.js';

// Events -> what the screen shows. Fast-changing data (log lines, the loss
// series, streamed tokens) lives here, outside React; React sees a snapshot
// published at most `fps` times a second, and only when something changed.
// Parts that did not change keep their identity from one snapshot to the
// next, so a pane whose inputs are the same is not drawn again.

export type LogLine = {text: string; partial: boolean};

export type AgentEntry =
	| {kind: 'proposal'; n: number; text: string; thinking: string; streaming: boolean; proposer: string; model?: string}
	| {kind: 'edit'; n: number; description: string; rationale?: string; diff: string}
	| {kind: 'user'; text: string}
	| {kind: 'agent'; text: string; streaming: boolean}
	| {kind: 'info' | 'warn' | 'error'; text: string};

/** A loss reading; `frac` is how far through its time budget the run was (from the line's percent, else the clock). */
export type Point = {step: number; loss: number; frac?: number};

export type Experiment = ExperimentRecord & {n: number; seconds: number};

/** What the proposer is doing now; a pipelined proposer works while a run trains. */
export type ProposerActivity = {n: number; phase: 'waiting' | 'thinking' | 'writing' | 'retrying' | 'applying'};

export type Snapshot = {
	version: number;
	session?: {tag: string; branch: string; metric: string; direction: Direction; proposer: string; python?: string; resumed: boolean};
	state: LoopState;
	detail?: string;
	run?: {n: number; commit: string; description: string; startedAt: number; budgetSeconds: number};
	/** The run whose lines the log still shows once it ended. */
	lastRun?: {n: number; commit: string};
	proposer?: ProposerActivity;
	log: readonly LogLine[];
	/** Lines ever added, so a scrolled view can stay where it is as the ring moves. */
	logTotal: number;
	loss: readonly Point[];
	bestLoss: readonly Point[];
	experiments: readonly Experiment[];
	best?: ExperimentRecord;
	baseline?: ExperimentRecord;
	agent: readonly AgentEntry[];
	notes: readonly SteeringNote[];
	gpus: readonly GpuReading[];
	budgetSeconds?: number;
	model?: string;
	goalVersion: number;
};

export const logCapacity = 2000;
export const agentCapacity = 300;
export const lossCapacity = 4000;
const streamCapacity = 16_000;
/** A log line longer than this is cut for the screen (run.log keeps it whole). */
export const lineLimit = 2000;
const textLimit = 4000;

/** The head of `text`, at most `limit` UTF-16 units, never half a surrogate pair. */
function clip(text: string, limit: number): string {
	if (text.length <= limit) return text;
	const code = text.charCodeAt(limit - 1);
	return text.slice(0, code >= 0xd800 && code <= 0xdbff ? limit - 1 : limit);
}

/**
 * A bounded ring of lines; the newest replaces the last when that one was
 * partial (a `\r` progress line). Memory is bounded by 1.5 x capacity; the
 * view is always the newest `capacity` lines.
 */
export class LogRing {
	private lines: LogLine[] = [];
	total = 0;

	constructor(readonly capacity = logCapacity) {}

	push(line: LogLine): void {
		const last = this.lines.at(-1);
		if (last?.partial) {
			this.lines[this.lines.length - 1] = line;
			return;
		}
		this.lines.push(line);
		this.total++;
		if (this.lines.length >= this.capacity * 1.5) this.lines = this.lines.slice(-this.capacity);
	}

	clear(): void {
		this.lines = [];
	}

	get length(): number {
		return Math.min(this.lines.length, this.capacity);
	}

	view(): readonly LogLine[] {
		return this.lines.length > this.capacity ? this.lines.slice(-this.capacity) : this.lines.slice();
	}
}

/** Keeps a series bounded by dropping every other point when it fills: the shape stays, memory does not grow. */
function pushPoint(series: Point[], point: Point): Point[] {
	if (!Number.isFinite(point.loss) || !Number.isFinite(point.step)) return series;
	series.push(point);
	if (series.length > lossCapacity) return series.filter((_, i) => i % 2 === 0 || i === series.length - 1);
	return series;
}

type Cheap = Omit<Snapshot, 'version' | 'log' | 'logTotal' | 'loss' | 'agent'>;

export class UiStore {
	private snapshot: Snapshot;
	private ring = new LogRing();
	private loss: Point[] = [];
	/** The loss series of the run that ended last, should an overrule make it the best later. */
	private finished: {n: number; loss: Point[]} | undefined;
	private agent: AgentEntry[] = [];
	private listeners = new Set<() => void>();
	private dirty = false;
	private logDirty = false;
	private lossDirty = false;
	private agentDirty = false;
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
		this.reduce(event);
		this.changed();
	};

	/** A message from the screen itself (a command's answer, a save). */
	note(kind: 'info' | 'warn' | 'error', text: string): void {
		this.addAgent({kind, text: text.split('\n').map(sanitize).join('\n')});
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
			agent: this.agentDirty ? this.agent.slice() : previous.agent,
		};
		this.logDirty = this.lossDirty = this.agentDirty = false;
		this.published++;
		for (const listener of this.listeners) listener();
	}

	private addAgent(entry: AgentEntry): void {
		this.agent.push(entry);
		if (this.agent.length > agentCapacity) this.agent = this.agent.slice(-agentCapacity);
		this.agentDirty = true;
	}

	/** Index of the newest entry of a kind if it still streams. */
	private streamingIndex(kind: 'proposal' | 'agent'): number {
		for (let i = this.agent.length - 1; i >= 0; i--) {
			const entry = this.agent[i]!;
			if (entry.kind === kind) return (entry as {streaming: boolean}).streaming ? i : -1;
		}
		return -1;
	}

	/** Replaces an entry (entries are never changed in place: a pane may still hold the old one). */
	private update(index: number, change: (entry: AgentEntry) => AgentEntry): void {
		this.agent[index] = change(this.agent[index]!);
		this.agentDirty = true;
	}

	private endProposalStream(): void {
		const i = this.streamingIndex('proposal');
		if (i >= 0) this.update(i, e => ({...e, streaming: false}) as AgentEntry);
	}

	/** An experiment's row as recorded (a run that ended, one replayed at startup, or an overrule), and the best it leaves. */
	private settle(n: number, record: ExperimentRecord, seconds: number | undefined, best: ExperimentRecord | undefined, baseline: ExperimentRecord | undefined): void {
		const m = this.cheap;
		const at = m.experiments.findIndex(e => e.commit === record.commit);
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

	private reduce(event: LoopEvent): void {
		const m = this.cheap;
		switch (event.type) {
			case 'session':
				m.session = {
					tag: sanitize(event.tag),
					branch: sanitize(event.branch),
					metric: sanitize(event.metric),
					direction: event.direction,
					proposer: sanitize(event.proposer),
					resumed: event.resumed,
					...(event.python ? {python: sanitize(event.python)} : {}),
				};
				m.budgetSeconds = event.budgetSeconds;
				break;
			case 'state':
				m.state = event.state;
				m.detail = event.detail === undefined ? undefined : sanitize(event.detail);
				// A loop that pauses, waits, stops or is done proposes nothing (a spinner must not turn on).
				if (event.state === 'paused' || event.state === 'waiting' || event.state === 'stopping' || event.state === 'done') {
					m.proposer = undefined;
					this.endProposalStream();
				}
				break;
			case 'message':
				this.addAgent({kind: event.level, text: sanitizeBlock(clip(event.text, textLimit))});
				break;
			case 'proposal-start':
				this.endProposalStream();
				this.addAgent({kind: 'proposal', n: event.n, text: '', thinking: '', streaming: true, proposer: sanitize(event.proposer), ...(event.model ? {model: sanitize(event.model)} : {})});
				m.proposer = {n: event.n, phase: 'waiting'};
				if (event.model) m.model = sanitize(event.model);
				break;
			case 'proposal-token': {
				const i = this.streamingIndex('proposal');
				if (i >= 0) {
					const token = sanitizeBlock(event.text);
					this.update(i, e => {
						const p = e as Extract<AgentEntry, {kind: 'proposal'}>;
						return event.channel === 'thinking'
							? {...p, thinking: (p.thinking + token).slice(-streamCapacity)}
							: {...p, text: (p.text + token).slice(-streamCapacity)};
					});
				}
				const phase = event.channel === 'thinking' ? 'thinking' : 'writing';
				if (m.proposer?.n !== event.n || m.proposer.phase !== phase) m.proposer = {n: event.n, phase};
				break;
			}
			case 'proposal-retry':
				this.addAgent({kind: 'warn', text: `#${event.n} retry ${event.attempt}: ${sanitizeBlock(event.reason)}`});
				m.proposer = {n: event.n, phase: 'retrying'};
				break;
			case 'proposal':
				this.endProposalStream();
				this.addAgent({
					kind: 'edit',
					n: event.n,
					description: sanitize(clip(event.description, textLimit)),
					...(event.rationale ? {rationale: sanitizeBlock(clip(event.rationale, textLimit))} : {}),
					diff: sanitizeBlock(clip(event.diff, streamCapacity)),
				});
				m.proposer = {n: event.n, phase: 'applying'};
				break;
			case 'proposal-failed':
				this.endProposalStream();
				this.addAgent({kind: 'error', text: `#${event.n} proposal failed: ${sanitizeBlock(event.reason)}`});
				if (m.proposer?.n === event.n) m.proposer = undefined;
				break;
			case 'run-start':
				m.run = {n: event.n, commit: sanitize(event.commit), description: sanitize(event.description), startedAt: event.startedAt, budgetSeconds: event.budgetSeconds};
				m.lastRun = {n: event.n, commit: m.run.commit};
				if (m.proposer?.n === event.n) m.proposer = undefined;
				this.ring.clear();
				this.logDirty = true;
				this.loss = [];
				this.lossDirty = true;
				break;
			case 'log':
				this.ring.push({text: sanitize(clip(event.text, lineLimit)), partial: event.partial});
				this.logDirty = true;
				break;
			case 'progress':
				if (event.n === m.run?.n) {
					const frac = event.pct !== undefined && Number.isFinite(event.pct) ? event.pct / 100 : (Date.now() - m.run.startedAt) / (m.run.budgetSeconds * 1000);
					this.loss = pushPoint(this.loss, {step: event.step, loss: event.loss, ...(Number.isFinite(frac) && frac > 0 ? {frac} : {})});
					this.lossDirty = true;
				}
				break;
			case 'run-end':
				this.settle(event.n, event.record, event.seconds, event.best, event.baseline);
				break;
			case 'recorded':
				this.settle(event.n, event.record, 0, event.best, event.baseline);
				break;
			case 'overrule':
				this.addAgent({kind: 'info', text: `#${event.n} overruled by hand: ${event.from} -> ${event.to}`});
				this.settle(event.n, event.record, undefined, event.best, event.baseline);
				break;
			case 'notes':
				m.notes = event.notes.map(n => ({...n, text: sanitize(n.text)}));
				break;
			case 'chat': {
				if (event.role === 'user') {
					this.addAgent({kind: 'user', text: sanitizeBlock(event.text)});
					break;
				}
				const i = this.streamingIndex('agent');
				const text = sanitizeBlock(event.text);
				if (event.done) {
					if (i >= 0) this.update(i, () => ({kind: 'agent', text, streaming: false}));
					else this.addAgent({kind: 'agent', text, streaming: false});
				} else if (i >= 0) this.update(i, e => ({kind: 'agent', text: ((e as {text: string}).text + text).slice(-streamCapacity), streaming: true}));
				else this.addAgent({kind: 'agent', text, streaming: true});
				break;
			}
			case 'goal-changed':
				m.goalVersion++;
				break;
			case 'budget-changed':
				m.budgetSeconds = event.seconds;
				break;
			case 'model-changed':
				m.model = sanitize(event.model);
				break;
			case 'gpu':
				m.gpus = event.gpus.map(g => ({...g, name: sanitize(g.name)}));
				break;
		}
	}
}

/** Multi-line untrusted text (model output, a diff): each line sanitized, the line breaks kept for the pane to wrap. */
export function sanitizeBlock(text: string): string {
	return text
		.replace(/\r\n?/g, '\n')
		.split('\n')
		.map(part => sanitize(part))
		.join('\n');
}
