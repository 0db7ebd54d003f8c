// The community / street / district dashboard: live case list with SLA clocks, detail and actions,
// an offline map, compliance statistics and the to-do (wishes and volunteers to decide on).
// Updates arrive on the notify SSE streams.
import { api, claims, clearToken, el, getToken, photoUrl, setToken, takeTokenFromUrl, uploadPhoto } from './api.js';
import { applyI18n, bindToggle, label, onLangChange, t } from './i18n.js';
import { categoryName } from './kinds.js';
import { OfflineMap } from './map.js';
import { lineChart } from './chart.js';
import { formatLeft, slaState, stateOf, urgency } from './sla.js';
import { loadTodo, startTodo } from './todo.js';

const $ = (id) => document.getElementById(id);
const STAFF = ['community_staff', 'street_staff', 'district_staff', 'ops'];
const NOTE_REQUIRED = { resolve: 'note', return_not_ours: 'reason', dismiss: 'reason', request_info: 'note', reopen: 'reason' };
const PHOTO_REF = /sha256:[0-9a-f]{64}\.[a-z]+/g;

const state = {
  cases: [], seen: new Set(), openCase: null, detail: null, geojson: null, names: new Map(),
  stats: null, source: null, refreshTimer: null, map: null, tab: 'cases',
};

function placeName(code) {
  if (!code) return t('triage');
  const name = state.names.get(code);
  return name ? name.replace(/社区居民委员会$|居民委员会$/, '') : code;
}

function showError(message) { $('page-error').textContent = message || ''; }

// ---- sign-in ---------------------------------------------------------------------------------
function signedInRole() {
  const c = claims();
  return c && STAFF.includes(c.role) ? c : null;
}

function showSignIn(message) {
  $('signin').hidden = false;
  $('app').hidden = true;
  $('signout').hidden = true;
  $('signin-error').textContent = message || '';
}

async function start() {
  const c = signedInRole();
  if (!c) { showSignIn(getToken() ? t('token_hint') : ''); return; }
  $('signin').hidden = true;
  $('app').hidden = false;
  $('signout').hidden = false;
  const scope = c.community || c.street || '500112';
  $('whoami').textContent = `${c.sub} · ${c.role} · ${scope}`;
  try {
    state.geojson = await api('/jurisdictions/geojson');
    for (const f of state.geojson.features) state.names.set(f.properties.code, f.properties.name);
    $('community-codes').replaceChildren(...state.geojson.features
      .filter((f) => f.properties.level === 'community')
      .map((f) => el('option', { value: f.properties.code }, f.properties.name)));
  } catch (err) {
    if (err.status === 401) { clearToken(); showSignIn(err.message); return; }
    showError(err.message);
  }
  await refreshCases();
  connectStream();
  startTodo(c.role, placeName);
  setInterval(tick, 1000);
}

// ---- the case list ---------------------------------------------------------------------------
async function refreshCases() {
  try {
    const cases = await api('/cases');
    const firstLoad = state.seen.size === 0 && state.cases.length === 0;
    state.cases = cases.sort((a, b) => urgency(a) - urgency(b));
    renderCases(firstLoad);
    renderPins();
    showError('');
  } catch (err) {
    if (err.status === 401) { clearToken(); showSignIn(err.message); return; }
    showError(err.message);
  }
}

function countdown(at, kind) {
  return el('span', { class: 'countdown', dataset: { deadline: String(at), kind } });
}

