/* uploads.js — files on their way into the next message: attached with the
   button (a file chooser), dropped anywhere on the room page, or pasted into
   the message box or anywhere on the page outside another field (a
   screenshot on the clipboard arrives as a File in the paste event's
   clipboardData.files, W3C "Clipboard API and events").
   Each file is uploaded at once, by itself, as multipart/form-data with one
   `file` part (DESIGN "Version 2": POST /api/rooms/{id}/files), through
   XMLHttpRequest because only its `upload` object reports how many bytes
   have gone (fetch has no upload progress): the tray above the box shows a
   <progress> per file (role progressbar, named after the file), then the
   server's thumbnail, or the reason in words when it was refused (too
   large, quota, kind of file, too fast). Every file can be removed from the
   tray, which also stops its upload. The composer takes the uploaded ones'
   ids when it sends (take), they leave the tray when the message is stored
   (sent), and come back to it when the post is refused (release).
   No local preview is drawn before the upload is done: that would need
   blob: or data: image URLs of untrusted bytes, and the server's thumbnail
   arrives a moment later from our own origin, which the page's strict
   Content-Security-Policy (img-src 'self') already allows. */

import { ApiError } from './api.js';
import { humanSize, isImage, sameOrigin } from './attachment-view.js';
import { isolate } from './dom.js';

export const MAX_PER_MESSAGE = 10; // DESIGN "Version 2": attachments ≤ 10 ids

/**
 * Uploads `file` to room `roomId` under `name`. Returns {promise, abort}; the promise
 * resolves to the attachment or rejects with an ApiError (status 0 when the
 * server could not be reached, code "aborted" when abort() was called).
 */
export function uploadFile(roomId, file, name, onProgress) {
  const xhr = new XMLHttpRequest();
  const promise = new Promise((resolve, reject) => {
    xhr.open('POST', `/api/rooms/${encodeURIComponent(roomId)}/files`);
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.upload.addEventListener('progress', (event) => {
      if (event.lengthComputable && event.total > 0) onProgress(event.loaded / event.total);
    });
    xhr.addEventListener('load', () => {
      let data = null;
      try { data = JSON.parse(xhr.responseText); } catch { data = null; }
      if (xhr.status === 201 && data && data.attachment && typeof data.attachment === 'object') {
        resolve(data.attachment);
        return;
      }
      const error = data && data.error && typeof data.error === 'object' ? data.error : {};
      const code = typeof error.code === 'string' ? error.code : `http_${xhr.status}`;
      const retry = Number(xhr.getResponseHeader('Retry-After'));
      reject(new ApiError(xhr.status, code, typeof error.message === 'string' ? error.message : '',
        data, Number.isFinite(retry) ? retry : null));
    });
    xhr.addEventListener('error', () => reject(new ApiError(0, 'network_error', 'Could not reach the server.')));
    xhr.addEventListener('abort', () => reject(new ApiError(0, 'aborted', 'Given up by the page.')));
    const form = new FormData();
    form.append('file', file, name);
    xhr.send(form);
  });
  return { promise, abort: () => xhr.abort() };
}

/** Why the upload of `name` failed, in words for people. */
export function uploadWords(error, name) {
  const file = `“${isolate(name)}”`;
  switch (error.status === 413 ? 'file_too_large' : error.code) {
    case 'file_too_large':
      // The server says what the limit is ("Files can be at most 10 MB.",
      // or an image's pixel limit); nginx's own 413 says nothing more.
      return `${file} is too large to share here.${error.status === 413 && /^[A-Z][^<>]{0,120}\.$/
        .test(error.message || '') && error.message !== 'HTTP 413' ? ` ${error.message}` : ''}`;
    case 'unsupported_file': // what the server says of a file it cannot take as sent
      return `${file} cannot be shared here.`;
    case 'quota_exceeded':
      return `There is no space left for ${file}: delete older files or ask the admin.`;
    case 'rate_limited': {
      const seconds = Math.max(1, Math.ceil(error.retryAfter ?? 10));
      return `You are uploading too fast. Try ${file} again in ${seconds} s.`;
    }
    default:
      if (error.status === 0 || (error.status >= 502 && error.status <= 504)) {
        return `${file} could not be uploaded: the server cannot be reached. Try again in a moment.`;
      }
      return error.status >= 500 ? `${file} could not be uploaded: the server had a problem.`
        : `${file} could not be uploaded.`;
  }
}

/** The name a pasted screenshot gets (the clipboard calls them all "image.png"). */
export function pastedName(file, now = new Date()) {
  if (file.name && file.name !== 'image.png') return file.name;
  const ext = (file.type.split('/')[1] || 'png').replace(/[^a-z0-9]/g, '') || 'png';
  const pad = (n) => String(n).padStart(2, '0');
  return `Pasted ${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())} `
    + `${pad(now.getHours())}.${pad(now.getMinutes())}.${pad(now.getSeconds())}.${ext}`;
}

