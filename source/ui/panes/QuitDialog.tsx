import React from 'react';
import {Frame} from '../frame.js';
import type {Line} from '../text.js';

export type QuitStage = 'ask' | 'finishing';

export function quitLines(stage: QuitStage, running: boolean): Line[] {
	if (stage === 'finishing') {
		return [[{text: 'Waiting for the run to finish and be recorded; nightshift exits then.', color: 'yellow'}], [{text: 'Ctrl+C twice: stop it now (recorded as crash).', dim: true}]];
	}
	if (!running) return [[{text: 'Quit nightshift? ', bold: true}, {text: 'y', bold: true, color: 'cyan'}, {text: ' yes · '}, {text: 'n', bold: true, color: 'cyan'}, {text: ' no'}]];
	return [
		[{text: 'A run is in progress.', bold: true}],
		[{text: 'f', bold: true, color: 'cyan'}, {text: ' let it finish and be recorded, then quit'}],
		[{text: 's', bold: true, color: 'cyan'}, {text: ' stop it now (recorded as crash) and quit'}],
		[{text: 'Esc', bold: true, color: 'cyan'}, {text: ' keep running'}],
	];
}

export function QuitDialog({stage, running, width, height}: {stage: QuitStage; running: boolean; width: number; height: number}) {
	return <Frame title="Quit" width={width} height={height} focused lines={quitLines(stage, running)} />;
}
