import {dispatch, type LoopEvent} from '../core/events.js';
import {sanitize} from '../core/sanitize.js';
import type {Snapshot} from './snapshot.js';
import {changed, StoreModel} from './store-model.js';

// Events -> what the screen shows. Fast-changing data (log lines, the loss
// series, streamed tokens) lives here, outside React; React sees a snapshot
// published only when something changed, and no more often than it needs:
// a change to the screen's structure (a result, a message, a state) within
// `1/fps` s; a log that streams, twice a second, on the clock's beat; a log
// that trickles (an idle run: a line a second) with the clock's next tick,
// so that a second costs one frame; the loss curve once a second. Parts
// that did not change keep their identity, so a pane whose inputs are the
// same is not drawn again. The clock ticks only while the screen listens
// and something counts (a run in progress, the loop working): an idle
// screen has no timer.

export type {AgentEntry, Experiment, LogLine, Point, ProposerActivity, RunView, Snapshot, WorkerView} from './snapshot.js';
export {agentCapacity} from './agent-log.js';
export {lineLimit, logCapacity, lossCapacity, LogRing} from './log-ring.js';

/** Log events since the last publish that make a log "streaming" (published on its own, not with the clock). */
const streamingLines = 3;
/** Internal: the clock ticked. */
const ticked = 16;

export class UiStore {
	private snapshot: Snapshot;
	private readonly model = new StoreModel();
	private listeners = new Set<() => void>();
	private dirty = 0;
	private logPending = 0;
	private timer: NodeJS.Timeout | undefined;
	private due = Infinity;
	private tick: NodeJS.Timeout | undefined;
	/** The run start the clock's ticks are aligned to. */
	private tickBase = 0;
	private clockUsers = 0;
	private lastLoss = -Infinity;
	private readonly interval: number;
	private readonly logInterval: number;
	private readonly lossInterval: number;
	/** Snapshots published so far (the benchmark and tests read it). */
	published = 0;
	/** Events taken in so far. */
	events = 0;

	constructor(fps = 10) {
		this.interval = 1000 / fps;
		this.logInterval = 5 * this.interval;
		this.lossInterval = 10 * this.interval;
		this.snapshot = this.build(undefined, Date.now());
	}

	subscribe = (listener: () => void): (() => void) => {
		this.listeners.add(listener);
		return () => this.listeners.delete(listener);
	};

	getSnapshot = (): Snapshot => this.snapshot;

	/** The loop's listener. */
	handle = (event: LoopEvent): void => {
		this.events++;
		this.changed(dispatch(this.model.handlers, event));
	};

	/** A message from the screen itself (a command's answer, a save). */
	note(kind: 'info' | 'warn' | 'error', text: string): void {
		this.model.agent.add({kind, text: text.split('\n').map(sanitize).join('\n')});
		this.changed(changed.structure);
	}

	/** The worker whose log and loss the screen shows. */
	get followed(): string {
		return this.model.follow;
	}

	/** Follows a worker (by hand: runs starting elsewhere then leave it alone); none given: the next one. */
	follow(worker?: string): string {
		const names = this.model.feeds.names;
		const next = worker ?? names[(names.indexOf(this.model.follow) + 1) % names.length]!;
		this.model.followed = next;
		this.model.followedByHand = true;
		this.changed(changed.run);
		return next;
	}

	/** While the screen is up: a tick a second whenever something counts down or turns. Returns the way to stop it. */
	startClock(): () => void {
		this.clockUsers++;
		this.clock();
		let stopped = false;
		return () => {
			if (stopped) return;
			stopped = true;
			this.clockUsers--;
			this.clock();
		};
	}

	dispose(): void {
		clearTimeout(this.timer);
		clearTimeout(this.tick);
		this.timer = this.tick = undefined;
		this.listeners.clear();
	}

	/** Publishes now, everything that changed (tests, and the first frame). */
	flush(): void {
		this.publish(true);
	}

