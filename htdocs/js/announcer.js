/* announcer.js — what a screen reader hears of the room by itself: each new
   message from someone else, once, as "alice: text". The visible history
   (the join's last 50 messages, every "Load older" page, the reader's own
   messages) is deliberately not a live region: role="log" implies
   aria-live="polite" (WAI-ARIA 1.2, role log), so a history inside one is
   read out 50 messages at a time, and aria-busy only asks assistive
   technology to wait and then read the whole change. So the announcements
   go into their own visually hidden role="log" that receives nothing else,
   and the history is read at the reader's own pace in browse mode. A poll
   that brings many at once (after a lost connection) is said as a count
   rather than a monologue. Only the last few lines are kept; removals are
   not announced (aria-relevant="additions"). Text is said as it reads on
   screen, without Markdown's marks (markdown.js). */

import { plainText } from './markdown.js';

const KEEP = 20;
const ONE_BY_ONE = 5;

export class Announcer {
  /** @param {HTMLElement} region  an empty element with role="log" */
  constructor(region) {
    this.region = region;
  }

  /**
   * Says `messages` (new, from others, in order); `mentionsMe(message)`
   * tells which name the reader, said as "alice mentioned you: …" (and
   * counted apart when there are many).
   */
  announce(messages, mentionsMe = () => false) {
    if (!messages.length) return;
    if (messages.length > ONE_BY_ONE) {
      const calls = messages.filter(mentionsMe).length;
      this.say(`${messages.length} new messages${calls ? `, ${calls} mentioning you` : ''}.`);
    } else {
      for (const message of messages) {
        const name = message.user ? message.user.username : 'Someone';
        this.say(`${name}${mentionsMe(message) ? ' mentioned you' : ''}: ${plainText(message.text)}`);
      }
    }
    while (this.region.childElementCount > KEEP) this.region.firstElementChild.remove();
  }

  say(text) {
    const line = document.createElement('p');
    line.dir = 'auto';
    line.textContent = text;
    this.region.append(line);
  }
}
