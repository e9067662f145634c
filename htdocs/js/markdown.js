/* markdown.js — a message's text as a small, safe subset of Markdown:
   emphasis, strong, inline code, code blocks (fenced or indented), block
   quotes, lists, links, and every line break kept (breaks: true). The text
   is parsed by markdown-it (vendored from npm, see the Makefile) with raw
   HTML off, so "<img onerror=…>" is text, never markup; headings, tables,
   images, rules and the rest are switched off (the "zero" preset plus the
   rules named below), so "# 1" or "---" in a chat line stays what was typed.
   Links are http:, https: and mailto: only, checked twice: markdown-it's
   validateLink refuses anything else (the link stays text), and DOMPurify,
   which sanitises markdown-it's output in an inert document before
   anything reaches the page (OWASP XSS Prevention Cheat Sheet, "HTML
   sanitization"), keeps only the tags below, only href, and only those
   schemes. Every link opens in a new tab without giving the new page a
   handle on this one or a Referer (rel="noopener noreferrer"), and shows
   its real address on hover (title), so "[my bank](https://evil.example)"
   cannot pass for something it is not. The page never assigns innerHTML:
   DOMPurify hands back a DocumentFragment that is moved in. */

import markdownit from '../vendor/markdown-it.esm.min.js';
import createDOMPurify from '../vendor/purify.es.js';

const SAFE_LINK = /^(?:https?|mailto):/i;

const md = markdownit('zero', { html: false, breaks: true, linkify: true }).enable([
  'blockquote', 'code', 'fence', 'list', // blocks
  'newline', 'escape', 'backticks', 'emphasis', 'link', 'autolink', 'linkify', 'entity', // inline
]);
// Only addresses with their scheme become links: "node.js" or "a.io" stay text.
md.linkify.set({ fuzzyLink: false, fuzzyEmail: false });
md.validateLink = (url) => SAFE_LINK.test(url.trim());

const ALLOWED_TAGS = ['p', 'br', 'em', 'strong', 'code', 'pre', 'blockquote', 'ul', 'ol', 'li', 'a'];

// A DOMPurify of our own, so that the hook below touches no one else's.
const purify = createDOMPurify(window);
purify.addHook('afterSanitizeAttributes', (node) => {
  if (node.nodeName !== 'A') return;
  const href = node.getAttribute('href');
  if (!href) return;
  node.setAttribute('target', '_blank');
  node.setAttribute('rel', 'noopener noreferrer');
  node.setAttribute('title', href.replace(/^mailto:/i, ''));
});

const BETWEEN_BLOCKS = new Set(['#document-fragment', 'BLOCKQUOTE', 'UL', 'OL']);

const CONFIG = {
  ALLOWED_TAGS,
  ALLOWED_ATTR: ['href', 'start'],
  ALLOWED_URI_REGEXP: SAFE_LINK,
  ALLOW_DATA_ATTR: false,
  RETURN_DOM_FRAGMENT: true,
};

/** Fills `element` with `text` rendered as the Markdown subset above. */
export function renderMarkdown(element, text) {
  const fragment = purify.sanitize(md.render(String(text ?? '')), CONFIG);
  // markdown-it ends every block with "\n"; between blocks it would be
  // stray text (and stray characters in textContent). Spaces between
  // inline elements (in p, li) are words' spaces and stay.
  const walker = document.createTreeWalker(fragment, NodeFilter.SHOW_TEXT);
  const stray = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.textContent.trim() && BETWEEN_BLOCKS.has(node.parentNode.nodeName)) stray.push(node);
  }
  for (const node of stray) node.remove();
  element.replaceChildren(fragment);
}

/** The text a person reads, without Markdown's marks (for quotes and announcements). */
export function plainText(text) {
  const scratch = document.createElement('div');
  renderMarkdown(scratch, text);
  // Blocks and line breaks read as a space, not glued together.
  for (const block of scratch.querySelectorAll('p, pre, li, blockquote, br')) block.after(' ');
  return scratch.textContent.replace(/\s+/g, ' ').trim();
}