function renderCases(firstLoad) {
  const rows = state.cases.map((c) => {
    const isNew = !firstLoad && !state.seen.has(c.case_id);
    state.seen.add(c.case_id);
    const s = slaState(c);
    const ack = c.status === 'new' && !c.paused ? countdown(Date.parse(c.acknowledge_by), 'ack')
      : el('span', { class: 'muted' }, c.status === 'new' ? '—' : '✓');
    const done = ['resolved', 'closed'].includes(c.status);
    const resolve = done ? el('span', { class: 'muted' }, t('done')) : c.paused
      ? el('span', { class: 'paused-label' }, '‖ ', t('paused')) : countdown(Date.parse(c.resolve_by), 'resolve');
    return el('tr', {
      class: [`sla-${s}`, isNew ? 'flash' : '', c.escalation_level > 0 ? 'escalated' : '',
        c.case_id === state.openCase ? 'selected' : ''].join(' '),
      dataset: { caseId: c.case_id, status: c.status },
      onclick: () => openDetail(c.case_id),
    },
    el('td', {}, el('strong', {}, categoryName(c.category)), ' ', el('span', { class: `sev sev-${c.severity}` }, label('sev_', c.severity)),
      c.cluster_size > 1 ? el('span', { class: 'badge' }, `${c.cluster_size} ${t('cluster')}`) : null),
    el('td', {}, placeName(c.community_code)),
    el('td', { class: 'status' }, el('span', { class: `status-pill st-${c.status}` }, label('st_', c.status))),
    el('td', { class: 'ack' }, ack),
    el('td', { class: 'resolve' }, resolve),
    el('td', {}, c.escalation_level > 0 ? el('span', { class: 'badge escalation' }, `${t('escalated_level')}${c.escalation_level}`) : ''));
  });
  $('case-rows').replaceChildren(...rows);
  $('no-cases').hidden = rows.length > 0;
  tick();
}

function tick() {
  const now = Date.now();
  for (const node of document.querySelectorAll('.countdown[data-deadline]')) {
    const at = Number(node.dataset.deadline);
    node.textContent = formatLeft(at - now);
    node.className = `countdown ${stateOf(at, now)}`;
    node.title = new Date(at).toLocaleString();
  }
  for (const row of document.querySelectorAll('#case-rows tr[data-case-id]')) {
    const c = state.cases.find((x) => x.case_id === row.dataset.caseId);
    if (c) {
      const s = slaState(c, now);
      row.classList.remove('sla-ok', 'sla-soon', 'sla-breached', 'sla-paused', 'sla-done');
      row.classList.add(`sla-${s}`);
    }
  }
}

// ---- live updates ----------------------------------------------------------------------------
function connectStream() {
  if (state.source) state.source.close();
  const live = $('live-state');
  const source = new EventSource(`/notify/stream?access_token=${encodeURIComponent(getToken())}`);
  state.source = source;
  source.onopen = () => { live.textContent = `● ${t('live')}`; live.className = 'live on'; };
  source.onerror = () => { live.textContent = t('reconnecting'); live.className = 'live off'; };
  const onEvent = (e) => {
    let entry = null;
    try { entry = JSON.parse(e.data); } catch { /* keep-alive or malformed: refresh anyway */ }
    scheduleRefresh(entry && entry.case_id);
  };
  for (const type of ['case.opened', 'case.transitioned', 'case.joined', 'case.sla_breached', 'case.escalated']) {
    source.addEventListener(type, onEvent);
  }
  source.onmessage = onEvent;
}

function scheduleRefresh(caseId) {
  clearTimeout(state.refreshTimer);
  state.refreshTimer = setTimeout(async () => {
    await refreshCases();
    if (state.openCase && (!caseId || caseId === state.openCase)) await loadDetail(state.openCase);
    if (state.tab === 'stats') await loadStats();
  }, 250);
}

// ---- case detail -----------------------------------------------------------------------------
async function openDetail(caseId) {
  state.openCase = caseId;
  for (const row of document.querySelectorAll('#case-rows tr')) {
    row.classList.toggle('selected', row.dataset.caseId === caseId);
  }
  $('detail').hidden = false;
  $('detail-body').replaceChildren(el('p', { class: 'muted' }, '…'));
  await loadDetail(caseId);
}

async function loadDetail(caseId) {
  try {
    const detail = await api(`/cases/${caseId}`);
    if (state.openCase !== caseId) return;
    state.detail = detail;
    const reports = await Promise.all(detail.reports.map((id) => api(`/reports/${id}`).catch(() => null)));
    renderDetail(detail, reports.filter(Boolean));
  } catch (err) {
    $('detail-body').replaceChildren(el('p', { class: 'error' }, err.message));
  }
}

