/* api.js — the only place the pages talk to the server. Every call goes
   through request(), which sends same-origin credentials, writes JSON bodies
   with Content-Type: application/json (an empty object when there is nothing
   to say, as the server requires), and turns every failure into an ApiError
   carrying the HTTP status and the API's error code. A network failure or a
   timeout is status 0 / code "network_error", so callers can tell "the
   server said no" (4xx) from "the server could not be reached" (0, 5xx),
   which they retry. `keepalive` lets a request outlive the page (the
   read mark sent on pagehide). Replies that are not the API's JSON (nginx's own 429 or
   502 pages) get a code derived from the status. */

const TIMEOUT_MS = 15000;

export class ApiError extends Error {
  constructor(status, code, message, body = null, retryAfter = null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.body = body;
    this.retryAfter = retryAfter;
  }

  /** True when trying again later may work: no answer, or a server fault. */
  get transient() {
    return this.status === 0 || this.status >= 500;
  }
}

function codeForStatus(status) {
  if (status === 401) return 'not_logged_in';
  if (status === 404) return 'not_found';
  if (status === 429) return 'rate_limited';
  if (status >= 500) return 'server_error';
  return 'http_' + status;
}

function parseRetryAfter(value) {
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds;
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, (date - Date.now()) / 1000);
}

/**
 * Sends one request and resolves to the parsed JSON reply (null for 204).
 * Rejects with ApiError on any failure. `signal` lets the caller give up
 * early (the poller does, on a connection it suspects dead); that rejects
 * with code "aborted".
 */
export async function request(method, path, body, { signal, keepalive = false } = {}) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
  const giveUp = () => controller.abort();
  if (signal) {
    if (signal.aborted) giveUp();
    else signal.addEventListener('abort', giveUp, { once: true });
  }
  const init = {
    method,
    credentials: 'same-origin',
    cache: 'no-store',
    headers: { Accept: 'application/json' },
    signal: controller.signal,
    keepalive, // a read mark sent as the page goes away outlives it
  };
  if (method !== 'GET') {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body ?? {});
  }
  let response;
  let text;
  try {
    response = await fetch(path, init);
    text = await response.text();
  } catch {
    if (signal && signal.aborted) throw new ApiError(0, 'aborted', 'Given up by the page.');
    throw new ApiError(0, 'network_error', 'Could not reach the server.');
  } finally {
    clearTimeout(timer);
    if (signal) signal.removeEventListener('abort', giveUp);
  }
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch { data = null; }
  }
  if (response.ok) {
    if (response.status === 204) return null;
    if (data && typeof data === 'object') return data;
    throw new ApiError(response.status, 'bad_reply', 'The server sent a reply this page does not understand.');
  }
  const error = data && typeof data === 'object' && data.error;
  const code = (error && typeof error.code === 'string') ? error.code : codeForStatus(response.status);
  const message = (error && typeof error.message === 'string') ? error.message : `HTTP ${response.status}`;
  throw new ApiError(response.status, code, message, data,
    parseRetryAfter(response.headers.get('Retry-After')));
}

const roomPath = (id) => `/api/rooms/${encodeURIComponent(id)}`;
const messagePath = (id) => `/api/messages/${encodeURIComponent(id)}`;

export const api = {
  register: (username, password) => request('POST', '/api/register', { username, password }),
  login: (username, password) => request('POST', '/api/login', { username, password }),
  logout: () => request('POST', '/api/logout', {}),
  changePassword: (oldPassword, newPassword) =>
    request('POST', '/api/password', { old: oldPassword, new: newPassword }),
  me: () => request('GET', '/api/me'),
  rooms: () => request('GET', '/api/rooms'),
  createRoom: (name, kind = 'open', topic = '') =>
    request('POST', '/api/rooms', topic ? { name, kind, topic } : { name, kind }),
  room: (id) => request('GET', roomPath(id)),
  direct: (username) => request('POST', '/api/direct', { username }),
  makeInvite: (id) => request('POST', `${roomPath(id)}/invites`, {}),
  acceptInvite: (code) => request('POST', '/api/invites/accept', { code }),
  updateRoom: (id, changes) => request('PATCH', roomPath(id), changes),
  members: (id) => request('GET', `${roomPath(id)}/members`),
  addMember: (id, username) => request('POST', `${roomPath(id)}/members`, { username }),
  removeMember: (id, userId) =>
    request('DELETE', `${roomPath(id)}/members/${encodeURIComponent(userId)}`, {}),
  deleteRoom: (id) => request('DELETE', roomPath(id), {}),
  join: (id) => request('POST', `${roomPath(id)}/join`, {}),
  leave: (id) => request('POST', `${roomPath(id)}/leave`, {}),
  // attention: the version of the news from other rooms the page has ('' for
  // none yet; null: not asked), so the answer carries news only when it changed.
  messagesAfter: (id, cursor, signal, attention = null) => request('GET',
    `${roomPath(id)}/messages?after=${cursor}${attention === null ? '' : `&attention=${encodeURIComponent(attention)}`}`,
    undefined, { signal }),
  messagesBefore: (id, before, limit) =>
    request('GET', `${roomPath(id)}/messages?before=${before}&limit=${limit}`),
  post: (id, text, clientId, replyTo = null) => request('POST', `${roomPath(id)}/messages`,
    replyTo ? { text, client_id: clientId, reply_to: replyTo } : { text, client_id: clientId }),
  markRead: (id, messageId, { keepalive = false } = {}) =>
    request('POST', `${roomPath(id)}/read`, { id: messageId }, { keepalive }),
  typing: (id) => request('POST', `${roomPath(id)}/typing`, {}),
  mentions: (before = null) => request('GET', before ? `/api/mentions?before=${before}` : '/api/mentions'),
  messagesAround: (id, around, limit) =>
    request('GET', `${roomPath(id)}/messages?around=${around}&limit=${limit}`),
  editMessage: (id, text) => request('PATCH', messagePath(id), { text }),
  deleteMessage: (id) => request('DELETE', messagePath(id), {}),
  react: (id, emoji) => request('PUT', `${messagePath(id)}/reactions`, { emoji }),
  unreact: (id, emoji) =>
    request('DELETE', `${messagePath(id)}/reactions?emoji=${encodeURIComponent(emoji)}`, {}),
};
