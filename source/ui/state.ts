import type {GpuReading, LoopEvent, LoopState} from '../core/events.js';
import {sanitize} from '../core/sanitize.js';
import type {Direction, ExperimentRecord, SteeringNote} from '../core/types.js';

// Events -> what the screen shows. Fast-changing data (log lines, the loss
// series, streamed tokens) lives here, outside React; React sees a snapshot
// published at most `fps` times a second, and only when something changed.

export type LogLine = {text: string; partial: boolean};

export type AgentEntry =
	| {kind: 'proposal'; n: number; text: string; streaming: boolean; proposer: string; model?: string}
	| {kind: 'edit'; n: number; description: string; diff: string}
	| {kind: 'user'; text: string}
	| {kind: 'agent'; text: string; streaming: boolean}
	| {kind: 'info' | 'warn' | 'error'; text: string};

export type Point = {step: number; loss: number};

export type Experiment = ExperimentRecord & {n: number; seconds: number};

export type Snapshot = {
	version: number;
	session?: {tag: string; branch: string; metric: string; direction: Direction; proposer: string; python?: string};
	state: LoopState;
	detail?: string;
	run?: {n: number; commit: string; description: string; startedAt: number; budgetSeconds: number};
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
const agentCapacity = 300;
const lossCapacity = 4000;
const streamCapacity = 16_000;

/** A fixed-size ring of lines; the newest replaces the last when that one was partial. */
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
		if (this.lines.length > this.capacity * 1.5) this.lines = this.lines.slice(-this.capacity);
	}

	clear(): void {
		this.lines = [];
	}

	view(): readonly LogLine[] {
		return this.lines.length > this.capacity ? this.lines.slice(-this.capacity) : this.lines;
	}
}

/** Keeps a series bounded by dropping every other point when it fills: the shape stays, memory does not grow. */
function pushPoint(series: Point[], point: Point): Point[] {
	if (!Number.isFinite(point.loss)) return series;
	series.push(point);
	if (series.length > lossCapacity) return series.filter((_, i) => i % 2 === 0 || i === series.length - 1);
	return series;
}

export class UiStore {
	private snapshot: Snapshot;
	private ring = new LogRing();
	private loss: Point[] = [];
	private agent: AgentEntry[] = [];
	private listeners = new Set<() => void>();
	private dirty = false;
	private timer: NodeJS.Timeout | undefined;
	private readonly interval: number;
	private mutable: Omit<Snapshot, 'version' | 'log' | 'logTotal' | 'loss' | 'agent'>;
	published = 0;

	constructor(fps = 10) {
		this.interval = 1000 / fps;
		this.mutable = {state: 'starting', bestLoss: [], experiments: [], notes: [], gpus: [], goalVersion: 0};
		this.snapshot = this.build(0);
	}

	subscribe = (listener: () => void): (() => void) => {
		this.listeners.add(listener);
		return () => this.listeners.delete(listener);
	};

	getSnapshot = (): Snapshot => this.snapshot;

	/** The loop's listener. */
	handle = (event: LoopEvent): void => {
		this.reduce(event);
		this.changed();
	};

	/** A message from the screen itself (a command's answer, a save). */
	note(kind: 'info' | 'warn' | 'error', text: string): void {
		this.addAgent({kind, text});
		this.changed();
	}

