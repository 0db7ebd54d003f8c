// Token handling and fetch helpers shared by every page. Tokens live in sessionStorage only.
const KEY = 'nuanxin.token';

export function takeTokenFromUrl() {
  // Dev convenience: /dashboard?token=eyJ... signs in, then the token leaves the address bar.
  const url = new URL(window.location.href);
  const token = url.searchParams.get('token');
  if (token) {
    sessionStorage.setItem(KEY, token.trim());
    url.searchParams.delete('token');
    history.replaceState(null, '', url.pathname + url.search + url.hash);
  }
}

export function getToken() { return sessionStorage.getItem(KEY); }
export function setToken(token) { sessionStorage.setItem(KEY, token.trim()); }
export function clearToken() { sessionStorage.removeItem(KEY); }

// The token's claims, for the page to adapt to the role. Not verified here: the server does that.
export function claims(token = getToken()) {
  if (!token) return null;
  try {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const bytes = Uint8Array.from(atob(part + '='.repeat((4 - part.length % 4) % 4)), (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return null;
  }
}

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

async function parse(response) {
  const type = response.headers.get('content-type') || '';
  return type.includes('json') ? response.json() : response.text();
}

export async function api(path, { method = 'GET', body, form, headers = {} } = {}) {
  const token = getToken();
  const init = { method, headers: { ...headers } };
  if (token) init.headers.Authorization = `Bearer ${token}`;
  if (form) {
    init.body = form;
  } else if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (err) {
    throw new ApiError(0, { message: `network: ${err.message}` });
  }
  const data = await parse(response).catch(() => null);
  if (!response.ok) throw new ApiError(response.status, typeof data === 'object' ? data : { message: data });
  return data;
}

export async function uploadPhoto(file) {
  const form = new FormData();
  form.append('photo', file, file.name || 'photo.jpg');
  return api('/reports/photos', { method: 'POST', form });
}

// <img> cannot send an Authorization header: fetch the bytes and show them from a blob URL.
const blobs = new Map();
export async function photoUrl(ref) {
  if (blobs.has(ref)) return blobs.get(ref);
  const response = await fetch(`/reports/photos/${encodeURIComponent(ref)}`, {
    headers: { Authorization: `Bearer ${getToken()}` },
  });
  if (!response.ok) throw new ApiError(response.status, await parse(response).catch(() => null));
  const url = URL.createObjectURL(await response.blob());
  blobs.set(ref, url);
  return url;
}

// Small DOM helper: el('div', {class: 'x', onclick: f}, child, 'text', ...).
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else if (k === 'class') node.className = v;
    else if (k === 'dataset') Object.assign(node.dataset, v);
    else node.setAttribute(k, v === true ? '' : v);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// The caller's inbox, live (SSE, named by kind); EventSource sends no header, so the token rides
// in the query, which only the stream routes accept.
export function inboxStream() {
  return new EventSource(`/notify/inbox/stream?access_token=${encodeURIComponent(getToken())}`);
}
