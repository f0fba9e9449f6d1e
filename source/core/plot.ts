import {exec} from './exec.js';
import type {Direction} from './types.js';

// The progress chart as a PNG, drawn by matplotlib where the arena's Python
// has it (the report always writes an SVG of its own; this is the picture
// people paste where SVG is not shown). The chart's data is computed by the
// report and passed as JSON on stdin, so the two pictures cannot disagree.
// A Python without matplotlib is an answer, not an error.

/** One experiment on the chart: its judged metric (null for a crash). */
export type ChartPoint = {n: number; value: number | null; status: 'keep' | 'discard' | 'crash'; description: string};

export type ProgressChart = {
	title: string;
	metric: string;
	direction: Direction;
	/** One per experiment, in order. */
	points: ChartPoint[];
	/** The running best: a step at each keep, held to the last experiment. */
	best: Array<{n: number; value: number}>;
	/** The x and y ranges shown; values beyond y are drawn at its worse edge, marked as off the chart. */
	x: [number, number];
	y: [number, number];
};

export type PlotResult = {ok: true} | {ok: false; reason: string};

const noMatplotlib = 3;

const script = `
import json, sys
try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except Exception as error:
    sys.stderr.write("%s\\n" % error)
    sys.exit(${noMatplotlib})
chart = json.load(sys.stdin)
lo, hi = chart["y"]
lower = chart["direction"] == "lower"
worse = hi if lower else lo
points = chart["points"]
fig, ax = plt.subplots(figsize=(12, 6))
def xs(items): return [p["n"] for p in items]
inside = [p for p in points if p["status"] == "discard" and lo <= p["value"] <= hi]
outside = [p for p in points if p["status"] == "discard" and not lo <= p["value"] <= hi]
kept = [p for p in points if p["status"] == "keep"]
crashed = [p for p in points if p["status"] == "crash"]
if inside:
    ax.scatter(xs(inside), [p["value"] for p in inside], c="#bbbbbb", s=16, alpha=0.8, zorder=2, label="discarded")
if outside:
    ax.scatter(xs(outside), [worse] * len(outside), marker="^" if lower else "v", facecolors="none", edgecolors="#888888", s=28, zorder=2, clip_on=False, label="discarded, off the chart")
if crashed:
    ax.scatter(xs(crashed), [worse] * len(crashed), marker="x", c="#e74c3c", s=30, zorder=3, clip_on=False, label="crashed")
best = chart["best"]
if best:
    ax.step(xs(best) + [chart["x"][1]], [b["value"] for b in best] + [best[-1]["value"]], where="post", color="#27ae60", linewidth=2, alpha=0.8, zorder=3, label="running best")
if kept:
    ax.scatter(xs(kept), [p["value"] for p in kept], c="#2ecc71", s=50, edgecolors="black", linewidths=0.5, zorder=4, label="kept")
    for p in kept[1:]:
        text = p["description"] if len(p["description"]) <= 40 else p["description"][:39] + "…"
        ax.annotate(text, (p["n"], p["value"]), textcoords="offset points", xytext=(6, 6), fontsize=8, color="#1a7a3a", rotation=30, ha="left", va="bottom")
ax.set_xlim(chart["x"][0] - 0.5, chart["x"][1] + 0.5)
ax.set_ylim(lo, hi)
ax.set_xlabel("experiment #")
ax.set_ylabel("%s (%s is better)" % (chart["metric"], chart["direction"]))
ax.set_title(chart["title"])
ax.grid(True, alpha=0.2)
ax.legend(loc="upper right" if lower else "lower right", fontsize=9)
fig.tight_layout()
fig.savefig(sys.argv[1], dpi=150)
`;

/** Draws `chart` to `out` (a .png) with `python`'s matplotlib; says why not when it cannot. */
export async function plotPng(python: string, chart: ProgressChart, out: string): Promise<PlotResult> {
	const result = await exec(python, ['-c', script, out], {
		input: JSON.stringify(chart),
		reject: false,
		timeout: 120_000,
		stdout: 'ignore',
		stderr: 'pipe',
	});
	if (!result.failed) return {ok: true};
	const said = typeof result.stderr === 'string' ? (result.stderr.trim().split('\n').at(-1) ?? '') : '';
	if (result.exitCode === noMatplotlib) return {ok: false, reason: `${python} has no matplotlib (${said})`};
	if (result.exitCode === undefined) return {ok: false, reason: `${python} could not run (${result.shortMessage ?? 'not found'})`};
	return {ok: false, reason: `matplotlib failed (exit ${result.exitCode}${said ? `: ${said}` : ''})`};
}
