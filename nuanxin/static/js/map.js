// An offline map: our own GeoJSON boundaries on SVG (equirectangular), pins with clustering.
// It pans by dragging (mouse, pen or one finger), zooms by the wheel, two fingers or a cluster's
// tap, and from the keyboard (arrows pan, + and - zoom, 0 resets).
import { STATE_COLOURS } from './sla.js';
import { t } from './i18n.js';

const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 1000;
const CLUSTER_PX = 28; // pins closer than this on screen become one cluster
const WORST = ['breached', 'soon', 'ok', 'paused', 'done'];
const DRAG_PX = 5; // a press that moves less than this is a tap, not a drag
const MIN_ZOOM = 0.5; // the whole district at half its home size
const MAX_ZOOM = 400; // a few metres across the screen

function svg(tag, attrs = {}) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}

function rings(geometry) {
  if (geometry.type === 'Polygon') return [geometry.coordinates];
  if (geometry.type === 'MultiPolygon') return geometry.coordinates;
  return [];
}

// Point in polygon (ray casting) on lon/lat, good enough for picking a community.
export function featureAt(geojson, lon, lat, level = 'community') {
  const inside = (ring) => {
    let hit = false;
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      const [xi, yi] = ring[i]; const [xj, yj] = ring[j];
      if ((yi > lat) !== (yj > lat) && lon < ((xj - xi) * (lat - yi)) / (yj - yi) + xi) hit = !hit;
    }
    return hit;
  };
  return geojson.features.find((f) => f.properties.level === level
    && rings(f.geometry).some((poly) => inside(poly[0]) && !poly.slice(1).some(inside))) || null;
}

export class OfflineMap {
  constructor(container, { onPinClick, onMapClick } = {}) {
    this.container = container;
    this.onPinClick = onPinClick;
    this.onMapClick = onMapClick;
    this.pins = [];
    this.marker = null;
    container.classList.add('map');
    this.pointers = new Map(); // pointerId -> [clientX, clientY] while pressed
    this.gesture = null;
    this.dragged = false;
    this.svg = svg('svg', { class: 'map-svg', role: 'img', tabindex: '0' });
    this.base = svg('g', { class: 'map-base' });
    this.pinLayer = svg('g', { class: 'map-pins' });
    this.svg.append(this.base, this.pinLayer);
    this.badge = document.createElement('div');
    this.badge.className = 'synthetic-badge';
    this.badge.hidden = true;
    const reset = document.createElement('button');
    reset.className = 'map-reset';
    reset.dataset.i18n = 'map_reset';
    reset.textContent = t('map_reset');
    reset.addEventListener('click', () => this.zoomTo(this.home));
    container.append(this.svg, this.badge, reset);
    this.svg.addEventListener('click', (e) => this._click(e));
    this.svg.addEventListener('wheel', (e) => { e.preventDefault(); this._wheel(e); }, { passive: false });
    this.svg.addEventListener('pointerdown', (e) => this._pointerDown(e));
    this.svg.addEventListener('pointermove', (e) => this._pointerMove(e));
    for (const type of ['pointerup', 'pointercancel']) this.svg.addEventListener(type, (e) => this._pointerUp(e));
    this.svg.addEventListener('keydown', (e) => this._key(e));
    new ResizeObserver(() => this.drawPins()).observe(container);
  }

  setGeoJSON(geojson) {
    this.geojson = geojson;
    const all = geojson.features.flatMap((f) => rings(f.geometry).flat(2));
    if (!all.length) return;
    const lons = all.map((p) => p[0]); const lats = all.map((p) => p[1]);
    const [minLon, maxLon, minLat, maxLat] = [Math.min(...lons), Math.max(...lons), Math.min(...lats), Math.max(...lats)];
    // Equirectangular around the middle latitude: x = lon·cos(lat0), y = -lat.
    this.k = Math.cos(((minLat + maxLat) / 2) * Math.PI / 180);
    this.origin = [minLon, maxLat];
    this.scale = WIDTH / ((maxLon - minLon) * this.k);
    const height = (maxLat - minLat) * this.scale;
    const pad = 12;
    this.home = [-pad, -pad, WIDTH + 2 * pad, height + 2 * pad];
    this.base.replaceChildren();
    const streets = svg('g', { class: 'streets' });
    const communities = svg('g', { class: 'communities' });
    const labels = svg('g', { class: 'labels' });
    for (const f of geojson.features) {
      const d = rings(f.geometry).map((poly) => poly.map((ring) => 'M' + ring.map((p) => this.project(p).map((v) => v.toFixed(1)).join(',')).join('L') + 'Z').join('')).join('');
      const path = svg('path', { d, class: `area ${f.properties.level}`, 'data-code': f.properties.code });
      const title = svg('title');
      title.textContent = `${f.properties.name} (${f.properties.code})${f.properties.synthetic ? ' — 合成边界 synthetic' : ''}`;
      path.append(title);
      (f.properties.level === 'street' ? streets : communities).append(path);
    }
    // Street names where there are few enough to read; community names when zoomed to one street.
    const named = geojson.features.filter((f) => f.properties.level === 'street');
    const few = geojson.features.filter((f) => f.properties.level === 'community').length <= 40;
    for (const f of few ? geojson.features : named) {
      const [x, y] = this.centre(f);
      const text = svg('text', { x, y, class: `label ${f.properties.level}` });
      text.textContent = f.properties.name.replace(/社区居民委员会$|居民委员会$|村民委员会$/, '');
      labels.append(text);
    }
    this.base.append(communities, streets, labels);
    this.badge.hidden = !geojson.synthetic;
    this.badge.textContent = '合成边界 / synthetic boundaries';
    this.zoomTo(this.home);
  }

