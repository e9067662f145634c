/* composer.js — the message box. Enter sends, Shift+Enter adds a line (and
   Enter while an input method is composing is left alone). The text stays
   in the box until the server has it: it is cleared only after the 201,
   and only if the user has not changed it meanwhile. Each message gets a
   client_id (a random UUID) that is reused for every retry of the same
   text, so a send whose reply was lost is never stored twice. When the
   server cannot be reached the send is retried with backoff and jitter;
   editing the text cancels that retry (the next Send is a new message).
   A fast typist may go on typing and press Enter while a send is on its
   way: what was sent is taken off the front of the box and the rest is
   sent next. */

import { Backoff } from './backoff.js';
import { plainWords } from './errors.js';

const MAX_CHARS = 4000;
const COUNT_FROM = 3500;
const MAX_ROWS = 6;
// Where CSS cannot size the box to its text, the rows attribute does it.
const SIZED_BY_CSS = typeof CSS !== 'undefined' && CSS.supports('field-sizing', 'content');

/** crypto.randomUUID where available (secure contexts), else the same from getRandomValues. */
export function newClientId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export class Composer {
  /**
   * @param {object} options
   *   form, textarea, button, status, hint, count   the elements
   *   send(text, clientId) → Promise<message>       posts one message
   *   onSent(message)                                the server's copy
   *   onHealth(ok)                                   false when unreachable, true when back
   *   onFatal(error)                                 401 / 409 / 410: the room handles it
   */
  constructor(options) {
    Object.assign(this, options);
    this.pending = null; // {text, clientId} of the message being sent or retried
    this.sending = false;
    this.queued = false; // Enter was pressed while a send was on its way
    this.unreachable = false; // the pending send failed for want of a server
    this.retryTimer = null;
    this.backoff = new Backoff({ base: 1000, max: 10000 });
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      this.submit();
    });
    this.textarea.addEventListener('keydown', (event) => this.onKey(event));
    this.textarea.addEventListener('input', () => this.onInput());
  }

  enable() {
    this.textarea.disabled = false;
    this.button.disabled = false;
  }

  disable() {
    clearTimeout(this.retryTimer);
    this.textarea.disabled = true;
    this.button.disabled = true;
  }

  focus() {
    this.textarea.focus();
  }

  onKey(event) {
    if (event.key !== 'Enter' || event.shiftKey || event.isComposing || event.keyCode === 229) return;
    if (event.ctrlKey || event.altKey || event.metaKey) return;
    event.preventDefault();
    this.submit();
  }

  onInput() {
    if (!SIZED_BY_CSS) {
      this.textarea.rows = Math.min(MAX_ROWS, this.textarea.value.split('\n').length);
    }
    const chars = [...this.textarea.value.trim()].length;
    this.count.textContent = chars >= COUNT_FROM ? `${chars} / ${MAX_CHARS}` : '';
    this.count.classList.toggle('is-over', chars > MAX_CHARS);
    if (this.pending && !this.sending && this.textarea.value !== this.pending.text) {
      // The user changed an unsent message: stop retrying the old text.
      clearTimeout(this.retryTimer);
      this.pending = null;
      this.setStatus('');
    }
  }

  setStatus(text, isError = false) {
    this.status.textContent = text;
    this.status.classList.toggle('is-error', isError);
    this.hint.hidden = Boolean(text);
  }

  /** Sends what is in the box (or retries the pending send of it). */
  async submit() {
    if (this.textarea.disabled) return;
    if (this.sending) {
      this.queued = true;
      return;
    }
    const raw = this.textarea.value;
    const text = raw.trim();
    if (!text) return;
    if ([...text].length > MAX_CHARS) {
      this.setStatus(`That message is too long: at most ${MAX_CHARS} characters.`, true);
      return;
    }
    clearTimeout(this.retryTimer);
    if (!this.pending || this.pending.text !== raw) this.pending = { text: raw, clientId: newClientId() };
    const { clientId } = this.pending;
    this.sending = true;
    let ok = false;
    try {
      const message = await this.send(text, clientId);
      this.sent(raw, message);
      ok = true;
    } catch (error) {
      this.failed(error);
    } finally {
      this.sending = false;
    }
    const again = this.queued;
    this.queued = false;
    if (ok && again && this.textarea.value.trim()) this.submit();
  }

  sent(raw, message) {
    this.pending = null;
    this.unreachable = false;
    const now = this.textarea.value;
    // Take what was sent off the front; keep anything typed meanwhile.
    if (now.startsWith(raw)) this.textarea.value = now.slice(raw.length).replace(/^\s+/, '');
    this.onInput();
    this.setStatus('');
    if (this.backoff.failing) this.onHealth(true);
    this.backoff.reset();
    this.onSent(message);
  }

  failed(error) {
    this.unreachable = error.transient;
    if (error.transient) {
      const delay = this.backoff.next();
      this.onHealth(false);
      this.setStatus('Not sent yet — the server is unreachable. Retrying…', true);
      this.retryTimer = setTimeout(() => this.submit(), delay);
    } else if (error.status === 429) {
      const seconds = Math.max(1, Math.ceil(error.retryAfter ?? 2));
      this.setStatus(`You are sending messages too fast. Sending again in ${seconds} s…`, true);
      this.retryTimer = setTimeout(() => this.submit(), seconds * 1000);
    } else if (error.status === 400) {
      this.pending = null;
      this.setStatus(plainWords(error), true);
    } else {
      this.onFatal(error);
    }
  }

  /** Retries a send that waits for the server, at once (the server answered again). */
  retryNow() {
    if (!this.unreachable || !this.pending || this.sending) return;
    if (this.textarea.value === this.pending.text) this.submit();
  }
}
