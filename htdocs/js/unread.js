/* unread.js — the tab title. While the tab is hidden, messages from other
   people are counted and shown as "(3) General · Chatroom", so a glance at
   the tab bar says there is something new; the count clears as soon as
   the tab is looked at again. */

export class UnreadTitle {
  constructor() {
    this.base = document.title;
    this.count = 0;
    document.addEventListener('visibilitychange', () => {
      if (!document.hidden) this.clear();
    });
  }

  setBase(title) {
    this.base = title;
    this.render();
  }

  /** Counts `n` new messages from others if the reader is not looking. */
  arrived(n) {
    if (!document.hidden || n <= 0) return;
    this.count += n;
    this.render();
  }

  clear() {
    this.count = 0;
    this.render();
  }

  render() {
    document.title = this.count ? `(${this.count}) ${this.base}` : this.base;
  }
}
