// The worker's phone page: report in three taps, follow my reports, nearest warm station, micro-wishes.
import { api, claims, clearToken, el, getToken, inboxStream, setToken, takeTokenFromUrl, uploadPhoto } from './api.js';
import { applyI18n, bindToggle, currentLang, label, onLangChange, t } from './i18n.js';
import { KINDS, categoryName, currentKindName } from './kinds.js';
import { OfflineMap, featureAt } from './map.js';

const $ = (id) => document.getElementById(id);
const WISH_CATEGORIES = ['clothing', 'repair', 'legal_help', 'schooling', 'health', 'daily_needs', 'other'];
const form = { kind: null, category: null, photo: null, lon: null, lat: null, community: null };
let map = null;
let geojson = null;

function setStatus(node, text, kind = 'muted') {
  node.textContent = text || '';
  node.className = kind === 'error' ? 'error' : kind === 'ok' ? 'ok-msg' : 'muted small';
}

// A rider-readable sentence from an API error: the server's own message (it is written for people).
function sentence(err) {
  if (err.status === 429) return err.message;
  return err.message;
}

function renderKinds() {
  $('kinds').replaceChildren(...KINDS.filter((k) => !k.hiddenOnWorkerPage).map((k) => el('button', {
    class: `kind-btn ${form.kind === k.code ? 'selected' : ''}`, dataset: { kind: k.code }, type: 'button',
    onclick: () => { form.kind = k.code; form.category = k.categories[0][0]; renderKinds(); },
  }, el('span', { class: 'icon' }, k.icon), currentKindName(k))));
  const kind = KINDS.find((k) => k.code === form.kind);
  $('categories').replaceChildren(...(kind ? kind.categories : []).map(([code]) => el('button', {
    class: `cat-btn ${form.category === code ? 'selected' : ''}`, dataset: { category: code }, type: 'button',
    onclick: () => { form.category = code; renderKinds(); },
  }, categoryName(code))));
}

function setLocation(lon, lat, source) {
  form.lon = lon; form.lat = lat;
  const feature = geojson ? featureAt(geojson, lon, lat) : null;
  form.community = feature ? feature.properties.code : null;
  if (map) map.setMarker([lon, lat]);
  const where = feature ? feature.properties.name : `${lat.toFixed(5)}, ${lon.toFixed(5)}`;
  setStatus($('location-status'), `✓ ${t('location_set')}: ${where} (${source})`, 'ok');
}

async function onPhoto() {
  const file = $('photo-input').files[0];
  if (!file) return;
  form.photo = null;
  setStatus($('photo-status'), t('photo_uploading'));
  const preview = $('photo-preview');
  preview.src = URL.createObjectURL(file);
  preview.hidden = false;
  try {
    form.photo = (await uploadPhoto(file)).ref;
    setStatus($('photo-status'), `✓ ${t('photo_ok')}`, 'ok');
  } catch (err) {
    setStatus($('photo-status'), sentence(err), 'error');
  }
}

function locate() {
  if (!navigator.geolocation) { setStatus($('location-status'), t('gps_failed'), 'error'); return; }
  setStatus($('location-status'), t('locating'));
  navigator.geolocation.getCurrentPosition(
    (pos) => setLocation(pos.coords.longitude, pos.coords.latitude, 'GPS'),
    () => setStatus($('location-status'), t('gps_failed'), 'error'),
    { enableHighAccuracy: true, timeout: 10000, maximumAge: 30000 },
  );
}

async function send() {
  const status = $('send-status');
  if (!form.kind) { setStatus(status, t('need_kind'), 'error'); return; }
  if (form.lat === null) { setStatus(status, t('need_location'), 'error'); return; }
  $('send-btn').disabled = true;
  setStatus(status, t('sending'));
  try {
    const body = {
      kind: form.kind, category: form.category, description: $('description').value.trim(),
      location: { lat: form.lat, lon: form.lon, crs: 'WGS84' }, photos: form.photo ? [form.photo] : [],
    };
    const report = await api('/reports', { method: 'POST', body, headers: { 'Idempotency-Key': crypto.randomUUID() } });
    setStatus(status, `✓ ${t('report_sent')}`, 'ok');
    status.dataset.reportId = report.report_id;
    form.photo = null;
    $('photo-input').value = '';
    $('photo-preview').hidden = true;
    $('photo-status').textContent = '';
    $('description').value = '';
    await loadMine();
  } catch (err) {
    setStatus(status, sentence(err), 'error');
  } finally {
    $('send-btn').disabled = false;
  }
}

