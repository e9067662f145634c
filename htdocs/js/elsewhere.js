/* elsewhere.js — while the reader is in one room, a small note in the
   header of unread mentions and direct messages in the other rooms
   ("2 mentions · 1 direct message elsewhere", a link to the Mentions page),
   the same count in the hidden tab's title (unread.js), and a notification
   (notify.js) when it grows. The news comes from the server: the poll
   sends the version it holds (`attention=V`) and the answer carries
   `"attention": {"version", "mentions", "direct", "messages"}` only when
   the version moved (a mention, a direct message, a read mark), which the
   person's own push stream, where push is on, makes the page ask for at
   once; so the page makes no request of its own for it (issue 14). */

import { isolate } from './dom.js';
import { plainText } from './markdown.js';
import { roomTitle } from './room-title.js';

export class Elsewhere {
  /**
   * @param {object} options
   *   link       the header's link (hidden while there is nothing)
   *   notifier   the Notifier
   *   unread     the UnreadTitle
   *   me() → the reader {id, username}
   */
  constructor({ link, notifier, unread, me }) {
    Object.assign(this, { link, notifier, unread, me });
    this.version = ''; // '' until the first answer: "send me the news"
    this.mentions = 0;
    this.direct = 0;
    this.newest = 0; // the newest message id the news has shown
  }

  /** Takes the news {version, mentions, direct, messages} from a poll answer. */
  update(news) {
    if (!news || typeof news !== 'object') return;
    const first = this.version === '';
    // An opaque string ("4.1093"), sent back as it came (README, "Attention").
    if (typeof news.version === 'string' || typeof news.version === 'number') this.version = String(news.version);
    this.mentions = Math.max(0, Number(news.mentions) || 0);
    this.direct = Math.max(0, Number(news.direct) || 0);
    const messages = Array.isArray(news.messages) ? news.messages : [];
    const fresh = messages.filter((m) => m && Number.isSafeInteger(m.id) && m.id > this.newest);
    for (const m of fresh) this.newest = Math.max(this.newest, m.id);
    this.render();
    // The first answer is what was there before this visit: no notification.
    if (!first && fresh.length) this.notifyAbout(fresh[0], fresh.length);
  }

  notifyAbout(message, count) {
    const who = message.user ? message.user.username : 'Someone';
    const room = message.room || null;
    const direct = room && room.kind === 'direct';
    const where = room ? isolate(roomTitle(room, this.me())) : 'another room';
    const title = direct ? `${who} wrote to you` : `${who} mentioned you in ${where}`;
    const more = count > 1 ? ` (+${count - 1} more)` : '';
    this.notifier.notify({
      title,
      body: `${plainText(message.text)}${more}`,
      tag: `elsewhere-${message.id}`,
      url: room ? `/rooms/${room.id}#m-${message.id}` : '/mentions',
    });
  }

  words() {
    const parts = [];
    if (this.mentions) parts.push(this.mentions === 1 ? '1 mention' : `${this.mentions} mentions`);
    if (this.direct) parts.push(this.direct === 1 ? '1 direct message' : `${this.direct} direct messages`);
    return parts.length ? `${parts.join(' · ')} elsewhere` : '';
  }

  render() {
    const text = this.words();
    this.link.textContent = text;
    this.link.hidden = !text;
    this.unread.setElsewhere(this.mentions + this.direct);
  }
}
