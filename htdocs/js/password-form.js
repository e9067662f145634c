/* password-form.js — "Change password" on the profile. Sends the current and
   the new password to POST /api/password; on success every other session of
   the user ends (other browsers and tabs elsewhere are logged out) and this
   one stays. Mistakes are said in words next to the form; a lost session
   calls `onSessionLost` (the page sends the visitor to `/`). */

import { api } from './api.js';
import { byId } from './dom.js';
import { plainWords } from './errors.js';

const MIN_LENGTH = 8;

export function wirePasswordForm(onSessionLost) {
  const form = byId('password-form');
  const current = byId('current-password');
  const fresh = byId('new-password');
  const button = byId('change-password');
  const errorBox = byId('password-error');
  const done = byId('password-done');

  const fail = (text, input) => {
    errorBox.textContent = text;
    errorBox.hidden = false;
    input.setAttribute('aria-invalid', 'true');
    input.focus();
  };
  const clear = () => {
    errorBox.hidden = true;
    done.hidden = true;
    current.removeAttribute('aria-invalid');
    fresh.removeAttribute('aria-invalid');
  };
  current.addEventListener('input', clear);
  fresh.addEventListener('input', clear);

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clear();
    if (!current.value) return fail('Type your current password.', current);
    if (fresh.value.length < MIN_LENGTH) return fail(plainWords({ code: 'invalid_password' }), fresh);
    if (fresh.value === current.value) return fail('The new password is the same as the current one.', fresh);
    button.disabled = true;
    try {
      await api.changePassword(current.value, fresh.value);
      form.reset();
      done.textContent = 'Password changed. You were logged out everywhere else.';
      done.hidden = false;
    } catch (error) {
      if (error.status === 401) {
        onSessionLost();
      } else {
        fail(plainWords(error), error.code === 'invalid_password' ? fresh : current);
      }
    } finally {
      button.disabled = false;
    }
    return undefined;
  });
}