async function loadMine() {
  try {
    const mine = await api('/reports/mine');
    $('my-reports').replaceChildren(...(mine.length ? mine.map((r) => el('div', { class: 'my-report', dataset: { reportId: r.report_id, status: r.status } },
      el('span', { class: `status-pill st-${r.status}` }, label('st_', r.status)),
      el('strong', {}, categoryName(r.category)),
      el('div', { class: 'muted small' }, new Date(r.submitted_at).toLocaleString(), r.address ? ` · ${r.address}` : ''),
      r.description ? el('div', {}, r.description) : null,
      r.status_notes ? el('div', { class: 'note' }, r.status_notes) : null,
    )) : [el('p', { class: 'muted' }, t('no_reports'))]));
  } catch (err) {
    $('my-reports').replaceChildren(el('p', { class: 'error' }, sentence(err)));
  }
}

// ---- "my reports" and messages, live: the rider's inbox hears of each step of their own cases,
// their wishes and their volunteering ------------------------------------------------------------
let inbox = null;
let mineTimers = [];
let messagesTimer = null;
let wishesTimer = null;
// The inbox stream names each entry by its kind; EventSource hears only the names it listens for.
const CASE_STEPS = ['case.opened', 'case.transitioned', 'case.escalated', 'case.joined', 'case.sla_breached'];
const OTHER_KINDS = ['wish.approved', 'wish.rejected', 'wish.claimed', 'wish.claim_released', 'wish.handed_over',
  'wish.fulfilled', 'wish.thanked', 'wish.expired', 'volunteer.reviewed', 'visit.scheduled', 'pairing.ended'];

// Titles come as "中文 / English".
function inLanguage(title) {
  const [zh, en] = String(title).split(' / ');
  return currentLang() === 'en' && en ? en : zh;
}

function messageDetail(n) {
  const d = n.data || {};
  const when = (iso) => new Date(iso).toLocaleString();
  if (n.event_type === 'visit.scheduled' && d.window_start) return `${when(d.window_start)} – ${when(d.window_end)}`;
  if (n.event_type === 'volunteer.reviewed' && d.reason) return d.reason;
  if (n.event_type === 'wish.rejected' && d.reason) return d.reason;
  return null;
}

async function loadMessages() {
  const section = $('messages-section');
  try {
    const [unread, { unread: count }] = await Promise.all([
      api('/notify/inbox?unread_only=true&order=newest&limit=30'), api('/notify/inbox/unread')]);
    section.hidden = false;
    $('unread-count').hidden = !count;
    $('unread-count').textContent = String(count);
    $('messages').replaceChildren(...(unread.length ? unread.map((n) => el('div', {
      class: `my-report message${n.urgent ? ' urgent' : ''}`, dataset: { notificationId: n.id, kind: n.event_type },
    },
    el('button', { class: 'ghost got-it', type: 'button', onclick: () => markRead(n.id) }, t('got_it')),
    el('strong', {}, inLanguage(n.title)),
    el('div', { class: 'muted small' }, new Date(n.created_at).toLocaleString()),
    messageDetail(n) ? el('div', { class: 'note' }, messageDetail(n)) : null,
    )) : [el('p', { class: 'muted' }, t('no_messages'))]));
  } catch (err) {
    if (err.status === 404) { section.hidden = true; return; } // no notify service here
    section.hidden = false;
    $('messages').replaceChildren(el('p', { class: 'error' }, sentence(err)));
  }
}

async function markRead(id) {
  try {
    await api(`/notify/inbox/${id}/read`, { method: 'POST' });
  } catch (err) {
    if (err.status !== 404) { $('messages').prepend(el('p', { class: 'error' }, sentence(err))); return; }
  }
  await loadMessages();
}