export class Uploads {
  /**
   * @param {object} options
   *   roomId
   *   button, input, tray, textarea, dropZone   the elements
   *   say(text, isError)    a sentence under the message box
   *   onIdle()              every upload has finished (done or failed)
   *   onFatal(error)        401 / 409 / 410 / 403 banned: the room handles it
   */
  constructor(options) {
    Object.assign(this, options);
    this.items = []; // {file, name, element, state, attachment, upload, taken}
    this.enabled = false;
    this.dragDepth = 0;
    this.lastReady = null; // the item whose "ready to send" is under the box
    this.button.addEventListener('click', () => this.input.click());
    this.input.addEventListener('change', () => {
      this.add([...this.input.files]);
      this.input.value = ''; // choosing the same file again fires change again
    });
    // A paste into the box, or anywhere on the page but another field.
    document.addEventListener('paste', (event) => {
      const field = event.target.closest && event.target.closest('input, textarea, [contenteditable]');
      if (field && field !== this.textarea) return;
      this.onPaste(event);
    });
    for (const type of ['dragenter', 'dragover', 'dragleave', 'drop']) {
      document.addEventListener(type, (event) => this.onDrag(event));
    }
  }

  enable() {
    this.enabled = true;
    this.button.disabled = false;
  }

  disable() {
    this.enabled = false;
    this.button.disabled = true;
    for (const item of this.items) if (item.upload) item.upload.abort();
  }

  /** A screenshot (or any file) pasted into the box is attached. */
  onPaste(event) {
    const files = event.clipboardData ? [...event.clipboardData.files] : [];
    if (!files.length || !this.enabled) return;
    // A picture copied from a page comes with its text or address too:
    // the file is what was meant, so that text is not pasted as well.
    event.preventDefault();
    this.add(files.map((file) => ({ file, name: pastedName(file) })));
    this.textarea.focus(); // so that Enter sends it
  }

  onDrag(event) {
    const types = event.dataTransfer ? [...event.dataTransfer.types] : [];
    if (!types.includes('Files')) return;
    event.preventDefault(); // else the browser opens the dropped file instead of the page
    if (event.type === 'dragenter') this.dragDepth += 1;
    if (event.type === 'dragleave') this.dragDepth = Math.max(0, this.dragDepth - 1);
    if (event.type === 'drop') {
      this.dragDepth = 0;
      if (this.enabled) this.add([...event.dataTransfer.files]);
    }
    if (event.type === 'dragover') event.dataTransfer.dropEffect = this.enabled ? 'copy' : 'none';
    this.dropZone.classList.toggle('is-dropping', this.enabled && this.dragDepth > 0);
  }

  /** Starts uploading `files` (File, or {file, name}); at most 10 in the tray. */
  add(files) {
    if (!this.enabled) return;
    const room = MAX_PER_MESSAGE - this.items.length;
    if (files.length > room) {
      this.say(`At most ${MAX_PER_MESSAGE} files go with one message.`, true);
    }
    for (const entry of files.slice(0, Math.max(0, room))) {
      const file = entry instanceof File ? entry : entry.file;
      const name = entry instanceof File ? (file.name || pastedName(file)) : entry.name;
      const item = { file, name, state: 'uploading', attachment: null, upload: null, taken: false };
      item.element = this.itemElement(item);
      this.items.push(item);
      this.tray.append(item.element);
      this.start(item);
    }
    this.tray.hidden = this.items.length === 0;
  }

  itemElement(item) {
    const li = document.createElement('li');
    li.className = 'upload';
    const preview = document.createElement('span');
    preview.className = 'upload-preview';
    preview.setAttribute('aria-hidden', 'true');
    preview.textContent = '📄';
    const body = document.createElement('span');
    body.className = 'upload-body';
    const name = document.createElement('span');
    name.className = 'upload-name';
    name.dir = 'auto';
    name.textContent = item.name;
    const size = document.createElement('span');
    size.className = 'upload-size';
    size.textContent = humanSize(item.file.size);
    const progress = document.createElement('progress');
    progress.className = 'upload-progress';
    progress.max = 100;
    progress.value = 0;
    progress.setAttribute('aria-label', `Uploading ${item.name}`);
    const error = document.createElement('span');
    error.className = 'upload-error';
    error.hidden = true;
    body.append(name, size, progress, error);
    const retry = document.createElement('button');
    retry.type = 'button';
    retry.className = 'upload-retry button-secondary button-small';
    retry.textContent = 'Retry';
    retry.hidden = true;
    retry.addEventListener('click', () => {
      this.start(item);
      remove.focus(); // Retry hides itself
    });
    const remove = document.createElement('button');
    remove.type = 'button';
    remove.className = 'upload-remove';
    remove.textContent = '×';
    remove.setAttribute('aria-label', `Remove ${item.name}`);
    remove.addEventListener('click', () => this.remove(item, true));
    li.append(preview, body, retry, remove);
    return li;
  }

