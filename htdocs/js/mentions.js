/* mentions.js — `@username` in a message, as the page shows it. The server
   decides who was mentioned (the message's `mentions`: only people allowed
   in the room, DESIGN "Version 2"); this only finds those names in the
   text already rendered by markdown.js and wraps each in a
   <span class="mention">, the reader's own name in "mention mention-me",
   so a mention of an outsider, or an "@name" the server did not count,
   stays plain text. It walks text nodes and splits them (DOM nodes only,
   never an HTML string), and leaves code and links alone: "@bob" inside
   `code` is code. Usernames are 3 to 32 of A-Z a-z 0-9 _ . - and equal
   when their case is folded (the server's FoldCase), so "@Bob" names bob;
   a name that ends a sentence ("@bob.") is matched without its last dots. */

const NAME = /(^|[^A-Za-z0-9_.@-])@([A-Za-z0-9_.-]{1,40})/g;
const SKIP = new Set(['CODE', 'PRE', 'A']);

/** The usernames in a message's `mentions` (objects {id, username} or strings), folded. */
export function mentionedNames(message) {
  const list = message && Array.isArray(message.mentions) ? message.mentions : [];
  const names = new Set();
  for (const entry of list) {
    const name = typeof entry === 'string' ? entry : entry && entry.username;
    if (typeof name === 'string' && name) names.add(name.toLowerCase());
  }
  return names;
}

/** True when `message` mentions the user called `myName`. */
export function mentionsMe(message, myName) {
  return Boolean(myName) && mentionedNames(message).has(String(myName).toLowerCase());
}

/** The longest prefix of `raw` (trailing . and - taken off one by one) that is in `names`. */
function known(raw, names) {
  let name = raw;
  while (name.length >= 3) {
    if (names.has(name.toLowerCase())) return name;
    if (!/[.-]$/.test(name)) return null;
    name = name.slice(0, -1);
  }
  return null;
}

/** Wraps the mentions of `names` found in one text node; returns nothing. */
function markNode(node, names, me) {
  const text = node.nodeValue;
  const pieces = [];
  let last = 0;
  NAME.lastIndex = 0;
  for (let found = NAME.exec(text); found; found = NAME.exec(text)) {
    const name = known(found[2], names);
    if (!name) continue;
    const start = found.index + found[1].length;
    if (start > last) pieces.push(document.createTextNode(text.slice(last, start)));
    const span = document.createElement('span');
    span.className = name.toLowerCase() === me ? 'mention mention-me' : 'mention';
    span.textContent = `@${name}`;
    pieces.push(span);
    last = start + 1 + name.length;
    NAME.lastIndex = last;
  }
  if (!pieces.length) return;
  if (last < text.length) pieces.push(document.createTextNode(text.slice(last)));
  node.replaceWith(...pieces);
}

/**
 * Highlights the mentions of `message` inside `textElement` (its rendered
 * text); `myName` is the reader's username.
 */
export function markMentions(textElement, message, myName) {
  const names = mentionedNames(message);
  if (!names.size) return;
  const me = String(myName || '').toLowerCase();
  const walker = document.createTreeWalker(textElement, NodeFilter.SHOW_TEXT, {
    acceptNode: (node) => {
      for (let up = node.parentNode; up && up !== textElement; up = up.parentNode) {
        if (SKIP.has(up.nodeName)) return NodeFilter.FILTER_REJECT;
      }
      return node.nodeValue.includes('@') ? NodeFilter.FILTER_ACCEPT : NodeFilter.FILTER_SKIP;
    },
  });
  const nodes = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) nodes.push(node);
  for (const node of nodes) markNode(node, names, me);
}