function followMine() {
  if (inbox) inbox.close();
  const live = $('reports-live');
  inbox = inboxStream();
  inbox.onopen = () => {
    live.textContent = `● ${t('live')}`; live.className = 'live on'; live.hidden = false;
    loadMessages(); // what came between the first load and the stream's start
  };
  inbox.onerror = () => {
    // Closed for good (no notify service here, or the token refused): the refresh button remains.
    if (inbox.readyState === EventSource.CLOSED) { live.hidden = true; return; }
    live.textContent = t('reconnecting'); live.className = 'live off';
  };
  const onStep = () => {
    // The reports service learns of the step from the same event as notify, maybe a little later:
    // look again after a moment and after a while, so the list ends on the status it reached.
    mineTimers.forEach(clearTimeout);
    mineTimers = [300, 1500, 5000].map((ms) => setTimeout(loadMine, ms));
  };
  const onMessage = () => { clearTimeout(messagesTimer); messagesTimer = setTimeout(loadMessages, 200); };
  // A wish's step may ask the rider to act on it (confirm a hand-over): its list too.
  const onWish = () => { onMessage(); clearTimeout(wishesTimer); wishesTimer = setTimeout(loadWishes, 200); };
  for (const type of CASE_STEPS) inbox.addEventListener(type, () => { onStep(); onMessage(); });
  for (const type of OTHER_KINDS) inbox.addEventListener(type, type.startsWith('wish.') ? onWish : onMessage);
  inbox.onmessage = () => { onStep(); onMessage(); };
}

async function nearestStation() {
  const out = $('station-result');
  if (form.lat === null) { out.replaceChildren(el('p', { class: 'error' }, t('need_location'))); return; }
  try {
    const answer = await api(`/stations/nearest?lon=${form.lon}&lat=${form.lat}&limit=3`);
    const hits = answer.results || [];
    out.replaceChildren(...(hits.length ? hits.map((s) => el('div', { class: 'my-report station', dataset: { stationId: s.id } },
      el('strong', {}, s.name), s.synthetic ? el('span', { class: 'badge' }, '演示 demo') : null,
      el('div', { class: 'muted small' }, `${Math.round(s.distance_m)} m · ${s.riding_minutes} ${t('minutes_ride')} · `,
        s.open_now ? el('span', { class: 'good' }, t('open_now')) : el('span', { class: 'poor' }, t('closed_now'))),
      s.address ? el('div', { class: 'small' }, s.address) : null,
      (s.amenities || []).length ? el('div', { class: 'small muted' }, s.amenities.join(' · ')) : null,
    )) : [el('p', { class: 'muted' }, t('no_station'))]));
  } catch (err) {
    out.replaceChildren(el('p', { class: err.status === 404 ? 'muted' : 'error' },
      err.status === 404 ? t('station_unavailable') : sentence(err)));
  }
}

async function loadWishes() {
  try {
    const mine = await api('/wishes/mine');
    // A claimed wish's claims (to confirm receipt and thank) come with the wish itself.
    const claimed = new Set(['partly_claimed', 'fully_claimed', 'fulfilled']);
    // One that fails to load in full still shows, without its claims.
    const full = (await Promise.allSettled(mine.map((w) => (claimed.has(w.status) ? api(`/wishes/${w.wish_id}`) : w))))
      .map((r, i) => (r.status === 'fulfilled' ? r.value : mine[i]));
    $('my-wishes').replaceChildren(...(full.length ? full.map((w) => el('div', { class: 'my-report', dataset: { wishId: w.wish_id, status: w.status } },
      el('span', { class: 'status-pill' }, label('ws_', w.status)), el('strong', {}, w.title),
      el('div', { class: 'muted small' }, label('wc_', w.category), w.review_reason ? ` · ${w.review_reason}` : ''),
      ...(w.claims || []).filter((c) => (c.allowed_actions || []).length || c.thanks_message).map((c) => claimLine(w, c)),
    )) : [el('p', { class: 'muted' }, t('no_wishes'))]));
  } catch (err) {
    $('my-wishes').replaceChildren(el('p', { class: 'muted' }, err.status === 404 ? t('wishes_unavailable') : sentence(err)));
  }
}

