import {LogRing, pushPoint} from './log-ring.js';
import type {Point, RunView, WorkerView} from './snapshot.js';

// What each worker streams: its run, its log ring and its loss series. The
// store keeps one feed per worker (w0, w1, ...; an event without a worker is
// the first one's) and publishes only the followed one's log and loss, so
// the lines of a worker nobody watches cost no frame at all.

export type Feed = {
	name: string;
	gpu?: number;
	ring: LogRing;
	loss: Point[];
	run?: RunView;
	lastRun?: {n: number; commit: string};
};

/** Finished runs whose loss curve is kept, should one of them become the best (after its re-runs, or a /keep). */
const curvesKept = 8;

export class Feeds {
	private feeds = new Map<string, Feed>();
	private order: string[] = [];
	/** Loss curves of the runs that ended last, by experiment number. */
	private curves = new Map<number, Point[]>();
	/** Moves with every change to a run or a worker, so that views() and runs() keep their identity otherwise. */
	private version = 0;
	private made: {version: number; views: WorkerView[]; runs: RunView[]} | undefined;

	/** The workers the session names, in its order (the first is the one events without a worker belong to). */
	configure(workers: ReadonlyArray<{name: string; gpu?: number}>): void {
		for (const w of workers) {
			const feed = this.get(w.name);
			if (w.gpu !== undefined) feed.gpu = w.gpu;
		}
		const named = workers.map(w => w.name);
		this.order = [...named, ...this.order.filter(n => !named.includes(n))];
		this.version++;
	}

	get first(): string {
		return this.order[0] ?? 'w0';
	}

	get names(): readonly string[] {
		return this.order.length > 0 ? this.order : [this.first];
	}

	/** The feed of a worker, made when first named. */
	get(worker: string | undefined): Feed {
		const name = worker ?? this.first;
		let feed = this.feeds.get(name);
		if (!feed) {
			feed = {name, ring: new LogRing(), loss: []};
			this.feeds.set(name, feed);
			if (!this.order.includes(name)) this.order.push(name);
			this.version++;
		}
		return feed;
	}

	/** The feed running experiment `n`, if any. */
	running(n: number): Feed | undefined {
		for (const feed of this.feeds.values()) if (feed.run?.n === n) return feed;
		return undefined;
	}

	/** Sets (or clears) the run of a worker; a run object is never changed in place. */
	setRun(feed: Feed, run: RunView | undefined): void {
		if (run) feed.run = run;
		else delete feed.run;
		this.version++;
	}

	start(feed: Feed, run: RunView): void {
		this.setRun(feed, run);
		feed.lastRun = {n: run.n, commit: run.commit};
		feed.ring.clear();
		feed.loss = [];
	}

	progress(feed: Feed, point: Point): boolean {
		if (!feed.run) return false;
		feed.loss = pushPoint(feed.loss, point);
		return true;
	}

	/** The run of `feed` ended: its curve is kept for a while under its experiment's number. */
	end(feed: Feed): void {
		const run = feed.run;
		if (!run) return;
		if (feed.loss.length > 0) {
			this.curves.set(run.of ?? run.n, feed.loss);
			while (this.curves.size > curvesKept) this.curves.delete(this.curves.keys().next().value!);
		}
		this.setRun(feed, undefined);
	}

	curve(n: number): Point[] | undefined {
		return this.curves.get(n);
	}

	/** Every run in progress, in the workers' order (the same array until one changes). */
	runs(): readonly RunView[] {
		return this.make().runs;
	}

	/** Every worker (the same array until one changes). */
	views(): readonly WorkerView[] {
		return this.make().views;
	}

	private make(): {views: WorkerView[]; runs: RunView[]} {
		if (this.made?.version === this.version) return this.made;
		const views = this.names.map(name => {
			const f = this.get(name);
			return {
				name,
				...(f.gpu !== undefined ? {gpu: f.gpu} : {}),
				...(f.run ? {run: f.run} : {}),
				...(f.lastRun ? {lastRun: f.lastRun} : {}),
			};
		});
		const runs = views.flatMap(v => (v.run ? [v.run] : []));
		this.made = {version: this.version, views, runs};
		return this.made;
	}
}
