// SLA clock arithmetic for the dashboard: which deadline counts now, how long is left, what colour.
export const SOON_MS = 30 * 60 * 1000;
const DONE = new Set(['resolved', 'closed']);

// The deadline that matters now: acknowledgement while new, then resolution; none once done.
export function activeDeadline(c) {
  if (DONE.has(c.status)) return null;
  if (c.status === 'new') return { kind: 'ack', at: Date.parse(c.acknowledge_by) };
  return { kind: 'resolve', at: Date.parse(c.resolve_by) };
}

export function slaState(c, now = Date.now()) {
  if (DONE.has(c.status)) return 'done';
  if (c.paused) return 'paused';
  const d = activeDeadline(c);
  // The resolve deadline runs from the start, so a new case can breach either.
  const soonest = Math.min(d.at, Date.parse(c.resolve_by));
  if (soonest <= now) return 'breached';
  if (soonest - now <= SOON_MS) return 'soon';
  return 'ok';
}

export function stateOf(at, now = Date.now()) {
  if (at <= now) return 'breached';
  return at - now <= SOON_MS ? 'soon' : 'ok';
}

// Sort key: breached and about-to-breach first, paused and done last.
export function urgency(c, now = Date.now()) {
  const state = slaState(c, now);
  if (state === 'done') return 4e15;
  if (state === 'paused') return 3e15 + Date.parse(c.resolve_by);
  const d = activeDeadline(c);
  return Math.min(d.at, Date.parse(c.resolve_by)) - now;
}

export function formatLeft(ms) {
  const sign = ms < 0 ? '-' : '';
  let s = Math.floor(Math.abs(ms) / 1000);
  const d = Math.floor(s / 86400); s -= d * 86400;
  const h = Math.floor(s / 3600); s -= h * 3600;
  const m = Math.floor(s / 60); s -= m * 60;
  const pad = (n) => String(n).padStart(2, '0');
  return `${sign}${d ? d + 'd ' : ''}${pad(h)}:${pad(m)}:${pad(s)}`;
}

export const STATE_COLOURS = {
  breached: '#d93025', soon: '#f29900', ok: '#188038', paused: '#7a7a7a', done: '#1a73e8',
};
