import {execFileSync, spawnSync} from 'node:child_process';
import {torchPython} from '../support/workspace.js';

// Reading the report's pictures in tests: the SVG through a real XML parser
// (Python's xml.etree, in every Python; no npm dependency for it), the PNG
// by its signature.

export type ParsedSvg = {root: string; width: string | null; marks: Array<{kind: string; n: number; title: string}>};

const parse = `
import json, sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
ns = "{http://www.w3.org/2000/svg}"
marks = []
for el in root.iter():
    cls = (el.get("class") or "").split()
    if "mark" in cls:
        title = el.find(ns + "title")
        marks.append({"kind": " ".join(c for c in cls if c != "mark"), "n": int(el.get("data-n")), "title": title.text if title is not None else ""})
print(json.dumps({"root": root.tag.replace(ns, ""), "width": root.get("width"), "marks": marks}))
`;

/** Parses an SVG file with an XML parser; throws when it is not well-formed XML. */
export function parseSvg(file: string): ParsedSvg {
	return JSON.parse(execFileSync(torchPython, ['-c', parse, file], {encoding: 'utf8'})) as ParsedSvg;
}

/** True when the Python the tests use can import matplotlib (the report then draws a PNG too). */
export const hasMatplotlib = spawnSync(torchPython, ['-c', 'import matplotlib'], {stdio: 'ignore'}).status === 0;

export const pngSignature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
