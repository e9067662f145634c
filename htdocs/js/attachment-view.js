/* attachment-view.js — a message's attachments (DESIGN "Version 2":
   `attachments: [{id, name, type, size, width?, height?, url, thumb_url?}]`)
   as elements, and the viewer that shows one image full size.
   An image (one with a thumbnail and its width and height) is a button
   holding its thumbnail, whose width and height attributes are the image's
   own scaled into the thumbnail box: the browser reserves that space before
   a byte arrives (HTML "Embedded content": width/height map to the
   aspect-ratio), so the log does not jump when thumbnails load, and CSS may
   still shrink the box on a narrow screen without breaking the ratio.
   Anything else is its name as a download link, with its size in words.
   The alt text is the file's name. Every string from the server is put in
   as text or as an attribute value, never as HTML, and only same-origin
   addresses are used (a url that is not ours is not shown at all).
   The viewer is the page's <dialog id="viewer">: showModal() keeps focus
   inside, Escape closes it (the dialog's own cancel), and focus returns
   to the thumbnail that opened it (WAI-ARIA APG, "Dialog (Modal)"). */

import { byId } from './dom.js';

// The thumbnail box in CSS pixels. The server makes thumbnails of at most
// 400 px (issue 16), so this never scales one up on an ordinary screen.
export const THUMB_WIDTH = 320;
export const THUMB_HEIGHT = 240;

const UNITS = ['KB', 'MB', 'GB'];

/** "512 bytes", "1 byte", "12 KB", "1.5 MB" (1 KB = 1024 bytes). */
export function humanSize(bytes) {
  const n = Number(bytes);
  if (!Number.isFinite(n) || n < 0) return '';
  if (n < 1024) return n === 1 ? '1 byte' : `${Math.round(n)} bytes`;
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const shown = value < 10 ? Math.round(value * 10) / 10 : Math.round(value);
  return `${shown} ${UNITS[unit]}`;
}

/** The image's size scaled (down only) into the thumbnail box: {width, height}. */
export function thumbSize(width, height, boxWidth = THUMB_WIDTH, boxHeight = THUMB_HEIGHT) {
  const scale = Math.min(1, boxWidth / width, boxHeight / height);
  return {
    width: Math.max(1, Math.round(width * scale)),
    height: Math.max(1, Math.round(height * scale)),
  };
}

/** `url` when it names something on this origin over http(s), else null. */
export function sameOrigin(url) {
  if (typeof url !== 'string' || !url) return null;
  try {
    const parsed = new URL(url, window.location.origin);
    if (parsed.origin !== window.location.origin) return null;
    return parsed.pathname + parsed.search;
  } catch {
    return null;
  }
}

const positive = (n) => Number.isSafeInteger(n) && n > 0;

/** True when the attachment is shown as an image (thumbnail + known size). */
export function isImage(attachment) {
  return Boolean(sameOrigin(attachment.thumb_url) && sameOrigin(attachment.url))
    && positive(attachment.width) && positive(attachment.height);
}

function fileName(attachment) {
  const name = typeof attachment.name === 'string' ? attachment.name.trim() : '';
  return name || 'file';
}

/** A thumbnail button that opens the viewer. */
function imageElement(attachment) {
  const name = fileName(attachment);
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'attachment attachment-image';
  button.dataset.url = sameOrigin(attachment.url);
  button.dataset.name = name;
  button.dataset.width = String(attachment.width);
  button.dataset.height = String(attachment.height);
  button.setAttribute('aria-label', `${name}: open the full image`);
  const img = document.createElement('img');
  const size = thumbSize(attachment.width, attachment.height);
  img.width = size.width;
  img.height = size.height;
  // The ratio stays the image's own even when CSS narrows the box, before
  // and after the thumbnail loads. Set through the CSSOM, which CSP does not
  // govern (CSP3 restricts style attributes in markup, not element.style), so
  // style-src needs no 'unsafe-inline'.
  img.style.aspectRatio = `${attachment.width} / ${attachment.height}`;
  img.alt = name;
  img.decoding = 'async';
  img.src = sameOrigin(attachment.thumb_url);
  button.append(img);
  return button;
}