	dispose(): void {
		if (this.timer) clearTimeout(this.timer);
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

	/** Publishes now (tests, and the first frame). */
	flush(): void {
		if (!this.dirty) return;
		this.dirty = false;
		this.snapshot = this.build(this.snapshot.version + 1);
		this.published++;
		for (const listener of this.listeners) listener();
	}

	private build(version: number): Snapshot {
		return {...this.mutable, version, log: this.ring.view(), logTotal: this.ring.total, loss: [...this.loss], agent: [...this.agent]};
	}

	private addAgent(entry: AgentEntry): void {
		this.agent.push(entry);
		if (this.agent.length > agentCapacity) this.agent = this.agent.slice(-agentCapacity);
	}

	/** The streaming entry of a kind, if the newest entry of that kind still streams. */
	private streaming<K extends 'proposal' | 'agent'>(kind: K): Extract<AgentEntry, {kind: K}> | undefined {
		for (let i = this.agent.length - 1; i >= 0; i--) {
			const entry = this.agent[i]!;
			if (entry.kind === kind) return 'streaming' in entry && entry.streaming ? (entry as Extract<AgentEntry, {kind: K}>) : undefined;
		}
		return undefined;
	}

	private reduce(event: LoopEvent): void {
		const m = this.mutable;
		switch (event.type) {
			case 'session':
				m.session = {
					tag: event.tag,
					branch: event.branch,
					metric: event.metric,
					direction: event.direction,
					proposer: event.proposer,
					...(event.python ? {python: event.python} : {}),
				};
				m.budgetSeconds = event.budgetSeconds;
				break;
			case 'state':
				m.state = event.state;
				m.detail = event.detail;
				break;
			case 'message':
				this.addAgent({kind: event.level, text: sanitize(event.text)});
				break;
			case 'proposal-start':
				this.addAgent({kind: 'proposal', n: event.n, text: '', streaming: true, proposer: event.proposer, ...(event.model ? {model: event.model} : {})});
				break;
			case 'proposal-token': {
				const entry = this.streaming('proposal');
				if (entry) {
					entry.text = (entry.text + sanitizeToken(event.text)).slice(-streamCapacity);
				}
				break;
			}
			case 'proposal-retry':
				this.addAgent({kind: 'warn', text: `#${event.n} retry ${event.attempt}: ${sanitize(event.reason)}`});
				break;
			case 'proposal': {
				const entry = this.streaming('proposal');
				if (entry) entry.streaming = false;
				this.addAgent({kind: 'edit', n: event.n, description: sanitize(event.description), diff: event.diff.split('\n').map(sanitize).join('\n')});
				break;
			}
			case 'proposal-failed': {
				const entry = this.streaming('proposal');
				if (entry) entry.streaming = false;
				this.addAgent({kind: 'error', text: `#${event.n} proposal failed: ${sanitize(event.reason)}`});
				break;
			}
			case 'run-start':
				m.run = {n: event.n, commit: event.commit, description: sanitize(event.description), startedAt: event.startedAt, budgetSeconds: event.budgetSeconds};
				this.ring.clear();
				this.loss = [];
				break;
			case 'log':
				this.ring.push({text: sanitize(event.text), partial: event.partial});
				break;
			case 'progress':
				if (event.n === m.run?.n) this.loss = pushPoint(this.loss, {step: event.step, loss: event.loss});
				break;
			case 'run-end': {
				const experiment: Experiment = {...event.record, n: event.n, seconds: event.seconds, description: sanitize(event.record.description)};
				const at = m.experiments.findIndex(e => e.commit === experiment.commit);
				m.experiments = at === -1 ? [...m.experiments, experiment] : m.experiments.map((e, i) => (i === at ? experiment : e));
				const newBest = event.best && event.best.commit === event.record.commit && event.record.status === 'keep';
				if (newBest && m.run?.n === event.n) m.bestLoss = [...this.loss];
				m.best = event.best;
				m.baseline = event.baseline;
				if (m.run?.n === event.n) m.run = undefined;
				break;
			}
			case 'overrule':
				this.addAgent({kind: 'info', text: `#${event.n} overruled by hand: ${event.from} -> ${event.to}`});
				break;
			case 'notes':
				m.notes = event.notes.map(n => ({...n, text: sanitize(n.text)}));
				break;
			case 'chat': {
				if (event.role === 'user') {
					this.addAgent({kind: 'user', text: sanitize(event.text)});
					break;
				}
				const entry = this.streaming('agent');
				if (event.done) {
					if (entry) {
						entry.text = sanitize(event.text);
						entry.streaming = false;
					} else this.addAgent({kind: 'agent', text: sanitize(event.text), streaming: false});
				} else if (entry) entry.text = (entry.text + sanitizeToken(event.text)).slice(-streamCapacity);
				else this.addAgent({kind: 'agent', text: sanitizeToken(event.text), streaming: true});
				break;
			}
			case 'goal-changed':
				m.goalVersion++;
				break;
			case 'budget-changed':
				m.budgetSeconds = event.seconds;
				break;
			case 'model-changed':
				m.model = event.model;
				break;
			case 'gpu':
				m.gpus = event.gpus;
				break;
		}
	}
}

/** Streamed text keeps its line breaks (the pane wraps them); everything else untrusted goes. */
function sanitizeToken(text: string): string {
	return text
		.split('\n')
		.map(part => sanitize(part))
		.join('\n');
}
