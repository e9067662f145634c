/* reply-jump.js — a click on a reply's quote shows the message it answers:
   scrolled to the middle of the log, highlighted for a moment, and focused
   (so keyboard and screen reader users land there too). When the original
   is older than anything loaded, older pages are loaded (before=, the same
   as "Load older") until it is on screen or the history ends. A message
   newer than the oldest loaded but not on screen was deleted: there is
   nothing to load, and the reader is told so. */

const HIGHLIGHT_MS = 2500;

/**
 * @param {number} id  the message to show
 * @param {object} parts {list, loadOlder() → Promise<'more'|'end'|'error'>, say(text)}
 */
export async function jumpTo(id, { list, loadOlder, say }) {
  while (!list.has(id) && list.oldestId !== null && id < list.oldestId) {
    const outcome = await loadOlder();
    if (outcome !== 'more') break;
  }
  const element = list.element(id);
  if (!element) {
    say('That message is no longer in the room.');
    return false;
  }
  element.scrollIntoView({ block: 'center' });
  element.focus({ preventScroll: true });
  element.classList.remove('is-highlighted');
  // Restart the highlight's animation if it was already running.
  void element.offsetWidth; // eslint-disable-line no-void
  element.classList.add('is-highlighted');
  clearTimeout(element.highlightTimer);
  element.highlightTimer = setTimeout(() => element.classList.remove('is-highlighted'), HIGHLIGHT_MS);
  return true;
}
