// The micro-wish wall (微心愿墙): approved wishes anyone may look at, never saying who posted them.
// Signed in with any token, a donor claims a share, then hands it over at a warm station or a
// place, or gives it back while it is held.
import { api, claims, clearToken, el, getToken, setToken, takeTokenFromUrl } from './api.js';
import { bindToggle, label, onLangChange, t } from './i18n.js';

const $ = (id) => document.getElementById(id);
const CATEGORIES = ['clothing', 'repair', 'legal_help', 'schooling', 'health', 'daily_needs', 'other'];

function signedIn() { return Boolean(claims()); }

// What a failed call means here: a token the services refuse signs the donor out; a wish or
// claim that changed meanwhile (404, 409) reloads the lists, so they show what is true now.
async function afterFailure(err, error) {
  error.textContent = err.message;
  if (err.status === 401) {
    clearToken();
    showSignedIn();
    $('signin-error').textContent = `${t('token_unreadable')}: ${err.message}`;
    $('my-claims-section').hidden = true;
  } else if (err.status === 404 || err.status === 409) {
    await Promise.all([loadWall(), loadClaims()]);
  }
}

function renderCategories() {
  const chosen = $('wall-category').value;
  $('wall-category').replaceChildren(el('option', { value: '' }, t('all_categories')),
    ...CATEGORIES.map((c) => el('option', { value: c }, label('wc_', c))));
  $('wall-category').value = chosen;
}

async function loadWall() {
  const category = $('wall-category').value;
  try {
    const wishes = await api(`/wishes${category ? `?category=${category}` : ''}`);
    $('wall').replaceChildren(...(wishes.length ? wishes.map(card) : [el('p', { class: 'muted' }, t('wall_empty'))]));
  } catch (err) {
    $('wall').replaceChildren(el('p', { class: 'error' }, err.status === 404 ? t('wishes_unavailable') : err.message));
  }
}

function card(w) {
  const error = el('p', { class: 'error small', role: 'alert' });
  const claim = el('button', { class: 'primary claim-btn', type: 'button' }, t('claim_one'));
  claim.addEventListener('click', async () => {
    if (!signedIn()) { error.textContent = t('sign_in_to_claim'); $('token-input').focus(); return; }
    claim.disabled = true;
    try {
      await api(`/wishes/${w.wish_id}/claims`, { method: 'POST', body: { shares: 1 } });
      await Promise.all([loadWall(), loadClaims()]);
    } catch (err) {
      claim.disabled = false;
      await afterFailure(err, error);
    }
  });
  return el('div', { class: 'my-report wish-card', dataset: { wishId: w.wish_id } },
    el('strong', {}, w.title), el('span', { class: 'badge' }, label('wc_', w.category)),
    el('div', { class: 'muted small' }, `${t('shares_left')} ${w.shares_left}/${w.shares}`,
      w.wanted_by ? ` · ${t('wanted_by')} ${w.wanted_by}` : '', ` · ${w.community_code}`),
    w.shares_left > 0 ? claim : null, error);
}

async function loadClaims() {
  if (!signedIn()) { $('my-claims-section').hidden = true; return; }
  $('my-claims-section').hidden = false;
  try {
    const mine = await api('/wishes/claims/mine');
    $('my-claims').replaceChildren(...(mine.length ? mine.map(claimRow) : [el('p', { class: 'muted' }, t('no_claims'))]));
  } catch (err) {
    if (err.status === 401) { await afterFailure(err, $('signin-error')); return; }
    $('my-claims').replaceChildren(el('p', { class: 'error' }, err.message));
  }
}

function claimRow(c) {
  const error = el('p', { class: 'error small', role: 'alert' });
  const buttons = [];
  const act = (path, body) => async () => {
    for (const b of buttons) b.disabled = true;
    try {
      await api(`/wishes/${c.wish_id}/claims/${c.claim_id}/${path}`, { method: 'POST', body });
      await Promise.all([loadWall(), loadClaims()]);
    } catch (err) {
      for (const b of buttons) b.disabled = false;
      await afterFailure(err, error);
    }
  };
  const parts = [
    el('span', { class: 'status-pill' }, label('cs_', c.status)),
    el('strong', {}, `${c.wish_title || ''} · ${c.shares} ${t('shares')}`),
    el('div', { class: 'muted small' }, c.status === 'held'
      ? `${t('held_until')} ${new Date(c.held_until).toLocaleString()}`
      : c.handed_over_at ? `${t('handed_over')} ${c.handover_station_id || c.handover_place || ''}` : ''),
    c.thanks_message ? el('div', { class: 'note' }, `“${c.thanks_message}”`) : null,
  ];
  if ((c.allowed_actions || []).includes('hand_over')) {
    const place = el('input', { class: 'todo-reason', maxlength: '200', placeholder: t('handover_place') });
    const hand = el('button', { class: 'primary handover-btn', type: 'button' }, t('hand_over'));
    hand.addEventListener('click', () => {
      const where = place.value.trim();
      if (!where) { error.textContent = t('handover_place_needed'); place.focus(); return; }
      act('hand-over', { place: where })();
    });
    const back = el('button', { class: 'ghost withdraw-btn', type: 'button' }, t('withdraw'));
    back.addEventListener('click', act('withdraw'));
    buttons.push(hand, back);
    parts.push(el('div', { class: 'todo-actions' }, place, hand, back));
  }
  parts.push(error);
  return el('div', { class: 'my-report claim', dataset: { claimId: c.claim_id, wishId: c.wish_id, status: c.status } }, ...parts);
}

function showSignedIn() {
  const c = claims();
  $('signin').hidden = Boolean(c);
  $('signout').hidden = !c;
}

function wire() {
  takeTokenFromUrl();
  bindToggle($('lang-toggle'));
  renderCategories();
  onLangChange(() => { renderCategories(); loadWall(); loadClaims(); });
  $('wall-category').addEventListener('change', loadWall);
  $('signin-btn').addEventListener('click', () => {
    const token = $('token-input').value.trim();
    if (!token) { $('signin-error').textContent = t('token_missing'); return; }
    setToken(token);
    if (!claims()) { clearToken(); $('signin-error').textContent = t('token_unreadable'); return; }
    $('signin-error').textContent = '';
    showSignedIn();
    loadClaims();
  });
  $('signout').addEventListener('click', () => { clearToken(); location.reload(); });
  if (getToken() && !claims()) clearToken();
  showSignedIn();
  loadWall().then(loadClaims);
}

wire();
