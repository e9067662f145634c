/* markdown-marks.js — which code points of a message's raw text are Markdown
   syntax that the room page does not show (js/markdown.js's subset:
   strong, emphasis, inline code, links "[label](url)", the "> " of a quote). The search page (js/search-page.js) leaves those out of a
   result so it reads as it does in the room, while the server's highlight
   offsets, which count code points of the raw text (README "The JSON API",
   /api/search), still land on the same words: the text is never re-parsed
   or shifted, characters are only skipped. What this misses (nested or
   unusual Markdown) is shown as typed: a plain-text reading, never HTML. */

// `code`: the backticks; what is inside is shown as typed (no emphasis).
const CODE = /(`+)(?!`)([^]*?[^`])\1(?!`)/g;

const PATTERNS = [
  // **strong** / __strong__: both delimiters hidden.
  { re: /(\*\*|__)(?=\S)([^]*?\S)\1/g, hide: (m) => [[0, 2], [m[0].length - 2, m[0].length]] },
  // *em* / _em_ (an underscore only outside a word, as CommonMark says).
  { re: /(?<![\w*])\*(?=[^\s*])([^*\n]*?[^\s*])\*(?!\*)|(?<![\w_])_(?=[^\s_])([^_\n]*?[^\s_])_(?![\w_])/g,
    hide: (m) => [[0, 1], [m[0].length - 1, m[0].length]] },
  // [label](https://…): the brackets and the address; the label stays.
  { re: /\[([^\]\n]+)\]\(([^)\s]+)\)/g, hide: (m) => [[0, 1], [1 + m[1].length, m[0].length]] },
  // "> " at the start of a line: a quote.
  { re: /^> ?/gm, hide: (m) => [[0, m[0].length]] },
];

/**
 * For each code point of `text`, true when it is Markdown syntax to leave out.
 * @returns {boolean[]} as long as Array.from(text)
 */
export function markdownSyntax(text) {
  // Regular expressions count UTF-16 units; the API counts code points.
  const unitToPoint = [];
  let point = 0;
  for (const ch of text) {
    for (let i = 0; i < ch.length; i += 1) unitToPoint.push(point);
    point += 1;
  }
  const hidden = new Array(point).fill(false);
  const code = new Array(point).fill(false);
  for (const m of text.matchAll(CODE)) {
    const ticks = m[1].length;
    for (let u = m.index; u < m.index + m[0].length; u += 1) code[unitToPoint[u]] = true;
    for (let u = 0; u < ticks; u += 1) {
      hidden[unitToPoint[m.index + u]] = true;
      hidden[unitToPoint[m.index + m[0].length - 1 - u]] = true;
    }
  }
  for (const { re, hide } of PATTERNS) {
    for (const m of text.matchAll(re)) {
      if (code[unitToPoint[m.index]]) continue;
      for (const [from, to] of hide(m)) {
        for (let u = m.index + from; u < m.index + to; u += 1) hidden[unitToPoint[u]] = true;
      }
    }
  }
  return hidden;
}
