/* unread.js — the tab title and icon. While the tab is hidden, messages from
   other people are counted and shown as "(3) General · Chatroom", and the
   icon gets a red dot with the number (an SVG drawn here from digits only,
   as a data: URL, which the Content-Security-Policy's img-src allows), so
   a glance at the tab bar says there is something new; a mention of the
   reader anywhere (this room or, from elsewhere.js, others) and a direct
   message elsewhere count too and put "@" in the title. Both clear as soon
   as the tab is looked at again. */

const ICON = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="8" fill="#4f46e5"/><path d="M8 10.5A2.5 2.5 0 0 1 10.5 8h11A2.5 2.5 0 0 1 24 10.5v7a2.5 2.5 0 0 1-2.5 2.5H15l-4.5 4v-4h0A2.5 2.5 0 0 1 8 17.5z" fill="#fff"/>';

/** The page's icon with a badge saying `label` (digits, "99+" or "@"). */
export function badgeIcon(label) {
  const text = /^[0-9+@]{1,3}$/.test(label) ? label : '';
  const size = text.length > 2 ? 10 : 13;
  return `data:image/svg+xml,${encodeURIComponent(`${ICON}<circle cx="22" cy="22" r="10" fill="#d92d20" stroke="#fff" stroke-width="2"/>`
    + `<text x="22" y="22" dy=".36em" text-anchor="middle" font-family="sans-serif" font-weight="700" font-size="${size}" fill="#fff">${text}</text></svg>`)}`;
}

export class UnreadTitle {
  constructor() {
    this.base = document.title;
    this.count = 0; // messages from others here while hidden
    this.mentions = 0; // of those, the ones that name the reader
    this.elsewhere = 0; // unread mentions and direct messages in other rooms
    this.link = document.querySelector('link[rel="icon"]');
    this.plainIcon = this.link ? this.link.getAttribute('href') : null;
    document.addEventListener('visibilitychange', () => {
      if (!document.hidden) this.clear();
      else this.render();
    });
  }

  setBase(title) {
    this.base = title;
    this.render();
  }

  /** Counts `n` new messages from others (`mentions` of them name the reader) if the reader is not looking. */
  arrived(n, mentions = 0) {
    if (!document.hidden || n <= 0) return;
    this.count += n;
    this.mentions += mentions;
    this.render();
  }

  /** The unread mentions and direct messages in other rooms (shown while hidden). */
  setElsewhere(n) {
    this.elsewhere = Math.max(0, Number(n) || 0);
    this.render();
  }

  clear() {
    this.count = 0;
    this.mentions = 0;
    this.render();
  }

  render() {
    const hidden = document.hidden;
    const total = this.count + (hidden ? this.elsewhere : 0);
    const calls = this.mentions + (hidden ? this.elsewhere : 0);
    let shown = '';
    if (total) shown = total > 99 ? '99+' : String(total);
    const at = calls ? '@' : '';
    document.title = shown ? `(${at}${shown}) ${this.base}` : this.base;
    if (!this.link || !this.plainIcon) return;
    const href = shown ? badgeIcon(shown) : this.plainIcon;
    if (this.link.getAttribute('href') !== href) this.link.setAttribute('href', href);
  }
}
