// Ops page: /healthz states, consumer lag, dead letters and outbox backlog from /metrics, a report's trace.
import { api, el, getToken, setToken, takeTokenFromUrl } from './api.js';
import { applyI18n, bindToggle, t } from './i18n.js';

const $ = (id) => document.getElementById(id);

// Prometheus text format: name{labels} value. Comments and blank lines are skipped.
export function parseMetrics(text) {
  const out = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = line.match(/^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/);
    if (!m) continue;
    const labels = {};
    for (const pair of (m[2] || '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1]] = pair[2];
    out.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return out;
}

function table(node, head, rows) {
  node.replaceChildren(el('thead', {}, el('tr', {}, head.map((h) => el('th', {}, h)))),
    el('tbody', {}, rows.length ? rows.map((r) => el('tr', {}, r.map((v, i) => el('td', { class: i === r.length - 1 ? 'num' : '' }, v))))
      : el('tr', {}, el('td', { colspan: head.length, class: 'muted' }, t('nothing')))));
}

async function refresh() {
  try {
    const response = await fetch('/healthz');
    const health = await response.json();
    table($('health'), [t('service'), t('col_status')], Object.entries(health.services || {}).map(([name, s]) => [
      name, el('div', {}, el('span', { class: s.status === 'ok' ? 'health-ok' : 'health-bad' }, s.status),
        el('div', { class: 'muted small detail-json' }, JSON.stringify(Object.fromEntries(
          Object.entries(s).filter(([k]) => k !== 'status'))))),
    ]));
  } catch (err) {
    table($('health'), [t('service'), t('col_status')], [['—', el('span', { class: 'health-bad' }, err.message)]]);
  }
  try {
    const metrics = parseMetrics(await (await fetch('/metrics')).text());
    const lag = new Map();
    for (const m of metrics.filter((x) => x.name === 'nuanxin_consumer_lag')) {
      const key = `${m.labels.service} · ${m.labels.topic}`;
      lag.set(key, (lag.get(key) || 0) + m.value);
    }
    table($('lag'), [t('service'), t('value')], [...lag].sort().map(([k, v]) => [k, String(v)]));
    table($('dead'), [t('service'), t('value')], metrics
      .filter((x) => x.name === 'nuanxin_events_in_total' && x.labels.outcome === 'dead_letter' && x.value > 0)
      .map((m) => [`${m.labels.service} · ${m.labels.topic}`, String(m.value)]));
    table($('backlog'), [t('service'), t('value')], metrics
      .filter((x) => x.name === 'nuanxin_outbox_backlog').map((m) => [m.labels.service, String(m.value)]));
  } catch (err) {
    $('lag').replaceChildren(el('tr', {}, el('td', { class: 'error' }, err.message)));
  }
  $('refreshed').textContent = new Date().toLocaleTimeString();
}

function tree(nodes, root = false) {
  return el('ul', { class: `tree ${root ? 'root' : ''}` }, nodes.map((n) => el('li', {},
    el('span', { class: 'svc' }, n.service), ' ',
    el('span', { class: `span-name ${n.status === 'ERROR' ? 'span-err' : ''}` }, n.name),
    el('span', { class: 'muted' }, `  +${n.start_ms} ms · ${n.duration_ms} ms${n.status === 'ERROR' ? ' [error]' : ''}`),
    n.children.length ? tree(n.children) : null)));
}

async function showTrace() {
  const token = $('token-input').value.trim();
  if (token) setToken(token);
  const id = $('report-id').value.trim();
  $('trace-error').textContent = '';
  $('trace').replaceChildren();
  if (!id) return;
  try {
    const body = await api(`/ops/trace/${encodeURIComponent(id)}`);
    $('trace').replaceChildren(...body.traces.map((tr) => el('div', { class: 'trace', dataset: { traceId: tr.trace_id } },
      el('h4', {}, `trace ${tr.trace_id.slice(0, 16)}… (${tr.span_count} spans; ${tr.services.join(', ')})`),
      tree(tr.roots, true))));
  } catch (err) {
    $('trace-error').textContent = err.message;
  }
}

function wire() {
  takeTokenFromUrl();
  bindToggle($('lang-toggle'));
  applyI18n();
  if (getToken()) $('token-input').value = getToken();
  $('trace-btn').addEventListener('click', showTrace);
  $('report-id').addEventListener('keydown', (e) => { if (e.key === 'Enter') showTrace(); });
  const wanted = new URL(location.href).searchParams.get('report');
  if (wanted) { $('report-id').value = wanted; showTrace(); }
  refresh();
  setInterval(refresh, 5000);
}

wire();