  project([lon, lat]) {
    return [(lon - this.origin[0]) * this.k * this.scale, (this.origin[1] - lat) * this.scale];
  }

  unproject([x, y]) {
    return [x / (this.k * this.scale) + this.origin[0], this.origin[1] - y / this.scale];
  }

  centre(f) {
    const pts = rings(f.geometry).map((p) => p[0]).sort((a, b) => b.length - a.length)[0];
    const xy = pts.map((p) => this.project(p));
    const xs = xy.map((p) => p[0]); const ys = xy.map((p) => p[1]);
    return [((Math.min(...xs) + Math.max(...xs)) / 2).toFixed(1), ((Math.min(...ys) + Math.max(...ys)) / 2).toFixed(1)];
  }

  zoomTo(box) {
    if (!box) return;
    this._show(box);
    this.drawPins();
  }

  // Show a view box without re-clustering the pins (a pan moves nothing relative to the map).
  _show(box) {
    this.view = box;
    this.svg.setAttribute('viewBox', box.map((v) => v.toFixed(2)).join(' '));
    this.svg.style.setProperty('--zoom', String(this.home[2] / box[2]));
  }

  // The view box ``f`` times the size of ``view``, keeping map point [x, y] where it is on screen,
  // within the zoom limits.
  _scaled(view, f, [x, y]) {
    const [vx, vy, vw, vh] = view;
    const lo = this.home[2] / MAX_ZOOM / vw; const hi = this.home[2] / MIN_ZOOM / vw;
    const g = Math.min(hi, Math.max(lo, f));
    return [x - (x - vx) * g, y - (y - vy) * g, vw * g, vh * g];
  }

  // Screen point to map units for a given view box (the SVG keeps its aspect: xMidYMid meet).
  _screenToMap(view, clientX, clientY) {
    const rect = this.svg.getBoundingClientRect();
    const [vx, vy, vw, vh] = view;
    const s = Math.min(rect.width / vw, rect.height / vh);
    return [vx + (clientX - rect.left - (rect.width - vw * s) / 2) / s,
      vy + (clientY - rect.top - (rect.height - vh * s) / 2) / s];
  }

  // Screen pixels per map unit at the current zoom.
  pixelsPerUnit() {
    const rect = this.svg.getBoundingClientRect();
    if (!rect.width || !this.view) return 1;
    return Math.min(rect.width / this.view[2], rect.height / this.view[3]);
  }

  toMap(event) {
    const pt = this.svg.createSVGPoint();
    pt.x = event.clientX; pt.y = event.clientY;
    const p = pt.matrixTransform(this.svg.getScreenCTM().inverse());
    return [p.x, p.y];
  }

  _wheel(e) {
    if (!this.view) return;
    this.zoomTo(this._scaled(this.view, e.deltaY < 0 ? 0.8 : 1.25, this.toMap(e)));
  }

  // A gesture starts again whenever a finger is added or lifted, from the view as it is then.
  _restartGesture() {
    this.gesture = this.pointers.size ? { view: this.view, at: new Map(this.pointers) } : null;
  }

  _pointerDown(e) {
    if (!this.view || (e.pointerType === 'mouse' && e.button !== 0)) return;
    if (!this.pointers.size) this.dragged = false;
    this.pointers.set(e.pointerId, [e.clientX, e.clientY]);
    this._restartGesture();
  }

  _pointerMove(e) {
    if (!this.pointers.has(e.pointerId) || !this.gesture) return;
    // A mouse released outside the map (before a drag captured it) never sent its pointerup here.
    if (e.pointerType === 'mouse' && e.buttons === 0) { this._pointerUp(e); return; }
    this.pointers.set(e.pointerId, [e.clientX, e.clientY]);
    const { view, at } = this.gesture;
    const [a, b] = [...this.pointers.keys()];
    if (b === undefined) {
      const [x0, y0] = at.get(a);
      const [x1, y1] = this.pointers.get(a);
      if (!this.dragged && Math.hypot(x1 - x0, y1 - y0) < DRAG_PX) return;
      if (!this.dragged) {
        this.dragged = true;
        try { this.svg.setPointerCapture(e.pointerId); } catch { /* a synthetic or finished pointer */ }
      }
      const [mx0, my0] = this._screenToMap(view, x0, y0);
      const [mx1, my1] = this._screenToMap(view, x1, y1);
      this._show([view[0] - (mx1 - mx0), view[1] - (my1 - my0), view[2], view[3]]);
      return;
    }
    // Two fingers: the map point under their midpoint stays under it; their spread sets the zoom.
    this.dragged = true;
    const mid = (p, q) => [(p[0] + q[0]) / 2, (p[1] + q[1]) / 2];
    const [p0, q0, p1, q1] = [at.get(a), at.get(b), this.pointers.get(a), this.pointers.get(b)];
    const spread = Math.hypot(p1[0] - q1[0], p1[1] - q1[1]);
    if (!spread) return;
    const anchor = this._screenToMap(view, ...mid(p0, q0));
    const scaled = this._scaled(view, Math.hypot(p0[0] - q0[0], p0[1] - q0[1]) / spread, anchor);
    const [nx, ny] = this._screenToMap(scaled, ...mid(p1, q1));
    this._show([scaled[0] + anchor[0] - nx, scaled[1] + anchor[1] - ny, scaled[2], scaled[3]]);
  }