// A claim on the rider's own wish: confirm it arrived, then thank the donor once.
function claimLine(w, c) {
  const error = el('p', { class: 'error small', role: 'alert' });
  const act = async (button, path, body) => {
    button.disabled = true;
    try {
      await api(`/wishes/${w.wish_id}/claims/${c.claim_id}/${path}`, { method: 'POST', body });
      await loadWishes();
    } catch (err) {
      error.textContent = sentence(err);
      button.disabled = false;
    }
  };
  const parts = [el('div', { class: 'muted small' }, `${c.shares} ${t('shares')} · ${label('cs_', c.status)}`,
    c.handover_station_id || c.handover_place ? ` · ${c.handover_station_id || c.handover_place}` : '')];
  if (c.allowed_actions.includes('confirm')) {
    const yes = el('button', { class: 'primary confirm-btn', type: 'button' }, t('confirm_received'));
    yes.addEventListener('click', () => act(yes, 'confirm'));
    parts.push(yes);
  }
  if (c.allowed_actions.includes('thank')) {
    const message = el('input', { class: 'todo-reason', maxlength: '200', placeholder: t('thanks_placeholder') });
    const thank = el('button', { class: 'thank-btn', type: 'button' }, t('thank'));
    thank.addEventListener('click', () => {
      if (!message.value.trim()) { message.focus(); return; }
      act(thank, 'thank', { message: message.value.trim() });
    });
    parts.push(el('div', { class: 'todo-actions' }, message, thank));
  }
  if (c.thanks_message) parts.push(el('div', { class: 'note' }, `“${c.thanks_message}”`));
  parts.push(error);
  return el('div', { class: 'claim', dataset: { claimId: c.claim_id, status: c.status } }, ...parts);
}

async function postWish() {
  const status = $('wish-status');
  const title = $('wish-title').value.trim();
  if (!form.community) { setStatus(status, t('need_location'), 'error'); return; }
  const wanted = new Date(Date.now() + 14 * 86400e3).toISOString().slice(0, 10);
  try {
    await api('/wishes', { method: 'POST', body: {
      title, category: $('wish-category').value, wanted_by: wanted, community_code: form.community,
    } });
    setStatus(status, `✓ ${t('wish_posted')}`, 'ok');
    $('wish-title').value = '';
    await loadWishes();
  } catch (err) {
    setStatus(status, err.status === 404 ? t('wishes_unavailable') : sentence(err), 'error');
  }
}

async function start() {
  const c = claims();
  if (!c || c.role !== 'worker') {
    $('signin').hidden = false; $('app').hidden = true;
    if (c) $('signin-error').textContent = 'worker token needed';
    return;
  }
  $('signin').hidden = true; $('app').hidden = false; $('signout').hidden = false;
  renderKinds();
  $('wish-category').replaceChildren(...WISH_CATEGORIES.map((code) => el('option', { value: code }, label('wc_', code))));
  try {
    geojson = await api('/jurisdictions/geojson');
    map = new OfflineMap($('worker-map'), { onMapClick: ({ lon, lat }) => setLocation(lon, lat, 'map') });
    map.setGeoJSON(geojson);
  } catch (err) {
    $('worker-map').replaceChildren(el('p', { class: 'error' }, sentence(err)));
  }
  followMine();
  await Promise.all([loadMine(), loadWishes(), loadMessages()]);
}

function wire() {
  takeTokenFromUrl();
  bindToggle($('lang-toggle'));
  onLangChange(() => { renderKinds(); loadMine(); loadWishes(); loadMessages(); });
  $('signin-btn').addEventListener('click', () => {
    const token = $('token-input').value.trim();
    if (!token) { $('signin-error').textContent = t('token_missing'); return; }
    setToken(token);
    start();
  });
  $('signout').addEventListener('click', () => { clearToken(); location.reload(); });
  $('photo-input').addEventListener('change', onPhoto);
  $('gps-btn').addEventListener('click', locate);
  $('send-btn').addEventListener('click', send);
  $('reports-refresh').addEventListener('click', loadMine);
  $('station-btn').addEventListener('click', nearestStation);
  $('wish-btn').addEventListener('click', postWish);
  applyI18n();
  if (getToken()) start(); else $('signin').hidden = false;
}

wire();