  async start(item) {
    const { element } = item;
    const progress = element.querySelector('.upload-progress');
    const error = element.querySelector('.upload-error');
    item.state = 'uploading';
    element.classList.remove('is-failed');
    element.querySelector('.upload-retry').hidden = true;
    error.hidden = true;
    progress.hidden = false;
    progress.value = 0;
    if (item.file.size === 0) {
      // The server refuses an empty file (415); no need to ask it.
      this.fail(item, `“${isolate(item.name)}” is empty: there is nothing to share.`, false);
      if (!this.uploading()) this.onIdle();
      return;
    }
    item.upload = uploadFile(this.roomId, item.file, item.name, (fraction) => {
      progress.value = Math.round(fraction * 100);
    });
    try {
      item.attachment = await item.upload.promise;
      item.state = 'done';
      progress.value = 100;
      progress.hidden = true;
      element.classList.add('is-done');
      this.showPreview(item);
      // Said under the box, which a screen reader reads out (aria-live).
      this.say(`“${isolate(item.name)}” is ready to send.`, false);
      this.lastReady = item;
    } catch (failure) {
      if (failure.code === 'aborted') return; // removed from the tray, or the visit ended
      // The room is lost to us (the next poll says why in words). A 404 is
      // left to that poll: it is also what an unknown path answers.
      if ([401, 409, 410].includes(failure.status) || failure.code === 'banned') {
        this.onFatal(failure);
        return;
      }
      // Worth another try: no answer, a server fault, too fast. Not a full quota (507).
      const again = failure.status === 0 || failure.status === 429
        || (failure.status >= 500 && failure.code !== 'quota_exceeded');
      this.fail(item, uploadWords(failure, item.name), again);
    } finally {
      item.upload = null;
      if (!this.uploading()) this.onIdle();
    }
  }

  /** Marks `item` refused, says why, and offers Retry when trying again can help. */
  fail(item, words, canRetry) {
    const { element } = item;
    item.state = 'failed';
    element.querySelector('.upload-progress').hidden = true;
    element.classList.add('is-failed');
    const error = element.querySelector('.upload-error');
    error.textContent = words;
    error.hidden = false;
    element.querySelector('.upload-retry').hidden = !canRetry;
    this.say(words, true);
    this.lastReady = null;
  }

  /** The server's thumbnail in the tray (same origin: no blob: needed). */
  showPreview(item) {
    const { attachment } = item;
    if (!isImage(attachment)) return;
    const img = document.createElement('img');
    img.alt = '';
    img.width = 40;
    img.height = 40;
    img.src = sameOrigin(attachment.thumb_url);
    item.element.querySelector('.upload-preview').replaceChildren(img);
  }

  remove(item, byPerson) {
    if (item.upload) item.upload.abort();
    const index = this.items.indexOf(item);
    if (index >= 0) this.items.splice(index, 1);
    const next = item.element.nextElementSibling || item.element.previousElementSibling;
    item.element.remove();
    this.tray.hidden = this.items.length === 0;
    if (byPerson) {
      if (this.lastReady === item) this.say('', false); // "… is ready to send" no longer holds
      const button = next && next.querySelector('.upload-remove');
      if (button) button.focus();
      else this.textarea.focus();
      if (!this.uploading()) this.onIdle();
    }
  }

  /** True while a file is still on its way. */
  uploading() {
    return this.items.some((item) => item.state === 'uploading');
  }

  /** True when a file in the tray was refused (and neither removed nor retried). */
  failed() {
    return this.items.some((item) => item.state === 'failed');
  }

  /** Ids of the uploaded files not yet handed to a message; marks them as taken. */
  take() {
    const ready = this.items.filter((item) => item.state === 'done' && !item.taken);
    for (const item of ready) {
      item.taken = true;
      item.element.classList.add('is-sending');
      item.element.querySelector('.upload-remove').disabled = true;
    }
    return ready.map((item) => item.attachment.id);
  }

  /** The message with `ids` is stored: they leave the tray. */
  sent(ids) {
    for (const item of this.items.filter((i) => i.taken && ids.includes(i.attachment.id))) this.remove(item, false);
  }

  /** The message with `ids` was refused: they may be removed or sent again. */
  release(ids) {
    for (const item of this.items.filter((i) => i.taken && ids.includes(i.attachment.id))) {
      item.taken = false;
      item.element.classList.remove('is-sending');
      item.element.querySelector('.upload-remove').disabled = false;
    }
  }
}