  _pointerUp(e) {
    if (!this.pointers.delete(e.pointerId)) return;
    const zoomed = this.gesture && this.gesture.view[2] !== this.view[2];
    this._restartGesture();
    if (zoomed) this.drawPins(); // clusters depend on the zoom
  }

  _key(e) {
    if (!this.view || e.ctrlKey || e.metaKey || e.altKey) return; // leave the browser's own zoom keys be
    const [vx, vy, vw, vh] = this.view;
    const centre = [vx + vw / 2, vy + vh / 2];
    const step = { ArrowLeft: [-0.2, 0], ArrowRight: [0.2, 0], ArrowUp: [0, -0.2], ArrowDown: [0, 0.2] }[e.key];
    if (step) this._show([vx + step[0] * vw, vy + step[1] * vh, vw, vh]);
    else if (e.key === '+' || e.key === '=') this.zoomTo(this._scaled(this.view, 0.8, centre));
    else if (e.key === '-') this.zoomTo(this._scaled(this.view, 1.25, centre));
    else if (e.key === '0') this.zoomTo(this.home);
    else return;
    e.preventDefault();
  }

  _click(e) {
    if (!this.geojson) return;
    if (this.dragged) { this.dragged = false; return; } // the end of a drag, not a tap
    const pin = e.target.closest('[data-pin]');
    if (pin) {
      const group = this.groups[Number(pin.dataset.pin)];
      if (group.items.length === 1) {
        if (this.onPinClick) this.onPinClick(group.items[0]);
      } else {
        const [x, y] = group.xy; const [, , vw, vh] = this.view;
        this.zoomTo([x - vw / 4, y - vh / 4, vw / 2, vh / 2]);
      }
      return;
    }
    if (this.onMapClick) {
      const [lon, lat] = this.unproject(this.toMap(e));
      this.onMapClick({ lon, lat, feature: featureAt(this.geojson, lon, lat) });
    }
  }

  setPins(pins) { this.pins = pins; this.drawPins(); }

  setMarker(lonlat) { this.marker = lonlat; this.drawPins(); }

  drawPins() {
    if (!this.geojson || !this.home) return;
    const unit = CLUSTER_PX / this.pixelsPerUnit();
    const r = 9 / this.pixelsPerUnit();
    this.groups = [];
    for (const pin of this.pins) {
      const xy = this.project([pin.lon, pin.lat]);
      const near = this.groups.find((g) => Math.hypot(g.xy[0] - xy[0], g.xy[1] - xy[1]) < unit);
      if (near) {
        near.items.push(pin);
        const n = near.items.length;
        near.xy = [near.xy[0] + (xy[0] - near.xy[0]) / n, near.xy[1] + (xy[1] - near.xy[1]) / n];
      } else {
        this.groups.push({ xy, items: [pin] });
      }
    }
    this.pinLayer.replaceChildren();
    this.groups.forEach((g, i) => {
      const state = WORST.find((s) => g.items.some((p) => p.state === s)) || 'ok';
      const node = svg('g', { class: `pin ${g.items.length > 1 ? 'cluster' : ''}`, 'data-pin': i, 'data-state': state });
      const size = g.items.length > 1 ? r * 1.5 : r;
      node.append(svg('circle', { cx: g.xy[0], cy: g.xy[1], r: size, fill: STATE_COLOURS[state] }));
      const title = svg('title');
      title.textContent = g.items.map((p) => p.label).join('\n');
      node.append(title);
      if (g.items.length > 1) {
        const text = svg('text', { x: g.xy[0], y: g.xy[1], 'font-size': size * 1.1, dy: '0.35em' });
        text.textContent = String(g.items.length);
        node.append(text);
      }
      this.pinLayer.append(node);
    });
    if (this.marker) {
      const [x, y] = this.project(this.marker);
      const mark = svg('g', { class: 'marker' });
      mark.append(svg('path', { d: `M${x},${y} l${-r},${-2.2 * r} a${r},${r} 0 1,1 ${2 * r},0 z`, fill: '#c0392b' }));
      this.pinLayer.append(mark);
    }
  }
}
