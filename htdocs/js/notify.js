/* notify.js — desktop notifications and the sound, both opt-in. Nothing
   asks for anything when a page loads: browsers treat a permission prompt
   that nobody asked for as spam (Chromium quiets such sites), and people
   rightly deny it. Only a click on "Notify me" calls
   Notification.requestPermission() (the Notifications API standard,
   https://notifications.spec.whatwg.org/, needs that user activation in
   several browsers anyway) and opens a small panel: "Mentions and direct
   messages" (on once permission is granted), "Every message in this room"
   (kept per room) and "Play a sound". The choices are kept in
   localStorage, in this browser only. A notification is shown only while
   the page is not being looked at (hidden tab or another window), carries
   plain text (the Notification API renders no markup), and a click on it
   brings the page forward (and, for another room, goes there). The sound
   is a 0.15 s tone made with WebAudio, so there is no audio file to load;
   its AudioContext is created on the click that turns it on, as autoplay
   policies require. */

const KEY = 'chatroom.notify';
const supported = () => typeof window.Notification === 'function';

function loadChoices() {
  try {
    const saved = JSON.parse(localStorage.getItem(KEY) || '{}');
    return {
      on: saved.on === true,
      sound: saved.sound === true,
      rooms: Array.isArray(saved.rooms) ? saved.rooms.filter(Number.isSafeInteger) : [],
    };
  } catch {
    return { on: false, sound: false, rooms: [] };
  }
}

export class Notifier {
  /**
   * @param {object} options
   *   button, panel, status     "Notify me", its panel and the panel's status line
   *   mentions, every, sound    the panel's three checkboxes
   *   roomId                    the room this page shows (null on other pages)
   */
  constructor({ button, panel, status, mentions, every, sound, roomId = null }) {
    Object.assign(this, { button, panel, status, mentionsBox: mentions, everyBox: every, soundBox: sound, roomId });
    this.choices = loadChoices();
    this.audio = null;
    this.button.setAttribute('aria-expanded', 'false');
    this.button.addEventListener('click', () => this.onButton());
    this.mentionsBox.addEventListener('change', () => this.onMentions());
    this.everyBox.addEventListener('change', () => this.onEvery());
    this.soundBox.addEventListener('change', () => this.onSound());
    this.panel.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') this.closePanel(true);
    });
    document.addEventListener('click', (event) => {
      if (!this.panel.hidden && !this.panel.contains(event.target) && !this.button.contains(event.target)) {
        this.closePanel(false);
      }
    });
    this.render();
  }

  get permission() { return supported() ? Notification.permission : 'unsupported'; }

  /** Desktop notifications are wanted and allowed. */
  get enabled() { return this.choices.on && this.permission === 'granted'; }

  /** The reader asked for every message of this page's room. */
  get everyMessage() { return this.enabled && this.roomId !== null && this.choices.rooms.includes(this.roomId); }

  save() {
    try {
      localStorage.setItem(KEY, JSON.stringify(this.choices));
    } catch {
      // Private mode without storage: the choice lasts for this page only.
    }
  }

  // "Notify me" turns notifications on (asking the browser first if it has
  // not been asked); once on, the button ("Notifications on") only opens
  // the panel, where they are turned off again.
  async onButton() {
    if (!this.panel.hidden) {
      this.closePanel(true);
      return;
    }
    const wasOn = this.enabled || this.choices.sound;
    this.openPanel();
    if (wasOn) return;
    if (this.permission === 'default') {
      this.say('Your browser asks whether this site may show notifications…');
      try {
        await Notification.requestPermission();
      } catch {
        // Old browsers take a callback instead; they stay "default" here.
      }
    }
    if (this.permission === 'granted') {
      this.choices.on = true;
      this.save();
    }
    this.render();
  }

  openPanel() {
    this.panel.hidden = false;
    this.button.setAttribute('aria-expanded', 'true');
    this.render();
    this.mentionsBox.focus();
  }

  closePanel(restoreFocus) {
    if (this.panel.hidden) return;
    this.panel.hidden = true;
    this.button.setAttribute('aria-expanded', 'false');
    if (restoreFocus) this.button.focus();
  }

  async onMentions() {
    if (this.mentionsBox.checked && this.permission === 'default') {
      try { await Notification.requestPermission(); } catch { /* see onButton */ }
    }
    this.choices.on = this.mentionsBox.checked && this.permission === 'granted';
    this.save();
    this.render();
  }

  onEvery() {
    const rooms = new Set(this.choices.rooms);
    if (this.everyBox.checked && this.roomId !== null) rooms.add(this.roomId);
    else rooms.delete(this.roomId);
    this.choices.rooms = [...rooms];
    this.save();
    this.render();
  }

  onSound() {
    this.choices.sound = this.soundBox.checked;
    this.save();
    if (this.choices.sound) this.beep(); // a sample, and the gesture that unlocks audio
    this.render();
  }

  say(text) {
    this.status.textContent = text;
  }

  render() {
    const permission = this.permission;
    this.mentionsBox.checked = this.enabled;
    this.mentionsBox.disabled = permission === 'denied' || permission === 'unsupported';
    this.everyBox.checked = this.everyMessage;
    this.everyBox.disabled = !this.enabled || this.roomId === null;
    this.everyBox.closest('label').hidden = this.roomId === null;
    this.soundBox.checked = this.choices.sound;
    const label = this.button.querySelector('.notify-label') || this.button;
    label.textContent = this.enabled || this.choices.sound ? 'Notifications on' : 'Notify me';
    this.button.classList.toggle('is-on', this.enabled || this.choices.sound);
    if (permission === 'unsupported') this.say('This browser cannot show notifications.');
    else if (permission === 'denied') this.say('Notifications are blocked for this site in your browser’s settings.');
    else if (permission === 'default') this.say('Your browser will ask before any notification is shown.');
    else this.say(this.enabled ? 'You get a notification when someone mentions you or writes to you directly, while this page is not in front.' : '');
  }

  /** True when the reader is not looking at this page. */
  static away() {
    return document.hidden || !document.hasFocus();
  }

  /**
   * Shows a notification (if on and the reader is away) and plays the
   * sound (if on). `url` is where a click on it goes (null: this page).
   */
  notify({ title, body, tag, url = null }) {
    if (!Notifier.away()) return false;
    if (this.choices.sound) this.beep();
    if (!this.enabled) return false;
    try {
      const note = new Notification(title, { body: body.slice(0, 200), tag, icon: '/favicon.svg' });
      note.addEventListener('click', () => {
        window.focus();
        if (url && url !== window.location.pathname) window.location.assign(url);
        note.close();
      });
      return true;
    } catch {
      // Chromium on Android allows notifications only from a service worker.
      return false;
    }
  }

  /** A short soft tone (WebAudio; no file). */
  beep() {
    const Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return;
    try {
      if (!this.audio) this.audio = new Context();
      const ctx = this.audio;
      if (ctx.state === 'suspended') ctx.resume().catch(() => {});
      const tone = ctx.createOscillator();
      const gain = ctx.createGain();
      tone.type = 'sine';
      tone.frequency.setValueAtTime(880, ctx.currentTime);
      tone.frequency.exponentialRampToValueAtTime(660, ctx.currentTime + 0.15);
      gain.gain.setValueAtTime(0.0001, ctx.currentTime);
      gain.gain.exponentialRampToValueAtTime(0.2, ctx.currentTime + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, ctx.currentTime + 0.15);
      tone.connect(gain).connect(ctx.destination);
      tone.start();
      tone.stop(ctx.currentTime + 0.16);
    } catch {
      // No audio device: silence.
    }
  }
}
