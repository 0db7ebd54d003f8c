// A small SVG line chart: one line per series over days, with axes and a legend.
const SVG = 'http://www.w3.org/2000/svg';

function svg(tag, attrs = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

// rows: [{day: 'YYYY-MM-DD', a: n, ...}]; series: [{key, label, colour}]
export function lineChart(rows, series, { width = 720, height = 240 } = {}) {
  const m = { top: 16, right: 16, bottom: 34, left: 36 };
  const w = width - m.left - m.right;
  const h = height - m.top - m.bottom;
  const max = Math.max(1, ...rows.flatMap((r) => series.map((s) => r[s.key])));
  const step = Math.max(1, Math.ceil(max / 4));
  const top = step * Math.ceil(max / step);
  const x = (i) => m.left + (rows.length > 1 ? (i * w) / (rows.length - 1) : w / 2);
  const y = (v) => m.top + h - (v * h) / top;
  const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart', role: 'img' });
  for (let v = 0; v <= top; v += step) {
    root.append(svg('line', { x1: m.left, x2: width - m.right, y1: y(v), y2: y(v), class: 'grid' }));
    root.append(svg('text', { x: m.left - 6, y: y(v) + 4, 'text-anchor': 'end', class: 'axis' }, String(v)));
  }
  rows.forEach((r, i) => {
    if (i % 5 === 0 || i === rows.length - 1) {
      root.append(svg('text', { x: x(i), y: height - m.bottom + 16, 'text-anchor': 'middle', class: 'axis' },
        r.day.slice(5)));
    }
  });
  for (const s of series) {
    const points = rows.map((r, i) => `${x(i).toFixed(1)},${y(r[s.key]).toFixed(1)}`).join(' ');
    root.append(svg('polyline', { points, fill: 'none', stroke: s.colour, 'stroke-width': 2, class: `series ${s.key}` }));
    rows.forEach((r, i) => {
      if (r[s.key]) {
        const dot = svg('circle', { cx: x(i), cy: y(r[s.key]), r: 3, fill: s.colour });
        dot.append(svg('title', {}, `${r.day} ${s.label}: ${r[s.key]}`));
        root.append(dot);
      }
    });
  }
  series.forEach((s, i) => {
    const lx = m.left + 10 + i * 110;
    root.append(svg('rect', { x: lx, y: height - 12, width: 12, height: 4, fill: s.colour }));
    root.append(svg('text', { x: lx + 16, y: height - 7, class: 'legend' }, s.label));
  });
  return root;
}