function renderDetail(c, reports) {
  const done = ['resolved', 'closed'].includes(c.status);
  const facts = el('dl', { class: 'facts' },
    el('dt', {}, t('col_status')), el('dd', {}, el('span', { class: `status-pill st-${c.status}` }, label('st_', c.status)),
      c.paused ? el('span', { class: 'paused-label' }, ' ‖ ', t('paused')) : null),
    el('dt', {}, t('severity')), el('dd', {}, label('sev_', c.severity)),
    el('dt', {}, t('col_where')), el('dd', {}, `${placeName(c.community_code)} (${c.community_code || '—'})`),
    el('dt', {}, t('opened')), el('dd', {}, new Date(c.opened_at).toLocaleString()),
    el('dt', {}, t('col_ack')), el('dd', { class: 'detail-ack' }, c.status === 'new' && !c.paused
      ? countdown(Date.parse(c.acknowledge_by), 'ack') : new Date(c.acknowledge_by).toLocaleString()),
    el('dt', {}, t('col_resolve')), el('dd', { class: 'detail-resolve' }, done || c.paused
      ? new Date(c.resolve_by).toLocaleString() : countdown(Date.parse(c.resolve_by), 'resolve')),
    el('dt', {}, t('col_escalation')), el('dd', {}, c.escalation_level > 0
      ? el('span', { class: 'badge escalation' }, `${t('escalated_level')}${c.escalation_level}`) : '0'),
    el('dt', {}, t('reporter')), el('dd', {}, c.reporter_id || t('hidden')),
  );
  const refs = new Set();
  for (const r of reports) for (const ref of r.photos || []) refs.add(ref);
  for (const h of c.history) for (const ref of (h.note || '').match(PHOTO_REF) || []) refs.add(ref);
  const gallery = el('div', { class: 'photos' });
  if (!refs.size) gallery.append(el('p', { class: 'muted' }, t('no_photos')));
  for (const ref of refs) {
    const img = el('img', { alt: ref, class: 'photo', 'data-ref': ref });
    gallery.append(img);
    photoUrl(ref).then((url) => { img.src = url; }).catch((err) => { img.replaceWith(el('span', { class: 'error small' }, err.message)); });
  }
  const reportList = el('ul', { class: 'reports' }, reports.map((r) => el('li', {},
    el('strong', {}, categoryName(r.category)), ' — ', r.description || '', r.address ? ` · ${r.address}` : '',
    el('span', { class: 'muted small' }, ` ${new Date(r.submitted_at).toLocaleString()}`))));
  const history = el('ol', { class: 'history' }, c.history.map((h) => el('li', {},
    el('span', { class: 'when' }, new Date(h.at).toLocaleString()), ' ',
    el('strong', {}, label('act_', h.action)), ' ',
    el('span', { class: 'muted' }, `${h.from_status ? label('st_', h.from_status) + ' → ' : ''}${label('st_', h.to_status)} · ${h.actor_id} (${h.actor_role})`),
    h.note ? el('div', { class: 'note' }, h.note.replace(PHOTO_REF, '[photo]')) : null)));
  const buttons = c.allowed_actions.length
    ? c.allowed_actions.map((a) => el('button', { class: `action-btn act-${a}`, dataset: { action: a }, onclick: () => askAction(c, a) }, label('act_', a)))
    : [el('p', { class: 'muted' }, t('no_actions'))];
  $('detail-body').replaceChildren(
    el('h3', { class: 'detail-title' }, categoryName(c.category), el('small', { class: 'muted' }, ` #${c.case_id.slice(0, 8)}`)),
    facts,
    el('h4', {}, t('actions')), el('div', { class: 'actions' }, buttons),
    el('p', { id: 'detail-error', class: 'error', role: 'alert' }),
    el('h4', {}, t('photos')), gallery,
    el('h4', {}, t('reports')), reportList,
    el('h4', {}, t('history')), history,
  );
  tick();
}

