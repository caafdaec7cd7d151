// The page's live time series: changes per minute by language, drawn as SVG lines.
const SVG = 'http://www.w3.org/2000/svg';
const COLORS = ['#36c5a0', '#7cc4ff', '#f2b84b', '#ef6f6c', '#b48ef0', '#8b9bab'];
const W = 560;
const H = 220;
const PAD = { left: 40, right: 10, top: 10, bottom: 24 };

function el(name, attributes, text) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

/**
 * Draws `items` ({minute, language, changes}) over the `minutes` ending now into `svg`, one
 * line per language, and lists the languages in `legend`. Minutes without changes count 0.
 */
export function drawSeries(svg, legend, items, minutes, now = Date.now()) {
  const end = Math.floor(now / 60_000) * 60_000;
  const start = end - (minutes - 1) * 60_000;
  const byLanguage = new Map();
  for (const item of items) {
    const at = Date.parse(`${item.minute.replace(' ', 'T')}Z`);
    const slot = Math.round((at - start) / 60_000);
    if (slot < 0 || slot >= minutes) continue;
    const key = item.language || 'multilingual';
    if (!byLanguage.has(key)) byLanguage.set(key, new Array(minutes).fill(0));
    byLanguage.get(key)[slot] += item.changes;
  }
  const max = Math.max(1, ...[...byLanguage.values()].flat());
  const x = (slot) => PAD.left + (slot / Math.max(1, minutes - 1)) * (W - PAD.left - PAD.right);
  const y = (value) => H - PAD.bottom - (value / max) * (H - PAD.top - PAD.bottom);
  const nodes = [];
  for (const value of [0, Math.round(max / 2), max]) {
    nodes.push(
      el('line', { class: 'grid', x1: PAD.left, x2: W - PAD.right, y1: y(value), y2: y(value) }),
      el('text', { x: PAD.left - 6, y: y(value) + 4, 'text-anchor': 'end' }, String(value)),
    );
  }
  for (const [slot, label] of [
    [0, `−${minutes} min`],
    [minutes - 1, 'now'],
  ]) {
    const anchor = slot === 0 ? 'start' : 'end';
    nodes.push(el('text', { x: x(slot), y: H - 6, 'text-anchor': anchor }, label));
  }
  const entries = [];
  [...byLanguage.entries()].forEach(([language, counts], i) => {
    const color = COLORS[i % COLORS.length];
    const points = counts.map((n, slot) => `${x(slot).toFixed(1)},${y(n).toFixed(1)}`).join(' ');
    nodes.push(
      el('polyline', {
        points,
        fill: 'none',
        stroke: color,
        'stroke-width': 2,
        'data-language': language,
      }),
    );
    const li = document.createElement('li');
    const key = document.createElement('span');
    key.className = 'key';
    key.style.background = color;
    li.append(key, language);
    entries.push(li);
  });
  svg.replaceChildren(...nodes);
  legend.replaceChildren(...entries);
}
