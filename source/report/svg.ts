import {formatMetric} from '../core/metric.js';
import type {ChartPoint, ProgressChart} from '../core/plot.js';

// The progress chart as SVG, written by hand: a scatter, a step line, axes
// and a legend are a few dozen elements, and no charting library would be
// lighter than this file (nor run without a DOM). It needs nothing but the
// report's data, so the chart exists on every machine; matplotlib's PNG
// (core/plot.ts) is drawn from the same data where it is installed. Every
// experiment is one element of class `mark` (with its number in data-n and
// a <title> a viewer shows on hover).

const width = 960;
const height = 540;
const area = {left: 84, right: width - 24, top: 56, bottom: height - 64};
const colors = {
	keep: '#2ecc71',
	keepEdge: '#000000',
	best: '#27ae60',
	label: '#1a7a3a',
	discard: '#bbbbbb',
	off: '#888888',
	crash: '#e74c3c',
};

/** Text and attribute values, escaped for XML. */
export function xml(text: string): string {
	return text.replace(/[&<>"']/g, c => ({'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;'})[c]!);
}

/** Round-number ticks across [low, high]: about `count` of them, on steps of 1, 2 or 5 times a power of ten. */
export function ticks(low: number, high: number, count = 6): {values: number[]; decimals: number} {
	const span = high - low;
	if (!(span > 0) || !Number.isFinite(span)) return {values: [low], decimals: 2};
	const raw = span / count;
	const power = 10 ** Math.floor(Math.log10(raw));
	const step = [1, 2, 5, 10].map(k => k * power).find(s => s >= raw) ?? 10 * power;
	const values: number[] = [];
	for (let v = Math.ceil(low / step) * step; v <= high + step * 1e-9; v += step) values.push(Number(v.toPrecision(12)));
	return {values, decimals: Math.min(8, Math.max(0, -Math.floor(Math.log10(step))))};
}

const f = (x: number): string => (Math.round(x * 10) / 10).toString();

function truncate(text: string, max: number): string {
	return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

export function progressSvg(chart: ProgressChart): string {
	const [x0, x1] = chart.x;
	const [y0, y1] = chart.y;
	const sx = (n: number): number => area.left + ((n - x0 + 0.5) / (x1 - x0 + 1)) * (area.right - area.left);
	const sy = (v: number): number => area.bottom - ((v - y0) / (y1 - y0)) * (area.bottom - area.top);
	const lower = chart.direction === 'lower';
	/** The edge where values worse than the range (and crashes) are drawn. */
	const worseEdge = lower ? area.top : area.bottom;
	const inRange = (v: number): boolean => v >= y0 && v <= y1;
	const out: string[] = [];
	out.push(
		`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
		`<title>${xml(chart.title)}</title>`,
		`<rect width="${width}" height="${height}" fill="#ffffff"/>`,
	);

	// Grid, ticks and axes.
	const yt = ticks(y0, y1);
	for (const v of yt.values) {
		out.push(
			`<line class="grid" x1="${area.left}" x2="${area.right}" y1="${f(sy(v))}" y2="${f(sy(v))}" stroke="#000000" stroke-opacity="0.08"/>`,
			`<text x="${area.left - 8}" y="${f(sy(v) + 4)}" text-anchor="end" fill="#333333">${v.toFixed(yt.decimals)}</text>`,
		);
	}
	const xt = ticks(x0, x1, Math.min(10, x1 - x0 + 1));
	for (const n of xt.values.filter(Number.isInteger)) {
		out.push(
			`<line class="grid" x1="${f(sx(n))}" x2="${f(sx(n))}" y1="${area.top}" y2="${area.bottom}" stroke="#000000" stroke-opacity="0.08"/>`,
			`<text x="${f(sx(n))}" y="${area.bottom + 18}" text-anchor="middle" fill="#333333">${n}</text>`,
		);
	}
	out.push(
		`<rect x="${area.left}" y="${area.top}" width="${area.right - area.left}" height="${area.bottom - area.top}" fill="none" stroke="#333333"/>`,
		`<text x="${(area.left + area.right) / 2}" y="${height - 20}" text-anchor="middle" font-size="14">experiment #</text>`,
		`<text transform="translate(22 ${(area.top + area.bottom) / 2}) rotate(-90)" text-anchor="middle" font-size="14">${xml(chart.metric)} (${chart.direction} is better)</text>`,
		`<text x="${width / 2}" y="32" text-anchor="middle" font-size="17">${xml(chart.title)}</text>`,
	);

	const tip = (p: ChartPoint): string =>
		`<title>${xml(`#${p.n} ${p.status} ${p.value === null ? '(no value)' : formatMetric(p.value)}: ${p.description}`)}</title>`;
	const mark = (p: ChartPoint, kind: string, body: string): string => `<g class="mark ${kind}" data-n="${p.n}">${body}${tip(p)}</g>`;

	// Discards (faint), off-the-chart ones and crashes on the worse edge, then the best line, then the keeps on top.
	for (const p of chart.points) {
		if (p.status !== 'discard') continue;
		const x = sx(p.n);
		if (p.value !== null && inRange(p.value)) {
			out.push(mark(p, 'discard', `<circle cx="${f(x)}" cy="${f(sy(p.value))}" r="4" fill="${colors.discard}" fill-opacity="0.8"/>`));
		} else {
			const tipY = lower ? worseEdge - 5 : worseEdge + 5;
			const baseY = lower ? worseEdge + 4 : worseEdge - 4;
			out.push(
				mark(
					p,
					'discard off',
					`<path d="M${f(x)} ${f(tipY)} L${f(x - 4.5)} ${f(baseY)} L${f(x + 4.5)} ${f(baseY)} Z" fill="none" stroke="${colors.off}"/>`,
				),
			);
		}
	}
	for (const p of chart.points) {
		if (p.status !== 'crash') continue;
		const x = sx(p.n);
		const y = worseEdge;
		out.push(
			mark(
				p,
				'crash',
				`<path d="M${f(x - 4)} ${f(y - 4)} L${f(x + 4)} ${f(y + 4)} M${f(x - 4)} ${f(y + 4)} L${f(x + 4)} ${f(y - 4)}" stroke="${colors.crash}" stroke-width="2"/>`,
			),
		);
	}
	const clampY = (v: number): number => sy(Math.min(y1, Math.max(y0, v)));
	if (chart.best.length > 0) {
		const [first, ...rest] = chart.best;
		let d = `M${f(sx(first!.n))} ${f(clampY(first!.value))}`;
		for (const b of rest) d += ` H${f(sx(b.n))} V${f(clampY(b.value))}`;
		d += ` H${f(sx(x1))}`;
		out.push(`<path class="best" d="${d}" fill="none" stroke="${colors.best}" stroke-width="2" stroke-opacity="0.8"/>`);
	}
	const keeps = chart.points.filter(p => p.status === 'keep' && p.value !== null);
	for (const p of keeps) {
		out.push(
			mark(
				p,
				'keep',
				`<circle cx="${f(sx(p.n))}" cy="${f(clampY(p.value!))}" r="6" fill="${colors.keep}" stroke="${colors.keepEdge}" stroke-width="0.6"/>`,
			),
		);
	}
	for (const p of keeps.slice(1)) {
		const x = sx(p.n) + 7;
		const y = clampY(p.value!) - 7;
		out.push(
			`<text class="label" x="${f(x)}" y="${f(y)}" transform="rotate(-30 ${f(x)} ${f(y)})" font-size="10" fill="${colors.label}">${xml(truncate(p.description, 42))}</text>`,
		);
	}

	// The legend, in the corner away from where the best goes.
	const lx = area.right - 190;
	const ly = lower ? area.top + 12 : area.bottom - 84;
	const has = (test: (p: ChartPoint) => boolean): boolean => chart.points.some(test);
	const off = (p: ChartPoint): boolean => p.status === 'discard' && (p.value === null || !inRange(p.value));
	const legend: Array<[string, string, boolean]> = [
		['kept', `<circle cx="10" cy="0" r="6" fill="${colors.keep}" stroke="${colors.keepEdge}" stroke-width="0.6"/>`, keeps.length > 0],
		['running best', `<line x1="0" x2="20" y1="0" y2="0" stroke="${colors.best}" stroke-width="2"/>`, chart.best.length > 0],
		['discarded', `<circle cx="10" cy="0" r="4" fill="${colors.discard}"/>`, has(p => p.status === 'discard' && !off(p))],
		['discarded, off the chart', `<path d="M10 -5 L5.5 4 L14.5 4 Z" fill="none" stroke="${colors.off}"/>`, has(off)],
		['crashed', `<path d="M6 -4 L14 4 M6 4 L14 -4" stroke="${colors.crash}" stroke-width="2"/>`, has(p => p.status === 'crash')],
	];
	const rows = legend.filter(([, , shown]) => shown);
	out.push(
		`<g class="legend" transform="translate(${lx} ${ly})"><rect x="-8" y="-12" width="184" height="${rows.length * 16 + 8}" fill="#ffffff" fill-opacity="0.9" stroke="#cccccc"/>`,
	);
	rows.forEach(([label, symbol], i) => out.push(`<g transform="translate(0 ${i * 16})">${symbol}<text x="28" y="4">${label}</text></g>`));
	out.push('</g>', '</svg>');
	return out.join('\n') + '\n';
}