// ---- actions ---------------------------------------------------------------------------------
function askAction(c, action) {
  const needs = NOTE_REQUIRED[action];
  if (!needs && action !== 'reassign') { doAction(c, action, {}); return; }
  const dialog = $('action-dialog');
  $('action-title').textContent = label('act_', action);
  $('action-note-label').textContent = t(needs === 'reason' ? 'reason' : 'note');
  $('action-note').value = '';
  $('action-note').required = Boolean(needs);
  $('action-community').value = '';
  $('action-community-row').hidden = action !== 'reassign';
  $('action-photo').value = '';
  $('action-photo-row').hidden = action !== 'resolve';
  $('action-error').textContent = '';
  dialog.dataset.action = action;
  dialog.dataset.caseId = c.case_id;
  dialog.showModal();
  $('action-note').focus();
}

async function submitDialog(event) {
  event.preventDefault();
  const dialog = $('action-dialog');
  const action = dialog.dataset.action;
  const c = state.detail;
  const body = { note: $('action-note').value.trim() || null };
  if (action === 'reassign') body.community_code = $('action-community').value.trim() || null;
  const file = $('action-photo').files[0];
  $('action-submit').disabled = true;
  try {
    if (file && action === 'resolve') body.photos = [(await uploadPhoto(file)).ref];
    const ok = await doAction(c, action, body, $('action-error'));
    if (ok) dialog.close();
  } catch (err) {
    $('action-error').textContent = err.message;
  } finally {
    $('action-submit').disabled = false;
  }
}

async function doAction(c, action, body, errorNode) {
  const target = errorNode || $('detail-error');
  try {
    await api(`/cases/${c.case_id}/actions/${action}`, { method: 'POST', body });
    if (target) target.textContent = '';
    await refreshCases();
    if (action === 'reassign' || action === 'return_not_ours') {
      await loadDetail(c.case_id).catch(() => {});
    } else {
      await loadDetail(c.case_id);
    }
    return true;
  } catch (err) {
    // 409 (illegal move) and 403 (not yours) carry a sentence for people: show it as it is.
    if (target) target.textContent = err.message;
    return false;
  }
}

// ---- map -------------------------------------------------------------------------------------
function ensureMap() {
  if (state.map || !state.geojson) return;
  state.map = new OfflineMap($('map'), { onPinClick: (pin) => openDetail(pin.id) });
  state.map.setGeoJSON(state.geojson);
  renderPins();
}

function renderPins() {
  if (!state.map) return;
  state.map.setPins(state.cases.map((c) => ({
    id: c.case_id, lon: c.lon, lat: c.lat, state: slaState(c),
    label: `${categoryName(c.category)} · ${label('st_', c.status)} · ${placeName(c.community_code)}`,
  })));
}

// ---- statistics ------------------------------------------------------------------------------
const pct = (v) => (v === null || v === undefined ? '—' : `${v.toFixed(1)}%`);
const pctClass = (v, good = true) => (v === null ? '' : (good ? v >= 90 : v <= 5) ? 'good' : (good ? v >= 70 : v <= 15) ? 'fair' : 'poor');

function statsRow(name, r) {
  return el('tr', { dataset: { code: r.community_code || r.street_code || '' } },
    el('td', {}, name),
    el('td', { class: `num ${pctClass(r.ack_on_time_pct)}` }, pct(r.ack_on_time_pct)),
    el('td', { class: `num ${pctClass(r.resolved_on_time_pct)}` }, pct(r.resolved_on_time_pct)),
    el('td', { class: `num ${pctClass(r.reopen_rate_pct, false)}` }, pct(r.reopen_rate_pct)),
    el('td', { class: 'num' }, r.open), el('td', { class: `num ${r.overdue ? 'poor' : ''}` }, r.overdue),
    el('td', { class: 'num' }, r.total));
}

function statsHead(first) {
  return el('thead', {}, el('tr', {}, el('th', {}, first), el('th', {}, t('stat_ack')), el('th', {}, t('stat_resolve')),
    el('th', {}, t('stat_reopen')), el('th', {}, t('stat_open')), el('th', {}, t('stat_overdue')), el('th', {}, t('stat_total'))));
}

