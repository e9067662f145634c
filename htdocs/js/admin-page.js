/* admin-page.js — behaviour of `/admin`: lists every account, 100 at a time
   (GET /api/admin/users?after=), and turns Disable / Enable into POST
   /api/admin/users/{id} {"disabled"}. The button keeps the keyboard focus
   and its row is redrawn from the server's answer; a status line says what
   happened, for screen readers too. Without a session the visitor goes to
   `/`; someone who is not an admin is told so (the server refuses them as
   well). Names go in with textContent only. */

import { request } from './api.js';
import { byId, fromTemplate, go, part } from './dom.js';
import { plainWords } from './errors.js';

const state = { after: 0, me: null };

function say(id, text) {
  const box = byId(id);
  box.textContent = text || '';
  box.hidden = !text;
}

function fill(row, user) {
  row.dataset.userId = String(user.id);
  const name = part(row, '.user-name');
  name.textContent = user.username;
  if (user.id === state.me) {
    const you = document.createElement('span');
    you.className = 'user-you';
    you.textContent = ' (you)';
    name.append(you);
  }
  const created = part(row, '.user-created');
  created.dateTime = user.created_at;
  created.textContent = new Date(user.created_at).toLocaleDateString();
  const stateCell = part(row, '.user-state');
  stateCell.textContent = user.disabled ? 'Disabled' : 'Active';
  stateCell.className = `user-state ${user.disabled ? 'state-disabled' : ''}`;
  part(row, '.user-admin').textContent = user.admin ? 'Admin' : '';
  const button = part(row, '.user-toggle');
  // Not on one's own row: the server refuses it (409 own_account) anyway.
  button.hidden = user.id === state.me;
  // …and the row says why there is no button there.
  part(row, '.user-self-note').hidden = user.id !== state.me;
  button.textContent = user.disabled ? 'Enable' : 'Disable';
  button.className = `user-toggle button-small ${user.disabled ? 'button-secondary' : 'button-danger'}`;
  button.setAttribute('aria-label', `${user.disabled ? 'Enable' : 'Disable'} ${user.username}`);
  button.dataset.disabled = user.disabled ? '1' : '0';
}

async function toggle(row, button) {
  const id = Number(row.dataset.userId);
  const disable = button.dataset.disabled !== '1';
  // Not button.disabled: a disabled button drops the keyboard focus.
  if (button.getAttribute('aria-disabled') === 'true') return undefined;
  button.setAttribute('aria-disabled', 'true');
  say('admin-error', '');
  try {
    const reply = await request('POST', `/api/admin/users/${id}`, { disabled: disable });
    fill(row, reply.user);
    say('admin-status', `${reply.user.username} is ${reply.user.disabled ? 'disabled and signed out everywhere' : 'enabled again'}.`);
  } catch (error) {
    if (error.status === 401) return go('/');
    say('admin-error', error.code === 'own_account' ? 'You cannot disable your own account.' : plainWords(error));
  } finally {
    button.removeAttribute('aria-disabled');
  }
  return undefined;
}

async function loadMore() {
  const more = byId('more-users');
  more.disabled = true;
  try {
    if (state.me === null) state.me = (await request('GET', '/api/me')).user.id;
    const page = await request('GET', `/api/admin/users?after=${state.after}`);
    const body = byId('users');
    for (const user of page.users) {
      const row = fromTemplate('user-row');
      fill(row, user);
      const button = part(row, '.user-toggle');
      button.addEventListener('click', () => toggle(row, button));
      body.append(row);
      state.after = user.id;
    }
    byId('admin-users').hidden = false;
    // The page's description only for an admin: anyone else reads first
    // that the page is not theirs.
    byId('admin-about').hidden = false;
    more.hidden = !page.more;
  } catch (error) {
    if (error.status === 401) return go('/');
    say('admin-error', error.code === 'not_admin' ? 'This page is for admins only.' : plainWords(error));
  } finally {
    more.disabled = false;
  }
  return undefined;
}

byId('more-users').addEventListener('click', loadMore);
loadMore();
