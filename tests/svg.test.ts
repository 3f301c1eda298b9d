import { describe, expect, it } from "vitest";
import { attentionHeatmapSvg, escapeXml, lossChartSvg, niceTicks } from "../src/cli/svg.js";
import { ArgumentError, ShapeError } from "../src/runtime/errors.js";

// A small, strict XML well-formedness checker (no DOM in Node): balanced tags, one root, quoted
// attributes without "<", no duplicate attributes, only the five named entities and character
// references, no characters XML 1.0 forbids. Returns every element with its attributes and text.
interface Element {
  name: string;
  attrs: Record<string, string>;
  text: string;
  parent: Element | undefined;
}

const ENTITY = /^&(?:amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);/;
const NAME = /^[A-Za-z_][\w.:-]*/;

function decodeEntities(s: string, where: number): string {
  let out = "";
  for (let i = 0; i < s.length; i++) {
    if (s[i] !== "&") {
      out += s[i];
      continue;
    }
    const m = ENTITY.exec(s.slice(i));
    if (!m) throw new Error(`bad entity at ${where + i}: ${s.slice(i, i + 10)}`);
    const e = m[0];
    out += ({ "&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"', "&apos;": "'" } as Record<string, string>)[e]
      ?? String.fromCodePoint(e[2] === "x" ? parseInt(e.slice(3, -1), 16) : parseInt(e.slice(2, -1), 10));
    i += e.length - 1;
  }
  return out;
}

function parseXml(src: string): Element[] {
  if (/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/.test(src)) throw new Error("character not allowed in XML");
  if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(src)) throw new Error("lone surrogate");
  const elements: Element[] = [];
  const stack: Element[] = [];
  let roots = 0;
  let i = 0;
  if (src.startsWith("<?xml")) i = src.indexOf("?>") + 2;
  while (i < src.length) {
    const lt = src.indexOf("<", i);
    const text = src.slice(i, lt < 0 ? src.length : lt);
    if (text.length > 0) {
      const decoded = decodeEntities(text, i);
      if (stack.length === 0) {
        if (decoded.trim() !== "") throw new Error(`text outside the root at ${i}`);
      } else stack[stack.length - 1]!.text += decoded;
    }
    if (lt < 0) break;
    i = lt;
    if (src.startsWith("<!--", i)) {
      const end = src.indexOf("-->", i);
      if (end < 0) throw new Error("unterminated comment");
      i = end + 3;
      continue;
    }
    if (src.startsWith("</", i)) {
      const m = NAME.exec(src.slice(i + 2));
      if (!m) throw new Error(`bad end tag at ${i}`);
      const j = i + 2 + m[0].length;
      const close = /^\s*>/.exec(src.slice(j));
      if (!close) throw new Error(`bad end tag at ${i}`);
      const open = stack.pop();
      if (!open || open.name !== m[0]) throw new Error(`</${m[0]}> at ${i} closes <${open?.name}>`);
      i = j + close[0].length;
      continue;
    }
    const m = NAME.exec(src.slice(i + 1));
    if (!m) throw new Error(`bad start tag at ${i}`);
    const el: Element = { name: m[0], attrs: {}, text: "", parent: stack[stack.length - 1] };
    let j = i + 1 + m[0].length;
    for (;;) {
      const ws = /^\s*/.exec(src.slice(j))![0];
      j += ws.length;
      if (src.startsWith("/>", j)) {
        j += 2;
        break;
      }
      if (src[j] === ">") {
        j += 1;
        stack.push(el);
        break;
      }
      if (ws.length === 0) throw new Error(`missing space before attribute at ${j}`);
      const a = /^([A-Za-z_][\w.:-]*)\s*=\s*(["'])/.exec(src.slice(j));
      if (!a) throw new Error(`bad attribute at ${j}: ${src.slice(j, j + 20)}`);
      const valueStart = j + a[0].length;
      const valueEnd = src.indexOf(a[2]!, valueStart);
      if (valueEnd < 0) throw new Error(`unterminated attribute at ${j}`);
      const raw = src.slice(valueStart, valueEnd);
      if (raw.includes("<")) throw new Error(`"<" in attribute at ${j}`);
      if (a[1]! in el.attrs) throw new Error(`duplicate attribute ${a[1]} at ${j}`);
      el.attrs[a[1]!] = decodeEntities(raw, valueStart);
      j = valueEnd + 1;
    }
    if (!el.parent) roots++;
    elements.push(el);
    i = j;
  }
  if (stack.length > 0) throw new Error(`unclosed <${stack[stack.length - 1]!.name}>`);
  if (roots !== 1) throw new Error(`expected one root element, found ${roots}`);
  return elements;
}

const texts = (els: Element[]) => els.filter((e) => e.name === "text").map((e) => e.text);
const paths = (els: Element[]) => els.filter((e) => e.name === "path" && e.attrs.class === "series");
const NASTY = `a<b & c>"d" 'e'`;

describe("the test's XML checker", () => {
  it("accepts well-formed XML and rejects malformed XML", () => {
    expect(parseXml(`<?xml version="1.0"?><a x="1"><b y='&lt;'/>t &amp; &#233;<!-- c --></a>`).map((e) => e.name)).toEqual(["a", "b"]);
    for (const bad of [
      "<a><b></a></b>", "<a>", "<a></a><b></b>", "<a x=1></a>", `<a x="<"></a>`, "<a>&nbsp;</a>", "<a>& </a>",
      `<a x="1" x="2"></a>`, "<a>\u0001</a>", "text<a></a>", `<a x="1"y="2"></a>`,
    ]) {
      expect(() => parseXml(bad), bad).toThrow();
    }
  });
});

describe("escapeXml", () => {
  it("escapes markup characters and replaces characters XML forbids", () => {
    expect(escapeXml(NASTY)).toBe("a&lt;b &amp; c&gt;&quot;d&quot; &apos;e&apos;");
    expect(escapeXml("ok é 🐱 太")).toBe("ok é 🐱 太");
    expect(escapeXml("a\u0000b\u001Fc\uD800d\uFFFF")).toBe("a\uFFFDb\uFFFDc\uFFFDd\uFFFD");
    expect(escapeXml("tab\tnl\n")).toBe("tab\tnl\n");
  });
});

describe("niceTicks", () => {
  it("picks round steps covering the range", () => {
    expect(niceTicks(0, 3000, 7)).toMatchObject({ lo: 0, hi: 3000, step: 500 });
    const t = niceTicks(1.13, 5.47, 6);
    expect(t.step).toBe(1);
    expect(t.ticks).toEqual([1, 2, 3, 4, 5, 6]);
    const flat = niceTicks(2, 2);
    expect(flat.lo).toBeLessThan(2);
    expect(flat.hi).toBeGreaterThan(2);
    const tiny = niceTicks(0.0012, 0.0019, 5);
    expect(tiny.lo).toBeLessThanOrEqual(0.0012);
    expect(tiny.hi).toBeGreaterThanOrEqual(0.0019);
  });
});

describe("lossChartSvg", () => {
  const train = Array.from({ length: 200 }, (_, i) => ({ x: i, y: 3 * Math.exp(-i / 40) + 1 }));
  const validation = Array.from({ length: 11 }, (_, i) => ({ x: i * 20, y: 3 * Math.exp(-i / 2) + 1.2 }));

  it("is well-formed standalone SVG with one path per series, distinct colours and a legend", () => {
    const svg = lossChartSvg([{ name: "train", points: train }, { name: "validation", points: validation }], {
      title: "Loss", xLabel: "step", yLabel: "cross-entropy",
    });
    const els = parseXml(svg);
    expect(els[0]!.name).toBe("svg");
    expect(els[0]!.attrs.xmlns).toBe("http://www.w3.org/2000/svg");
    expect([els[0]!.attrs.width, els[0]!.attrs.height]).toEqual(["640", "400"]);
    const ps = paths(els);
    expect(ps).toHaveLength(2);
    expect(new Set(ps.map((p) => p.attrs.stroke)).size).toBe(2);
    expect(ps[0]!.attrs.d!.match(/[ML]/g)).toHaveLength(200);
    const t = texts(els);
    for (const label of ["Loss", "step", "cross-entropy", "train", "validation", "0", "50", "100", "150", "200"]) expect(t).toContain(label);
    // Every coordinate lies inside the image.
    for (const p of ps) {
      const nums = p.attrs.d!.match(/-?[\d.]+/g)!.map(Number);
      for (let k = 0; k < nums.length; k += 2) {
        expect(nums[k]).toBeGreaterThanOrEqual(0);
        expect(nums[k]).toBeLessThanOrEqual(640);
        expect(nums[k + 1]).toBeGreaterThanOrEqual(0);
        expect(nums[k + 1]).toBeLessThanOrEqual(400);
      }
    }
    // Lower loss is drawn lower (larger SVG y).
    const ys = ps[0]!.attrs.d!.match(/-?[\d.]+/g)!.map(Number).filter((_, k) => k % 2 === 1);
    expect(ys[ys.length - 1]!).toBeGreaterThan(ys[0]!);
    expect(lossChartSvg([{ name: "train", points: train }], { width: 900, height: 300 })).toContain('width="900" height="300"');
  });

  it("escapes <&>\" in the title, labels and series names", () => {
    const svg = lossChartSvg([{ name: NASTY, points: train }], { title: NASTY, xLabel: NASTY, yLabel: NASTY });
    expect(svg).not.toContain(NASTY);
    expect(svg).toContain("a&lt;b &amp; c&gt;&quot;d&quot;");
    const els = parseXml(svg);
    expect(texts(els).filter((t) => t === NASTY)).toHaveLength(4); // title, x label, y label, legend
    expect(lossChartSvg([{ name: "\u0007bell", points: train }], { title: "\uD800" })).toContain("\uFFFDbell");
    expect(() => parseXml(lossChartSvg([{ name: "\u0007bell", points: train }], { title: "\uD800" }))).not.toThrow();
  });

  it("skips NaN and infinite points (breaking the line), handles empty series and no series", () => {
    const gappy = [{ x: 0, y: 1 }, { x: 1, y: Number.NaN }, { x: 2, y: 0.5 }, { x: 3, y: 0.4 }, { x: Infinity, y: 1 }, { x: 5, y: 0.3 }];
    const svg = lossChartSvg([
      { name: "gappy", points: gappy },
      { name: "empty", points: [] },
      { name: "all NaN", points: [{ x: Number.NaN, y: 1 }, { x: 1, y: Number.NaN }] },
    ]);
    const els = parseXml(svg);
    const ps = paths(els);
    for (const p of ps) expect(p.attrs.d).not.toMatch(/NaN|Infinity/);
    for (const c of els.filter((e) => e.name === "circle")) expect(c.attrs.cy).toMatch(/^[\d.]+$/);
    expect(ps).toHaveLength(3);
    expect(ps[0]!.attrs.d!.match(/M/g)).toHaveLength(3); // runs: [0], [2, 3], [5]
    expect(ps[0]!.attrs.d!.match(/L/g)).toHaveLength(1);
    expect(els.filter((e) => e.name === "circle")).toHaveLength(2); // the two isolated points
    expect(ps[1]!.attrs.d).toBe("");
    expect(ps[2]!.attrs.d).toBe("");

    const none = parseXml(lossChartSvg([]));
    expect(paths(none)).toHaveLength(0);
    expect(texts(none)).toContain("no data");
    expect(texts(parseXml(lossChartSvg([{ name: "x", points: [{ x: Number.NaN, y: Number.NaN }] }])))).toContain("no data");
    // A single point and a constant series get a sensible range.
    expect(() => parseXml(lossChartSvg([{ name: "one", points: [{ x: 3, y: 2 }] }]))).not.toThrow();
    expect(lossChartSvg([{ name: "flat", points: [{ x: 0, y: 2 }, { x: 10, y: 2 }] }])).not.toMatch(/NaN/);
  });

  it("labels tiny and huge values readably", () => {
    const t = texts(parseXml(lossChartSvg([{ name: "a", points: [{ x: 0, y: 0.00012 }, { x: 1e7, y: 0.00031 }] }])));
    expect(t.some((s) => /e-/.test(s))).toBe(true); // 1e-4 and below in exponent form
    expect(t.some((s) => /e\+/.test(s))).toBe(true); // 1e6 and above too
    // Steps of 2.5 × 10^k get enough decimals: 0.25, not 0.3.
    const quarter = texts(parseXml(lossChartSvg([{ name: "a", points: [{ x: 0, y: 0 }, { x: 1, y: 1 }] }], { height: 300 })));
    expect(quarter).toEqual(expect.arrayContaining(["0", "0.25", "0.50", "0.75", "1.00"]));
  });

  it("rejects bad arguments with ArgumentError", () => {
    expect(() => lossChartSvg(undefined as never)).toThrow(ArgumentError);
    expect(() => lossChartSvg([{ name: 1, points: [] } as never])).toThrow(ArgumentError);
    expect(() => lossChartSvg([], { width: Number.NaN })).toThrow(ArgumentError);
    expect(() => lossChartSvg([], { height: 10 })).toThrow(ArgumentError);
  });
});

describe("attentionHeatmapSvg", () => {
  const labels = ["<s>", "In", " ", "the", "\n"];
  const causal = (n: number) =>
    Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (j <= i ? 1 / (i + 1) : 0)));

  it("draws one shaded cell per weight (0 white, 1 dark, NaN grey) with labels and a colour scale", () => {
    const w = causal(5);
    w[4]![0] = Number.NaN;
    const svg = attentionHeatmapSvg(w, labels, labels, { title: "head 0" });
    const els = parseXml(svg);
    const cells = els.filter((e) => e.name === "rect" && e.parent?.attrs.class === "cells");
    expect(cells).toHaveLength(25);
    expect(cells[0]!.attrs.fill).toBe("#08306b"); // weight 1
    expect(cells[1]!.attrs.fill).toBe("#ffffff"); // masked, 0
    expect(cells[20]!.attrs.fill).toBe("#c8c8c8"); // NaN
    const mid = cells[5]!.attrs.fill!; // 0.5: between
    expect(mid).not.toBe("#ffffff");
    expect(mid).not.toBe("#08306b");
    // Darker for larger weights.
    const lum = (hex: string) => parseInt(hex.slice(1, 3), 16) + parseInt(hex.slice(3, 5), 16) + parseInt(hex.slice(5, 7), 16);
    expect(lum(cells[10]!.attrs.fill!)).toBeGreaterThan(lum(mid)); // 1/3 lighter than 1/2
    const t = texts(els);
    expect(t).toContain("head 0");
    expect(t).toContain("<s>"); // escaped in the source, decoded by the parser
    expect(svg).toContain("&lt;s&gt;");
    expect(t.filter((s) => s === "␣")).toHaveLength(2); // the space token, as a row and a column label
    expect(t.filter((s) => s === "↵")).toHaveLength(2);
    expect(t).toEqual(expect.arrayContaining(["0", "0.5", "1"])); // the scale
    expect(els.find((e) => e.name === "title" && e.text.startsWith("the → In"))!.text).toBe("the → In: 0.25");
    expect(els.filter((e) => e.parent?.attrs.class === "scale" && e.name === "rect").length).toBeGreaterThan(10);
  });

  it("takes a row-major Float32Array or rows, with the same result", () => {
    const rows = causal(5);
    const flat = new Float32Array(rows.flat());
    const a = attentionHeatmapSvg(flat, labels, labels);
    const b = attentionHeatmapSvg(rows.map((r) => r.map((v) => Math.fround(v))), labels, labels);
    expect(a).toBe(b);
    // Non-square (e.g. queries × keys of a cache) works too.
    const rect = parseXml(attentionHeatmapSvg(new Float32Array(6).fill(0.3), ["q1", "q2"], ["k1", "k2", "k3"], { cellSize: 40 }));
    const cells = rect.filter((e) => e.name === "rect" && e.parent?.attrs.class === "cells");
    expect(cells).toHaveLength(6);
    expect(cells.every((c) => c.attrs.width === "40")).toBe(true);
  });

  it("escapes <&>\" and forbidden characters in labels and the title", () => {
    const svg = attentionHeatmapSvg([[0.5]], [NASTY.slice(0, 8)], ['"&\u0001'], { title: NASTY });
    const els = parseXml(svg);
    expect(texts(els)).toContain(NASTY);
    expect(texts(els)).toContain('"&\uFFFD');
    expect(svg).not.toContain("\u0001");
  });

  it("handles empty and out-of-range weights, and rejects mismatched shapes", () => {
    expect(texts(parseXml(attentionHeatmapSvg([], [], [])))).toContain("no weights");
    expect(texts(parseXml(attentionHeatmapSvg(new Float32Array(0), ["a"], [])))).toContain("no weights");
    const clamped = parseXml(attentionHeatmapSvg([[-1, 2, Infinity]], ["q"], ["a", "b", "c"]));
    expect(clamped.filter((e) => e.name === "rect" && e.parent?.attrs.class === "cells").map((c) => c.attrs.fill)).toEqual(["#ffffff", "#08306b", "#c8c8c8"]);
    expect(() => attentionHeatmapSvg(new Float32Array(5), ["a", "b"], ["c", "d"])).toThrow(ShapeError);
    expect(() => attentionHeatmapSvg([[1, 2]], ["a", "b"], ["c", "d"])).toThrow(ShapeError);
    expect(() => attentionHeatmapSvg([[1], [2]], ["a", "b"], ["c", "d"])).toThrow(ShapeError);
    expect(() => attentionHeatmapSvg([[1]], ["a"], ["c"], { cellSize: 0 })).toThrow(ArgumentError);
    expect(() => attentionHeatmapSvg([[1]], [1 as never], ["c"])).toThrow(ArgumentError);
  });
});