	private changed(what: number): void {
		if (what === changed.none) return;
		this.dirty |= what;
		if (what & (changed.structure | changed.run)) {
			this.clock();
			return this.schedule(this.interval);
		}
		if (what & changed.log) {
			this.logPending++;
			// A publish already on its way takes this line too (the common case while a log streams: no clock read per line).
			if (this.timer) return;
			if (this.logPending >= streamingLines || !this.tick) this.schedule(this.onGrid(this.logInterval));
		}
		if (what & changed.loss && !this.tick) this.schedule(Math.max(this.logInterval, this.lastLoss + this.lossInterval - Date.now()));
	}

	/**
	 * At least `ms` from now, on the clock's half-second grid while it ticks:
	 * a streaming log's frames then fall on the tick's every other time, and
	 * the two make one frame, not two.
	 */
	private onGrid(ms: number): number {
		if (!this.tick) return ms;
		const phase = (((Date.now() - this.tickBase) % 500) + 500) % 500;
		return ms + ((((502 - phase - ms) % 500) + 500) % 500);
	}

	private schedule(ms: number): void {
		const at = Date.now() + ms;
		if (this.timer && this.due <= at) return;
		clearTimeout(this.timer);
		this.due = at;
		this.timer = setTimeout(() => {
			this.timer = undefined;
			this.due = Infinity;
			this.publish(false);
		}, ms);
	}

	private clock(): void {
		const wanted = this.clockUsers > 0 && this.model.counting();
		if (!wanted || this.tick) {
			if (!wanted && this.tick) {
				clearTimeout(this.tick);
				this.tick = undefined;
			}
			return;
		}
		// On the followed run's whole seconds, when its countdown moves (2 ms after, so it has).
		const feeds = this.model.feeds;
		const base = feeds.get(this.model.follow).run?.startedAt ?? feeds.runs()[0]?.startedAt ?? 0;
		this.tickBase = base;
		const phase = (((Date.now() - base) % 1000) + 1000) % 1000;
		this.tick = setTimeout(() => {
			this.tick = undefined;
			this.dirty |= ticked;
			this.publish(false);
			this.clock();
		}, 1002 - phase);
	}

	private publish(force: boolean): void {
		const d = this.dirty;
		if (d === 0) return;
		const now = Date.now();
		// A slack of one interval: ticks a second apart must not miss each other by a millisecond.
		const lossDue = force || (d & changed.run) !== 0 || now - this.lastLoss >= this.lossInterval - this.interval;
		const loss = (d & (changed.loss | changed.run)) !== 0 && lossDue;
		if (d === changed.loss && !loss) {
			if (!this.tick) this.schedule(this.lastLoss + this.lossInterval - now);
			return;
		}
		const previous = this.snapshot;
		this.snapshot = this.build(previous, now, {
			structure: (d & (changed.structure | changed.run | ticked)) !== 0,
			log: (d & (changed.log | changed.run)) !== 0,
			loss,
		});
		this.dirty = d & changed.loss && !loss ? changed.loss : 0;
		if (loss) this.lastLoss = now;
		if (this.dirty && !this.tick) this.schedule(this.lastLoss + this.lossInterval - now);
		this.logPending = 0;
		this.published++;
		for (const listener of this.listeners) listener();
	}

	private build(previous: Snapshot | undefined, now: number, fresh = {structure: true, log: true, loss: true}): Snapshot {
		const model = this.model;
		const feed = model.feeds.get(model.follow);
		return {
			...model.cheap,
			version: (previous?.version ?? 0) + 1,
			now: fresh.structure || !previous ? now : previous.now,
			followed: feed.name,
			workers: fresh.structure || !previous ? model.feeds.views() : previous.workers,
			runs: fresh.structure || !previous ? model.feeds.runs() : previous.runs,
			...(feed.run ? {run: feed.run} : {}),
			...(feed.lastRun ? {lastRun: feed.lastRun} : {}),
			log: fresh.log || !previous ? feed.ring.view() : previous.log,
			logTotal: feed.ring.total,
			loss: fresh.loss || !previous ? feed.loss.slice() : previous.loss,
			agent: model.agent.dirty || !previous ? model.agent.take() : previous.agent,
		};
	}
}
