// An offline map: our own GeoJSON boundaries on SVG (equirectangular), pins with clustering.
import { STATE_COLOURS } from './sla.js';
import { t } from './i18n.js';

const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 1000;
const CLUSTER_PX = 28; // pins closer than this on screen become one cluster
const WORST = ['breached', 'soon', 'ok', 'paused', 'done'];

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
    this.svg = svg('svg', { class: 'map-svg', role: 'img' });
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
    this.view = box;
    this.svg.setAttribute('viewBox', box.map((v) => v.toFixed(1)).join(' '));
    this.svg.style.setProperty('--zoom', String(this.home[2] / box[2]));
    this.drawPins();
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
    const [x, y] = this.toMap(e);
    const f = e.deltaY < 0 ? 0.8 : 1.25;
    const [vx, vy, vw, vh] = this.view;
    this.zoomTo([x - (x - vx) * f, y - (y - vy) * f, vw * f, vh * f]);
  }

  _click(e) {
    if (!this.geojson) return;
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
