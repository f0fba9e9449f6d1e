import type {LoopState} from '../core/events.js';
import type {ProposerActivity} from './snapshot.js';

// Whether the loop is busy with something that has no countdown (proposing,
// starting, stopping): the status bar's spinner turns then, and the store's
// clock ticks for it. Kept apart from the panes so the store, which loads
// before React, can ask too.

export function isWorking(p: {state: LoopState; run?: unknown; proposer?: ProposerActivity}): boolean {
	return !p.run && (p.state === 'proposing' || p.state === 'starting' || p.state === 'stopping' || p.proposer !== undefined);
}