async function loadStats() {
  try {
    state.stats = await api('/cases/stats?days=30');
    renderStats();
  } catch (err) {
    showError(err.message);
  }
}

function renderStats() {
  const s = state.stats;
  if (!s) return;
  const k = s.totals;
  const kpi = (key, value, cls) => el('div', { class: `kpi ${cls || ''}` }, el('div', { class: 'kpi-value' }, value), el('div', { class: 'kpi-label' }, t(key)));
  $('kpis').replaceChildren(
    kpi('stat_ack', pct(k.ack_on_time_pct), pctClass(k.ack_on_time_pct)),
    kpi('stat_resolve', pct(k.resolved_on_time_pct), pctClass(k.resolved_on_time_pct)),
    kpi('stat_reopen', pct(k.reopen_rate_pct), pctClass(k.reopen_rate_pct, false)),
    kpi('stat_open', String(k.open)), kpi('stat_overdue', String(k.overdue), k.overdue ? 'poor' : ''),
    kpi('stat_total', String(k.total)));
  const role = s.scope.role;
  const district = role === 'district_staff' || role === 'ops';
  $('stats-streets-box').hidden = !district;
  if (district) {
    $('stats-streets').replaceChildren(statsHead(t('by_street')), el('tbody', {},
      s.streets.map((r) => statsRow(r.street_name || r.street_code || t('triage'), r))));
  }
  const filter = $('street-filter');
  filter.hidden = !district;
  if (district && filter.options.length !== s.streets.length + 1) {
    const keep = filter.value;
    filter.replaceChildren(el('option', { value: '' }, t('all_streets')),
      ...s.streets.map((r) => el('option', { value: r.street_code || '' }, r.street_name || r.street_code || t('triage'))));
    filter.value = keep;
  }
  const wanted = district ? filter.value : '';
  $('stats-communities').replaceChildren(statsHead(t('by_community')), el('tbody', {},
    s.communities.filter((r) => !wanted || r.street_code === wanted)
      .map((r) => statsRow(placeName(r.community_code), r))));
  $('chart').replaceChildren(lineChart(s.daily, [
    { key: 'opened', label: t('s_opened'), colour: '#1a73e8' },
    { key: 'resolved', label: t('s_resolved'), colour: '#188038' },
    { key: 'breached', label: t('s_breached'), colour: '#d93025' },
  ]));
}

// ---- tabs and wiring -------------------------------------------------------------------------
function showTab(tab) {
  state.tab = tab;
  for (const b of document.querySelectorAll('.tabs [data-tab]')) b.classList.toggle('active', b.dataset.tab === tab);
  for (const name of ['cases', 'map', 'stats', 'todo']) $(`view-${name}`).hidden = name !== tab;
  if (tab === 'map') ensureMap();
  if (tab === 'stats') loadStats();
  if (tab === 'todo') loadTodo();
}

function wire() {
  takeTokenFromUrl();
  bindToggle($('lang-toggle'));
  onLangChange(() => { renderCases(false); if (state.detail && state.openCase) loadDetail(state.openCase); renderStats(); renderPins(); });
  $('signin-btn').addEventListener('click', () => {
    const token = $('token-input').value.trim();
    if (!token) { $('signin-error').textContent = t('token_missing'); return; }
    setToken(token);
    const c = signedInRole();
    if (!c) { clearToken(); $('signin-error').textContent = 'staff token needed (community_staff, street_staff, district_staff, ops)'; return; }
    start();
  });
  $('signout').addEventListener('click', () => { clearToken(); if (state.source) state.source.close(); location.reload(); });
  for (const b of document.querySelectorAll('.tabs [data-tab]')) b.addEventListener('click', () => showTab(b.dataset.tab));
  $('detail-close').addEventListener('click', () => { $('detail').hidden = true; state.openCase = null; state.detail = null; });
  $('action-form').addEventListener('submit', submitDialog);
  $('action-cancel').addEventListener('click', (e) => { e.preventDefault(); $('action-dialog').close(); });
  $('street-filter').addEventListener('change', renderStats);
  applyI18n();
  start();
}

wire();
