/* connection.js — the "Reconnecting…" strip under the room's header. The
   poller and the composer both report here; the strip shows while either
   cannot reach the server, and says "Back online" for a moment when they
   can again. It is role="status", so screen readers hear both changes. */

const BACK_ONLINE_MS = 2500;

export class ConnectionBanner {
  constructor(banner, text) {
    this.banner = banner;
    this.text = text;
    this.down = false;
    this.timer = null;
    this.spinner = banner.querySelector('.spinner');
  }

  /** ok=false: show "Reconnecting…"; ok=true after that: "Back online". */
  report(ok) {
    if (!ok) {
      clearTimeout(this.timer);
      this.down = true;
      this.banner.classList.remove('banner-ok');
      this.banner.classList.add('banner-warn');
      if (this.spinner) this.spinner.hidden = false;
      this.text.textContent = 'Reconnecting…';
      this.banner.hidden = false;
      return;
    }
    if (!this.down) return;
    this.down = false;
    this.banner.classList.remove('banner-warn');
    this.banner.classList.add('banner-ok');
    if (this.spinner) this.spinner.hidden = true;
    this.text.textContent = 'Back online.';
    this.timer = setTimeout(() => { this.banner.hidden = true; }, BACK_ONLINE_MS);
  }

  hide() {
    clearTimeout(this.timer);
    this.banner.hidden = true;
  }
}
