import {execa} from 'execa';

/**
 * execa with the defaults every child of nightshift wants. `cleanup: false`:
 * the loop ends its children itself (a run's whole process group, on quit,
 * timeout or /stop), and execa's exit hook would add signal handlers of its
 * own beside the loop's.
 */
export const exec = execa({cleanup: false});
