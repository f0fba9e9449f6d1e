import {mkdirSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {writeFileAtomic} from '../core/fsutil.js';
import {plotPng} from '../core/plot.js';
import {readReport, ReportError} from '../report/data.js';
import {reportMarkdown, type ReportImages} from '../report/markdown.js';
import {progressSvg} from '../report/svg.js';
import {loadSettings} from '../settings.js';
import type {ReportOptions} from './args.js';
import {exitCodes, fail, writeRaw} from './io.js';

// `nightshift report`: the session as Markdown for a pull request (or its
// data as JSON), with the progress chart beside it: an SVG always, a PNG
// where the Python the runs used (or --python) has matplotlib. Reads runs/
// only; works while a loop runs, after it stopped, or on a copy.

/** Where the chart goes: beside --out's file, else in the runs folder. */
function chartFolder(options: ReportOptions, runsDir: string): string {
	return options.out ? path.dirname(path.resolve(options.out)) : runsDir;
}

/** A link to `file` from the Markdown: relative to its folder (--out), else to the current folder. */
function link(file: string, from: string): string {
	return path.relative(from, file).split(path.sep).join('/');
}

export async function report(options: ReportOptions): Promise<number> {
	const runsDir = path.resolve(options.runs ?? path.join(options.workspace ?? '.', 'runs'));
	let data;
	try {
		data = readReport({...(options.workspace ? {workspace: path.resolve(options.workspace)} : {}), runsDir});
	} catch (error) {
		if (error instanceof ReportError) fail(error.message);
		throw error;
	}
	const folder = chartFolder(options, runsDir);
	mkdirSync(folder, {recursive: true});
	const svg = path.join(folder, 'progress.svg');
	writeFileAtomic(svg, progressSvg(data.chart));
	const png = path.join(folder, 'progress.png');
	const settings = loadSettings();
	const python = options.python ?? data.session.python ?? (settings.python || process.env.NIGHTSHIFT_PYTHON || 'python3');
	const plotted = await plotPng(python, data.chart, png);
	const from = options.out ? path.dirname(path.resolve(options.out)) : process.cwd();
	const images: ReportImages = {
		svg: link(svg, from),
		...(plotted.ok ? {png: link(png, from)} : {pngSkipped: plotted.reason}),
	};
	const text = options.json
		? JSON.stringify({...data, images: {svg, ...(plotted.ok ? {png} : {pngSkipped: plotted.reason})}}, null, 2) + '\n'
		: reportMarkdown(data, images);
	if (options.out) {
		writeFileSync(path.resolve(options.out), text);
		process.stderr.write(`nightshift: wrote ${options.out}\n`);
	} else {
		writeRaw(text);
	}
	process.stderr.write(`nightshift: the chart is ${svg}${plotted.ok ? ` and ${png}` : ` (no PNG: ${plotted.reason})`}\n`);
	return exitCodes.finished;
}