/** Name, size and a download link. */
function fileElement(attachment) {
  const name = fileName(attachment);
  const url = sameOrigin(attachment.url);
  const box = document.createElement('div');
  box.className = 'attachment attachment-file';
  const icon = document.createElement('span');
  icon.className = 'attachment-icon';
  icon.setAttribute('aria-hidden', 'true');
  icon.textContent = '📄';
  const link = document.createElement('a');
  link.className = 'attachment-name';
  link.dir = 'auto';
  link.href = url;
  link.download = name;
  link.textContent = name;
  const size = document.createElement('span');
  size.className = 'attachment-size';
  size.textContent = humanSize(attachment.size);
  link.setAttribute('aria-label', `${name}, ${size.textContent}: download`);
  box.append(icon, link, size);
  return box;
}

/** What a screen reader hears of a message's files: "" or " (an image: a.png)", " (3 files)". */
export function filesSaid(attachments) {
  const list = Array.isArray(attachments) ? attachments.filter((a) => a && typeof a === 'object') : [];
  if (list.length === 0) return '';
  if (list.length > 1) return ` (${list.length} files)`;
  return ` (${isImage(list[0]) ? 'an image' : 'a file'}: ${fileName(list[0])})`;
}

/** The attachments as elements, those without a usable address left out. */
export function attachmentElements(attachments) {
  const elements = [];
  for (const attachment of Array.isArray(attachments) ? attachments : []) {
    if (!attachment || typeof attachment !== 'object' || !sameOrigin(attachment.url)) continue;
    elements.push(isImage(attachment) ? imageElement(attachment) : fileElement(attachment));
  }
  return elements;
}

/**
 * Fills `box` (a message's .message-attachments) with `attachments`. When
 * they are the same as shown already (an edit of the text or a reaction
 * re-fills the message), nothing is rebuilt: no image reloads, no focus lost.
 */
export function fillAttachments(box, attachments) {
  const list = Array.isArray(attachments) ? attachments : [];
  const key = JSON.stringify(list.map((a) => [a && a.id, a && a.url, a && a.thumb_url, a && a.name]));
  if (box.dataset.key === key) return;
  box.dataset.key = key;
  box.replaceChildren(...attachmentElements(list));
  box.hidden = box.childElementCount === 0;
}

/** The full-size viewer over the page (the <dialog id="viewer">). */
export class ImageViewer {
  constructor() {
    this.dialog = byId('viewer');
    this.image = byId('viewer-image');
    this.caption = byId('viewer-name');
    this.download = byId('viewer-download');
    this.opener = null;
    byId('viewer-close').addEventListener('click', () => this.dialog.close());
    // A click on the dimmed backdrop (the dialog element itself) closes too.
    this.dialog.addEventListener('click', (event) => {
      if (event.target === this.dialog) this.dialog.close();
    });
    this.dialog.addEventListener('close', () => {
      this.image.removeAttribute('src');
      if (this.opener && this.opener.isConnected) this.opener.focus();
      this.opener = null;
    });
  }

  /** Opens the viewer on the image of thumbnail button `button`. */
  open(button) {
    const { url, name } = button.dataset;
    if (!url) return;
    this.opener = button;
    // Sized before it loads, to fit the screen below the bar (no jump).
    const size = thumbSize(Number(button.dataset.width), Number(button.dataset.height),
      window.innerWidth - 18, window.innerHeight - 80);
    this.image.width = size.width;
    this.image.height = size.height;
    this.image.alt = name;
    this.image.src = url;
    this.caption.textContent = name;
    this.download.href = url;
    this.download.download = name;
    this.dialog.showModal();
    byId('viewer-close').focus();
  }

  /** Opens the viewer for thumbnail clicks anywhere inside `container`. */
  listen(container) {
    container.addEventListener('click', (event) => {
      const button = event.target.closest('.attachment-image');
      if (button && container.contains(button)) this.open(button);
    });
  }
}
