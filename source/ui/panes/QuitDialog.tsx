import {Frame} from '../frame.js';
import type {Line} from '../text.js';

// The questions asked on the way out: what to do with unsaved goal edits,
// what to do with a run in progress; then what the screen waits for.

/**
 * `unsaved`: program.md has unsaved edits, save or drop them. `ask`: a run is
 * in progress, what to do with it. `finishing`: waiting for it. `stopping`:
 * killing it. `quitting`: no run, closing.
 */
export type QuitStage = 'unsaved' | 'ask' | 'finishing' | 'stopping' | 'quitting';

export function quitLines(stage: QuitStage): Line[] {
	if (stage === 'unsaved') {
		return [
			[{text: 'program.md has edits that are not saved. Quit and…', bold: true}],
			[],
			[{text: '  s', bold: true, color: 'cyan'}, {text: '   save them first'}],
			[{text: '  d', bold: true, color: 'cyan'}, {text: '   drop them'}],
			[{text: '  Esc', bold: true, color: 'cyan'}, {text: ' cancel: keep editing'}],
		];
	}
	if (stage === 'finishing') {
		return [
			[{text: 'Waiting for the run to finish and be recorded;', color: 'yellow', bold: true}],
			[{text: 'nightshift quits then.', color: 'yellow'}],
			[],
			[{text: 'Ctrl+C twice: stop it now (recorded as crash).', dim: true}],
		];
	}
	if (stage === 'stopping') return [[{text: 'Stopping: the run is killed and recorded as crash…', color: 'yellow', bold: true}]];
	if (stage === 'quitting') return [[{text: 'Quitting…', color: 'yellow', bold: true}]];
	return [
		[{text: 'An experiment is running. Quit and…', bold: true}],
		[],
		[{text: '  f', bold: true, color: 'cyan'}, {text: '   let it finish and be recorded'}],
		[{text: '  s', bold: true, color: 'cyan'}, {text: '   stop it now, recorded as crash'}],
		[{text: '  Esc', bold: true, color: 'cyan'}, {text: ' cancel: keep going'}],
	];
}

export const quitDialogSize = {width: 52, height: 9};

export function QuitDialog({stage, width, height}: {stage: QuitStage; width: number; height: number}) {
	return <Frame title="Quit" width={width} height={height} focused lines={quitLines(stage)} />;
}
