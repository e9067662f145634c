/* attachment-preview.js — a message's attachments shown small inside a
   card that is itself one link (the Mentions page: the card opens the
   message in its room). Links and buttons cannot nest inside a link (HTML:
   <a> has no interactive content), so nothing here is one: an image is its
   thumbnail (alt text the file's name, width and height set from the
   image's own so the card keeps its size while it loads), any other file
   its name and size as text. The thumbnail is served to whoever may read
   the room, wherever they are (GET /api/files/{id}/thumb, README "Files
   and images"). Strings from the server go in as text or attribute values,
   and only same-origin addresses are used (attachment-view.js's rules). */

import { humanSize, isImage, sameOrigin, thumbSize } from './attachment-view.js';

// The preview box in CSS pixels: half the room's thumbnail box.
export const PREVIEW_WIDTH = 160;
export const PREVIEW_HEIGHT = 120;

function fileName(attachment) {
  const name = typeof attachment.name === 'string' ? attachment.name.trim() : '';
  return name || 'file';
}

function imagePreview(attachment) {
  const img = document.createElement('img');
  img.className = 'attachment-preview attachment-preview-image';
  const size = thumbSize(attachment.width, attachment.height, PREVIEW_WIDTH, PREVIEW_HEIGHT);
  img.width = size.width;
  img.height = size.height;
  img.alt = fileName(attachment);
  img.decoding = 'async';
  img.loading = 'lazy';
  img.src = sameOrigin(attachment.thumb_url);
  return img;
}

function filePreview(attachment) {
  const span = document.createElement('span');
  span.className = 'attachment-preview attachment-preview-file';
  span.dir = 'auto';
  span.textContent = `📄 ${fileName(attachment)} · ${humanSize(attachment.size)}`;
  return span;
}

/** The attachments as non-interactive elements, those without a usable address left out. */
export function attachmentPreviews(attachments) {
  const elements = [];
  for (const attachment of Array.isArray(attachments) ? attachments : []) {
    if (!attachment || typeof attachment !== 'object' || !sameOrigin(attachment.url)) continue;
    elements.push(isImage(attachment) ? imagePreview(attachment) : filePreview(attachment));
  }
  return elements;
}
