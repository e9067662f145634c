/* composer.js — the message box. Enter sends, Shift+Enter adds a line (and
   Enter while an input method is composing is left alone). The text stays
   in the box until the server has it: only then is what was sent taken off
   the front of the box, and anything typed meanwhile stays. Each message
   gets a client_id (a random UUID) when Enter is pressed, and that exact
   text under that id is what every retry sends: a send whose reply was
   lost may be stored already, so a retry must be the same request (the
   server answers it with the stored message instead of storing a second
   one), never the box's newer contents under a new id. When the server
   cannot be reached the send is retried with backoff and jitter, and at
   once when the page learns it is back. Enter while a message is on its
   way (or waiting to be retried) queues what is in the box behind it.
   Two modes change what Enter does (shown above the box, composer-bar.js):
   replying (the post carries reply_to, kept with the pending message so a
   retry answers the same message) and editing (↑ in an empty box, or Edit
   on a message: the box holds that message's text and Enter saves it with
   PATCH; whatever was being typed is put back afterwards). Escape cancels
   either mode. Files attached (uploads.js, the `files` option) go with the
   next message sent: their ids are taken when Enter is pressed and belong
   to that pending message, retries included; the text may then be empty.
   Enter while a file is still uploading sends once every upload is done. */

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
   *   send(text, clientId, replyTo, attachments) → Promise<message>  posts one message
   *   onSent(message)                                the server's copy
   *   edit(id, text) → Promise<message>              saves an edit
   *   onEdited(message)                              the server's copy of an edit
   *   lastOwn() → message|null                       what ↑ edits
   *   bar                                            the ComposerBar
   *   onHealth(ok)                                   false when unreachable, true when back
   *   onFatal(error)                                 401 / 409 / 410: the room handles it
   *   files                                          the Uploads tray (optional)
   */
  constructor(options) {
    Object.assign(this, options);
    this.pending = null; // {text, raw, clientId, replyTo, attachments}: sent (Enter), not yet confirmed
    this.mode = null; // null, {kind: 'reply', message} or {kind: 'edit', message, draft}
    this.saving = false; // an edit is on its way
    this.sending = false;
    this.queued = false; // Enter was pressed while `pending` was on its way
    this.afterUploads = false; // Enter was pressed while a file was uploading
    this.unreachable = false; // the pending send failed for want of a server
    this.limited = false; // the pending send waits out a 429's Retry-After
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
    if (event.isComposing || event.keyCode === 229) return;
    if (event.ctrlKey || event.altKey || event.metaKey) return;
    if (event.key === 'Escape' && this.mode) {
      event.preventDefault();
      this.cancelMode();
    } else if (event.key === 'ArrowUp' && !event.shiftKey && !this.mode && this.textarea.value === '') {
      const message = this.lastOwn();
      if (!message) return;
      event.preventDefault();
      this.startEdit(message);
    } else if (event.key === 'Enter' && !event.shiftKey) {
      event.preventDefault();
      this.submit();
    }
  }

  /** Enter will answer `message` (until sent or cancelled). */
  replyTo(message) {
    if (this.textarea.disabled) return;
    if (this.mode && this.mode.kind === 'edit') this.cancelMode();
    this.mode = { kind: 'reply', message };
    this.bar.replying(message);
    this.setHint('Enter to send the reply · Esc to cancel');
    this.focus();
  }

  /** Puts `message` (the reader's own) in the box; Enter saves it. */
  startEdit(message) {
    if (this.textarea.disabled) return;
    const draft = this.mode && this.mode.kind === 'edit' ? this.mode.draft : this.textarea.value;
    this.mode = { kind: 'edit', message, draft };
    this.textarea.value = String(message.text ?? '');
    this.onInput();
    this.bar.editing();
    this.setStatus('');
    this.setHint('Enter to save · Esc to cancel');
    this.button.textContent = 'Save';
    this.focus();
    const end = this.textarea.value.length;
    this.textarea.setSelectionRange(end, end);
  }

  /** Leaves replying or editing; an edit's draft comes back into the box. */
  cancelMode() {
    const { mode } = this;
    if (!mode) return;
    this.mode = null;
    this.bar.hide();
    this.setHint('');
    this.button.textContent = 'Send';
    if (mode.kind === 'edit') {
      this.textarea.value = mode.draft;
      this.onInput();
      this.setStatus('');
    }
    this.focus();
  }

  /** The message being edited or answered, if it is `id`, was deleted. */
  forget(id) {
    if (this.mode && this.mode.message.id === id) {
      const editing = this.mode.kind === 'edit';
      this.cancelMode();
      this.setStatus(editing ? 'The message you were editing was deleted.'
        : 'The message you were replying to was deleted.', true);
    }
  }

  onInput() {
    if (!SIZED_BY_CSS) {
      this.textarea.rows = Math.min(MAX_ROWS, this.textarea.value.split('\n').length);
    }
    const chars = [...this.textarea.value.trim()].length;
    this.count.textContent = chars >= COUNT_FROM ? `${chars} / ${MAX_CHARS}` : '';
    this.count.classList.toggle('is-over', chars > MAX_CHARS);
  }

  setStatus(text, isError = false) {
    this.status.textContent = text;
    this.status.classList.toggle('is-error', isError);
    this.hint.hidden = Boolean(text);
  }

  /** The hint under the box; '' restores the usual one. */
  setHint(text) {
    if (this.usualHint === undefined) this.usualHint = this.hint.textContent;
    this.hint.textContent = text || this.usualHint;
  }

  /** Enter or Send: sends what is in the box, after any message still on its way. */
  submit() {
    if (this.textarea.disabled) return;
    if (this.mode && this.mode.kind === 'edit') {
      this.saveEdit();
      return;
    }
    if (this.pending) {
      // That one goes first, exactly as it was sent (it may be stored
      // already); what is in the box now follows once it is confirmed.
      this.queued = true;
      if (!this.limited) this.attempt();
      return;
    }
    const raw = this.textarea.value;
    const text = raw.trim();
    const { files } = this;
    if (files && files.uploading()) {
      this.afterUploads = true;
      this.setStatus('The message goes as soon as the files are uploaded…');
      return;
    }
    if (files && files.failed()) {
      this.setStatus('A file could not be uploaded: try it again or remove it, then send.', true);
      return;
    }
    if ([...text].length > MAX_CHARS) {
      this.setStatus(`That message is too long: at most ${MAX_CHARS} characters.`, true);
      return;
    }
    const attachments = files ? files.take() : [];
    if (!text && !attachments.length) return;
    const replyTo = this.mode && this.mode.kind === 'reply' ? this.mode.message.id : null;
    this.pending = { text, raw, clientId: newClientId(), replyTo, attachments };
    this.attempt();
  }

  /** Every upload has finished: a send that waited for them goes now. */
  uploadsDone() {
    if (!this.afterUploads) return;
    this.afterUploads = false;
    this.setStatus('');
    this.submit();
  }

  /** Saves the edit in the box (nothing to do when the text is unchanged). */
  async saveEdit() {
    if (this.saving) return;
    const { mode } = this;
    const text = this.textarea.value.trim();
    if (text === String(mode.message.text ?? '').trim()) {
      this.cancelMode();
      return;
    }
    // PATCH takes 1 to 4000 characters, also for a message with files
    // (README, API); a files-only message edited and left empty is unchanged above.
    if (!text) {
      this.setStatus('A message cannot be empty. To take it back, use Delete.', true);
      return;
    }
    if ([...text].length > MAX_CHARS) {
      this.setStatus(`That message is too long: at most ${MAX_CHARS} characters.`, true);
      return;
    }
    this.saving = true;
    this.setStatus('Saving…');
    try {
      const message = await this.edit(mode.message.id, text);
      if (this.mode === mode) this.cancelMode();
      this.setStatus('');
      this.onEdited(message);
    } catch (error) {
      if (error.status === 401 || error.status === 409 || error.status === 410) {
        this.onFatal(error);
      } else if (error.transient) {
        this.setStatus('Not saved — the server is unreachable. Press Enter to try again.', true);
      } else if (error.status === 429) {
        const seconds = Math.max(1, Math.ceil(error.retryAfter ?? 2));
        this.setStatus(`You are changing messages too fast. Try again in ${seconds} s.`, true);
      } else if (error.code === 'message_not_found') {
        // Deleted meanwhile (by its author elsewhere, or the room's owner).
        this.forget(mode.message.id);
      } else {
        this.setStatus(plainWords(error), true);
      }
    } finally {
      this.saving = false;
    }
  }

  /** Sends (or sends again) the pending message, unchanged, under its client_id. */
  async attempt() {
    const { pending } = this;
    if (!pending || this.sending) return;
    clearTimeout(this.retryTimer);
    this.sending = true;
    let message;
    try {
      message = await this.send(pending.text, pending.clientId, pending.replyTo, pending.attachments);
    } catch (error) {
      this.sending = false;
      this.failed(error);
      return;
    }
    this.sending = false;
    this.sent(pending, message);
    if (this.queued) {
      this.queued = false;
      this.submit();
    }
  }

  sent(pending, message) {
    this.pending = null;
    this.unreachable = false;
    const now = this.textarea.value;
    // Take what was sent off the front; keep anything typed meanwhile.
    if (now.startsWith(pending.raw)) this.textarea.value = now.slice(pending.raw.length).replace(/^\s+/, '');
    // An edit started meanwhile keeps the box's text aside: take it off there.
    if (this.mode && this.mode.kind === 'edit' && this.mode.draft.startsWith(pending.raw)) {
      this.mode.draft = this.mode.draft.slice(pending.raw.length).replace(/^\s+/, '');
    }
    this.onInput();
    this.setStatus('');
    if (pending.replyTo && this.mode && this.mode.kind === 'reply' && this.mode.message.id === pending.replyTo) {
      this.cancelMode();
    }
    if (this.backoff.failing) this.onHealth(true);
    this.backoff.reset();
    if (this.files) this.files.sent(pending.attachments);
    this.onSent(message);
  }

  failed(error) {
    this.unreachable = error.transient;
    if (error.transient) {
      const delay = this.backoff.next();
      this.onHealth(false);
      this.setStatus('Not sent yet — the server is unreachable. Retrying…', true);
      this.retryTimer = setTimeout(() => this.attempt(), delay);
    } else if (error.status === 429) {
      const seconds = Math.max(1, Math.ceil(error.retryAfter ?? 2));
      this.setStatus(`You are sending messages too fast. Sending again in ${seconds} s…`, true);
      this.limited = true;
      this.retryTimer = setTimeout(() => {
        this.limited = false;
        this.attempt();
      }, seconds * 1000);
    } else if (error.status === 400) {
      // Refused for good (e.g. invalid_text): nothing was stored, and the
      // text is still in the box to be mended and sent as a new message.
      if (this.files) this.files.release(this.pending.attachments);
      this.pending = null;
      this.queued = false;
      if (error.code === 'invalid_reply_to' && this.mode && this.mode.kind === 'reply') this.cancelMode();
      this.setStatus(plainWords(error), true);
    } else {
      this.onFatal(error);
    }
  }

  /** Retries a send that waits for the server, at once (the server answered again). */
  retryNow() {
    if (this.unreachable) this.attempt();
  }
}
