/* linkify.js — puts a message's text into an element as text nodes, with
   web addresses made clickable. Only absolute http: and https: URLs become
   links (checked with the URL parser, not just the regex), they open in a
   new tab with rel="noopener noreferrer", and their visible text is set
   with textContent. Everything else, including anything that looks like
   HTML, stays plain text: no string is ever parsed as markup. */

const URL_PATTERN = /\bhttps?:\/\/[^\s<>"'`]+/gi;
const TRAILING = /[.,;:!?'")\]}>]+$/;

/** The URL to link to, or null when `candidate` is not a safe web address. */
export function safeHref(candidate) {
  try {
    const url = new URL(candidate);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
    if (!url.hostname) return null;
    return url.href;
  } catch {
    return null;
  }
}

/** Fills `element` with `text`, turning safe web addresses into links. */
export function renderText(element, text) {
  element.textContent = '';
  let last = 0;
  for (const match of text.matchAll(URL_PATTERN)) {
    let raw = match[0];
    // Keep closing punctuation outside the link ("see https://x.org.").
    const trailing = raw.match(TRAILING);
    if (trailing) raw = raw.slice(0, raw.length - trailing[0].length);
    const href = safeHref(raw);
    if (!href) continue;
    if (match.index > last) element.append(text.slice(last, match.index));
    const link = document.createElement('a');
    link.href = href;
    link.target = '_blank';
    link.rel = 'noopener noreferrer';
    link.textContent = raw;
    element.append(link);
    last = match.index + raw.length;
  }
  if (last < text.length) element.append(text.slice(last));
}
