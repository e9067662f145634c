/* dom.js — small helpers shared by the pages: find an element that must
   exist, clone a <template>, pick an avatar colour. Nothing here ever turns
   a string into HTML: templates are static markup from the page, and every
   piece of user content is put in with textContent by the caller. */

/** document.getElementById that fails loudly when the page lacks the id. */
export function byId(id) {
  const element = document.getElementById(id);
  if (!element) throw new Error(`missing #${id}`);
  return element;
}

/** The first element child of a cloned <template id=...>. */
export function fromTemplate(id) {
  const template = byId(id);
  return template.content.firstElementChild.cloneNode(true);
}

/** Finds `.cls` inside `root` (a fresh clone), failing loudly if absent. */
export function part(root, selector) {
  const element = root.querySelector(selector);
  if (!element) throw new Error(`template lacks ${selector}`);
  return element;
}

/** A stable class avatar-hue-N (0–7) for a user, from the user's id. */
export function avatarHueClass(user) {
  const n = Number(user && user.id) || 0;
  return `avatar-hue-${((n * 5) % 8 + 8) % 8}`;
}

/** The first visible letter of a username, for the avatar. */
export function initial(username) {
  const first = [...String(username || '?')].find((c) => /[\p{L}\p{N}]/u.test(c));
  return first || '?';
}

/**
 * `text` wrapped in FIRST STRONG ISOLATE … POP DIRECTIONAL ISOLATE (Unicode
 * Bidirectional Algorithm, UAX #9 §2.7), for a name put into a sentence with
 * textContent: an Arabic room name then reads right to left without
 * dragging the English words and punctuation around it along (the plain
 * text counterpart of <bdi> and dir="auto").
 */
export function isolate(text) {
  return `\u2068${text}\u2069`;
}

/** Replaces the current page, without leaving it in history. */
export function go(path) {
  window.location.replace(path);
}
