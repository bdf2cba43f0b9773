// Charts drawn as inline SVG, each with a title, axes, labels, a legend and
// the same numbers as a table for screen readers and for reading exactly.
import { el } from "/assets/dom.js";

const NS = "http://www.w3.org/2000/svg";
let nextId = 0;

function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}

const fmt = (n) => Number(n || 0).toLocaleString();

// niceMax is the top of an axis with four ticks at least max: four times a
// round whole step (1, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 times a power of ten).
export function niceMax(max) {
  const raw = Math.max(1, max / 4);
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) {
    if (m * p >= raw && Number.isInteger(m * p)) return 4 * m * p;
  }
  return 40 * p;
}

function table(caption, head, rows) {
  return el("details", { class: "chart-data" },
    el("summary", {}, "Show the numbers"),
    el("table", {},
      el("caption", {}, caption),
      el("thead", {}, el("tr", {}, ...head.map((h, i) => el("th", { scope: "col", class: i ? "num" : false }, h)))),
      el("tbody", {}, ...rows.map((r) => el("tr", {}, ...r.map((c, i) => i === 0
        ? el("th", { scope: "row" }, c) : el("td", { class: "num" }, fmt(c))))))));
}

function figure(id, title, chart, data) {
  return el("figure", { class: "chart", "aria-labelledby": `${id}-title` },
    el("figcaption", { id: `${id}-title` }, title), chart, data);
}

// bars is a horizontal bar chart of bars [{label, value, series}] (series
// picks the color: 1…4), each bar labelled with its name and value.
export function bars(title, items) {
  const id = `chart-${++nextId}`;
  const max = niceMax(Math.max(...items.map((b) => b.value || 0)));
  const W = 360, left = 110, right = 44, row = 34, top = 8, H = top + items.length * row + 24;
  const plot = W - left - right;
  const g = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-labelledby": `${id}-title`, class: "bars" });
  for (let i = 0; i <= 4; i++) {
    const x = left + (plot * i) / 4;
    g.append(svg("line", { x1: x, x2: x, y1: top, y2: H - 20, class: "grid" }),
      svg("text", { x, y: H - 6, "text-anchor": "middle", class: "tick" }, fmt((max * i) / 4)));
  }
  items.forEach((b, i) => {
    const y = top + i * row;
    const w = Math.max(0, (plot * (b.value || 0)) / max);
    g.append(svg("text", { x: left - 8, y: y + row / 2 + 5, "text-anchor": "end", class: "label" }, b.label),
      svg("rect", { x: left, y: y + 6, width: w, height: row - 12, rx: 3, class: `s${b.series}` }),
      svg("text", { x: left + w + 6, y: y + row / 2 + 5, class: "value" }, fmt(b.value)));
  });
  return figure(id, title, g, table(title, ["Status", "Messages"], items.map((b) => [b.label, b.value])));
}

// timeline is a grouped bar chart of buckets (oldest first) in series
// [{key, label, series}], one group per day (or hour), with a legend.
export function timeline(title, buckets, series, bucketLabel) {
  const id = `chart-${++nextId}`;
  const max = niceMax(Math.max(0, ...buckets.flatMap((b) => series.map((s) => b[s.key] || 0))));
  const W = 720, left = 48, right = 12, top = 10, bottom = 40, H = 260;
  const plot = W - left - right, height = H - top - bottom;
  const g = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-labelledby": `${id}-title`, class: "timeline" });
  for (let i = 0; i <= 4; i++) {
    const y = top + height - (height * i) / 4;
    g.append(svg("line", { x1: left, x2: W - right, y1: y, y2: y, class: "grid" }),
      svg("text", { x: left - 6, y: y + 4, "text-anchor": "end", class: "tick" }, fmt((max * i) / 4)));
  }
  const n = Math.max(1, buckets.length);
  const slot = plot / n, bar = Math.max(1, (slot * 0.8) / series.length);
  const every = Math.ceil(n / 10); // at most about ten labels on the x axis
  buckets.forEach((b, i) => {
    const x0 = left + i * slot + slot * 0.1;
    series.forEach((s, j) => {
      const h = (height * (b[s.key] || 0)) / max;
      g.append(svg("rect", { x: x0 + j * bar, y: top + height - h, width: bar, height: h, class: `s${s.series}` }));
    });
    if (i % every === 0) {
      g.append(svg("text", { x: left + i * slot + slot / 2, y: H - bottom + 16, "text-anchor": "middle", class: "tick" }, bucketLabel(b)));
    }
  });
  g.append(svg("line", { x1: left, x2: W - right, y1: top + height, y2: top + height, class: "axis" }));
  const legend = el("ul", { class: "legend" },
    ...series.map((s) => el("li", {}, el("span", { class: `swatch s${s.series}` }), s.label)));
  const data = table(title, ["When", ...series.map((s) => s.label)],
    buckets.map((b) => [bucketLabel(b), ...series.map((s) => b[s.key] || 0)]));
  // On a phone the chart keeps a readable size and scrolls sideways.
  const scroller = el("div", { class: "scroll", tabindex: "0", role: "region", "aria-label": `${title}, scrolls sideways` }, g);
  return figure(id, title, el("div", {}, scroller, legend), data);
}
