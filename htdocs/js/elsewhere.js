/* elsewhere.js — while the reader is in one room, a small note in the
   header of unread mentions and direct messages in the other rooms
   ("2 mentions · 1 direct message elsewhere", a link to the Mentions page),
   the same count in the hidden tab's title (unread.js), and a notification
   (notify.js) when it grows. The counts come from the server: the
   per-person push stream where push is on, otherwise a field of the poll
   answer sent only when it changes (DESIGN "Version 2", issue 14), so the
   page makes no request of its own for them. */

export class Elsewhere {
  /**
   * @param {object} options
   *   link       the header's link (hidden while there is nothing)
   *   roomId     this page's room (its own news is not "elsewhere")
   *   notifier   the Notifier
   *   unread     the UnreadTitle
   */
  constructor({ link, roomId, notifier, unread }) {
    Object.assign(this, { link, roomId, notifier, unread });
    this.mentions = 0;
    this.direct = 0;
    this.known = false;
  }

  /** Takes the news from a join or poll answer, or a stream event, if it has any. */
  update(source) {
    const news = source && typeof source === 'object' ? source.elsewhere : null;
    if (!news || typeof news !== 'object') return;
    const mentions = Math.max(0, Number(news.mentions) || 0);
    const direct = Math.max(0, Number(news.direct) || 0);
    const grew = this.known && (mentions > this.mentions || direct > this.direct);
    this.mentions = mentions;
    this.direct = direct;
    this.known = true;
    this.render();
    if (grew) {
      const what = mentions > 0 ? 'You were mentioned in another room' : 'You have a new direct message';
      this.notifier.notify({ title: what, body: this.words(), tag: 'elsewhere', url: '/mentions' });
    }
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

  stop() {
    this.known = false;
  }
}
