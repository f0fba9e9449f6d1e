import type {EventListener, LoopEvent} from '../../source/core/events.js';
import type {ExperimentDetails, LoopControl} from '../../source/core/intents.js';

/** A LoopControl that records intents and lets a test emit events. */
export class FakeControl implements LoopControl {
	intents: Array<[string, ...unknown[]]> = [];
	goal = '---\nbudget: 60\n---\n# Goal\nLower val_bpb.\n';
	running = false;
	/** While set, quit() waits on it (a run still finishing). */
	hold: Promise<void> | undefined;
	/** When set, saveGoal() fails with it. */
	failSave: Error | undefined;
	private listeners = new Set<EventListener>();

	subscribe(listener: EventListener): () => void {
		this.listeners.add(listener);
		return () => this.listeners.delete(listener);
	}

	/** How many listen now (runTui must leave none behind). */
	listenerCount(): number {
		return this.listeners.size;
	}

	emit(event: LoopEvent): void {
		for (const l of this.listeners) l(event);
	}

	pause() {
		this.intents.push(['pause']);
	}
	resume() {
		this.intents.push(['resume']);
	}
	stopRun(worker?: string) {
		this.intents.push(worker === undefined ? ['stopRun'] : ['stopRun', worker]);
	}
	overrule(to: 'keep' | 'revert') {
		this.intents.push(['overrule', to]);
	}
	setBudget(seconds: number) {
		this.intents.push(['setBudget', seconds]);
	}
	setModel(model: string) {
		this.intents.push(['setModel', model]);
	}
	say(text: string) {
		this.intents.push(['say', text]);
	}
	ask(text: string) {
		this.intents.push(['ask', text]);
	}
	/** What details(n) answers (a test sets it). */
	detailsOf: (n: number) => ExperimentDetails = n => ({n, diff: '', logTail: [], summary: undefined});
	details(n: number) {
		this.intents.push(['details', n]);
		return Promise.resolve(this.detailsOf(n));
	}
	/** What changeSinceBaseline() answers. */
	change = '';
	changeSinceBaseline() {
		this.intents.push(['changeSinceBaseline']);
		return Promise.resolve(this.change);
	}
	seen: string | undefined = undefined;
	lastSeen() {
		return this.seen;
	}
	markSeen() {
		this.intents.push(['markSeen']);
	}
	showMemory() {
		this.intents.push(['showMemory']);
	}
	removeNote(id?: number) {
		this.intents.push(['removeNote', id]);
	}
	showNotes() {
		this.intents.push(['showNotes']);
	}
	async saveGoal(text: string) {
		this.intents.push(['saveGoal', text]);
		if (this.failSave) throw this.failSave;
		this.goal = text;
		this.emit({type: 'goal-changed'});
	}
	readGoal() {
		return this.goal;
	}
	async quit(mode: 'finish' | 'now') {
		this.intents.push(['quit', mode]);
		if (this.hold && mode === 'finish') await this.hold;
	}
}
