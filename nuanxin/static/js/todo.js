// The officer's to-do tab: wishes waiting for review and volunteers waiting for a decision on their
// roles, with the buttons to decide. For community staff it follows the staff inbox stream, which
// hears of each new wish (wish.posted) and volunteer (volunteer.registered) of the community.
import { api, el, inboxStream } from './api.js';
import { label, onLangChange, t } from './i18n.js';

const $ = (id) => document.getElementById(id);
const todo = { role: null, placeName: (code) => code, timer: null, source: null, counts: { wishes: 0, volunteers: 0 } };

export function startTodo(role, placeName) {
  todo.role = role;
  if (placeName) todo.placeName = placeName;
  onLangChange(() => { // every item again, in the new language
    $('todo-wishes').replaceChildren();
    $('todo-volunteers').replaceChildren();
    loadTodo();
  });
  follow();
  return loadTodo();
}

function follow() {
  if (todo.source) todo.source.close();
  todo.source = inboxStream();
  const soon = () => { clearTimeout(todo.timer); todo.timer = setTimeout(loadTodo, 300); };
  for (const type of ['wish.posted', 'volunteer.registered']) todo.source.addEventListener(type, soon);
}

export async function loadTodo() {
  await Promise.all([loadWishes(), loadVolunteers()]);
  const n = todo.counts.wishes + todo.counts.volunteers;
  $('todo-count').textContent = n ? String(n) : '';
  $('todo-count').hidden = !n;
  $('todo-empty').hidden = n > 0;
}

// Items keep their nodes while they are still waiting, so a reload (another item arriving) never
// wipes a reason being typed; gone ones are removed, new ones added at the end (oldest first).
function sync(container, items, keyOf, build) {
  const wanted = new Set(items.map(keyOf));
  for (const node of [...container.children]) if (!wanted.has(node.dataset.key)) node.remove();
  const have = new Set([...container.children].map((node) => node.dataset.key));
  for (const item of items) {
    if (have.has(keyOf(item))) continue;
    const node = build(item);
    node.dataset.key = keyOf(item);
    container.append(node);
  }
}

// A decision's reason box, its error line, and the buttons (all off while one call is out).
function decision({ accept, acceptLabel, refuse, refuseLabel }) {
  const reason = el('input', { class: 'todo-reason', maxlength: '500', placeholder: t('reason_placeholder') });
  const error = el('p', { class: 'error small', role: 'alert' });
  const yes = el('button', { class: 'primary todo-accept', type: 'button' }, acceptLabel);
  const no = el('button', { class: 'todo-refuse', type: 'button' }, refuseLabel);
  const run = async (call) => {
    error.textContent = '';
    yes.disabled = no.disabled = true;
    try {
      await call();
      await loadTodo();
    } catch (err) {
      error.textContent = err.message;
      // Decided elsewhere meanwhile (409), or gone (404): the list shows what is true now.
      if (err.status === 404 || err.status === 409) await loadTodo();
    } finally {
      yes.disabled = no.disabled = false;
    }
  };
  yes.addEventListener('click', () => run(accept));
  no.addEventListener('click', () => {
    const why = reason.value.trim();
    if (!why) { error.textContent = t('reason_needed'); reason.focus(); return; }
    run(() => refuse(why));
  });
  return el('div', { class: 'todo-actions' }, yes, reason, no, error);
}

function showLoadError(container, err) {
  container.replaceChildren(el('p', { class: 'error' }, err.message));
}

async function loadWishes() {
  const box = $('todo-wishes-box');
  try {
    const wishes = await api('/wishes/review');
    box.hidden = false;
    todo.counts.wishes = wishes.length;
    sync($('todo-wishes'), wishes, (w) => w.wish_id, (w) => el('div', { class: 'todo-item', dataset: { wishId: w.wish_id } },
      el('strong', {}, w.title), el('span', { class: 'badge' }, label('wc_', w.category)),
      el('div', { class: 'muted small' }, `${todo.placeName(w.community_code)} · ${new Date(w.created_at).toLocaleString()} · ${w.shares} ${t('shares')}`),
      w.details ? el('div', {}, w.details) : null,
      w.why ? el('div', { class: 'note' }, w.why) : null,
      decision({
        acceptLabel: t('approve'), refuseLabel: t('reject'),
        accept: () => api(`/wishes/${w.wish_id}/approve`, { method: 'POST' }),
        refuse: (reason) => api(`/wishes/${w.wish_id}/reject`, { method: 'POST', body: { reason } }),
      })));
  } catch (err) {
    todo.counts.wishes = 0;
    if (err.status === 404 || err.status === 403) { box.hidden = true; return; } // no wishes service, or not a reviewer
    showLoadError($('todo-wishes'), err);
  }
}

async function loadVolunteers() {
  const box = $('todo-volunteers-box');
  // Only the volunteer's own community decides on their roles.
  if (todo.role !== 'community_staff') { box.hidden = true; todo.counts.volunteers = 0; return; }
  try {
    const waiting = (await api('/volunteers')).filter((v) => v.roles.some((r) => r.status === 'pending'));
    box.hidden = false;
    todo.counts.volunteers = waiting.length;
    const pendingOf = (v) => v.roles.filter((r) => r.status === 'pending').map((r) => r.role);
    // Keyed by the roles too: a volunteer who asks for more shows again with all of them.
    sync($('todo-volunteers'), waiting, (v) => `${v.volunteer_id}:${pendingOf(v).join(',')}`, (v) => {
      const pending = pendingOf(v);
      const path = `/volunteers/${encodeURIComponent(v.volunteer_id)}`;
      return el('div', { class: 'todo-item', dataset: { volunteerId: v.volunteer_id } },
        el('strong', {}, v.volunteer_id), ' ',
        ...pending.map((r) => el('span', { class: 'badge' }, label('role_', r))),
        el('div', { class: 'muted small' }, new Date(v.registered_at).toLocaleString()),
        decision({
          acceptLabel: t('confirm_roles'), refuseLabel: t('decline_roles'),
          accept: () => api(`${path}/confirm`, { method: 'POST', body: { roles: pending } }),
          refuse: (reason) => api(`${path}/decline`, { method: 'POST', body: { roles: pending, reason } }),
        }));
    });
  } catch (err) {
    todo.counts.volunteers = 0;
    if (err.status === 404) { box.hidden = true; return; } // no volunteers service here
    showLoadError($('todo-volunteers'), err);
  }
}
