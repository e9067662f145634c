/* login-page.js — behaviour of `/`. One form, two submit buttons: Log in
   (the default, so Enter logs in) and Create account. Obvious mistakes are
   caught before anything is sent (same rules as the server), everything
   else is the server's answer put in plain words next to the form. Someone
   who is already logged in is sent straight on. */

import { api } from './api.js';
import { byId, go } from './dom.js';
import { plainWords } from './errors.js';

const USERNAME = /^[A-Za-z0-9_.-]{3,32}$/;
const form = byId('auth-form');
const username = byId('username');
const password = byId('password');
const errorBox = byId('form-error');
const buttons = [byId('login'), byId('register')];

/** Where to go after logging in: ?next= when it is one of our pages (a room, the mentions or an invite link). */
function destination() {
  const next = new URLSearchParams(window.location.search).get('next');
  return next && /^\/(rooms(\/\d+)?|mentions|invite\/[A-Za-z0-9_-]+)$/.test(next) ? next : '/rooms';
}

function showError(text, field) {
  errorBox.textContent = text;
  errorBox.hidden = false;
  for (const input of [username, password]) {
    input.setAttribute('aria-invalid', String(input === field));
  }
  if (field) field.focus();
}

function clearError() {
  errorBox.hidden = true;
  errorBox.textContent = '';
  username.removeAttribute('aria-invalid');
  password.removeAttribute('aria-invalid');
}

function setBusy(busy, action) {
  for (const button of buttons) button.disabled = busy;
  byId('login').textContent = busy && action === 'login' ? 'Logging in…' : 'Log in';
  byId('register').textContent = busy && action === 'register' ? 'Creating account…' : 'Create account';
}

/** The first problem with the fields, as [sentence, field], or null. */
function problem(action) {
  const name = username.value.trim();
  if (!name) return ['Enter your username.', username];
  if (!password.value) return ['Enter your password.', password];
  if (action !== 'register') return null;
  if (!USERNAME.test(name)) return [plainWords({ code: 'invalid_username' }), username];
  if (new TextEncoder().encode(password.value).length < 8) {
    return [plainWords({ code: 'invalid_password' }), password];
  }
  return null;
}

function fieldFor(code) {
  if (code === 'invalid_username' || code === 'username_taken') return username;
  if (code === 'invalid_password' || code === 'invalid_credentials') return password;
  return null;
}

async function submit(action) {
  clearError();
  const found = problem(action);
  if (found) {
    showError(...found);
    return;
  }
  setBusy(true, action);
  try {
    const name = username.value.trim();
    if (action === 'register') await api.register(name, password.value);
    else await api.login(name, password.value);
    go(destination());
  } catch (error) {
    setBusy(false);
    showError(plainWords(error), fieldFor(error.code));
  }
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  const action = event.submitter && event.submitter.value === 'register' ? 'register' : 'login';
  submit(action);
});

for (const input of [username, password]) {
  input.addEventListener('input', () => input.removeAttribute('aria-invalid'));
}

// Already logged in? Go on. Any other answer (401, no network) leaves the form.
api.me().then(() => go(destination()), () => {});
username.focus();
