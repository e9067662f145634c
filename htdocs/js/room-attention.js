/* room-attention.js — the room page's part of issue 14, wired in one place
   so room-page.js and room-live.js only call it at four moments: the room was entered,
   messages arrived from a poll, the push stream rang, the visit ends. It
   holds the read marks and the divider (read-marks.js), "@" completion
   (mention-complete.js), who is typing (typing.js), the notifications and
   their sound (notify.js) and the note of news in other rooms
   (elsewhere.js), and tells the tab title (unread.js) and the screen
   reader's announcer (announcer.js) which new messages name the reader. */

import { api } from './api.js';
import { byId, isolate } from './dom.js';
import { Elsewhere } from './elsewhere.js';
import { MentionComplete } from './mention-complete.js';
import { mentionsMe } from './mentions.js';
import { Notifier } from './notify.js';
import { plainText } from './markdown.js';
import { Push, rememberPush } from './push.js';
import { ReadMarks, firstUnread } from './read-marks.js';
import { roomTitle } from './room-title.js';
import { Typing } from './typing.js';

// How long after reporting a read mark an "attention" ring is taken for its echo.
const ECHO_MS = 1500;

export class RoomAttention {
  /**
   * @param {object} options
   *   roomId, list (MessageList), announcer, unread (UnreadTitle)
   *   current() → {room, me}
   *   pollNow()   polls at once (the person's stream rang: news elsewhere)
   */
  constructor({ roomId, list, announcer, unread, current, pollNow }) {
    Object.assign(this, { roomId, list, announcer, unread, current, pollNow });
    this.supported = false;
    this.stream = null;
    this.readAt = 0; // when this page last moved the read mark
    this.reads = new ReadMarks({
      list,
      scroller: byId('log-scroller'),
      send: (id, options) => {
        this.readAt = Date.now();
        return api.markRead(roomId, id, options);
      },
      mine: (message) => Boolean(message && message.user && this.current().me
        && message.user.id === this.current().me.id),
    });
    this.complete = new MentionComplete({
      form: byId('composer'),
      textarea: byId('message'),
      listbox: byId('mention-list'),
      members: () => api.members(roomId),
      me: () => this.current().me,
    });
    this.typing = new Typing({
      textarea: byId('message'),
      line: byId('typing'),
      send: () => api.typing(roomId),
      myId: () => (this.current().me ? this.current().me.id : null),
    });
    this.notifier = new Notifier({
      button: byId('notify-open'),
      panel: byId('notify-panel'),
      status: byId('notify-status'),
      mentions: byId('notify-mentions'),
      every: byId('notify-every'),
      sound: byId('notify-sound'),
      roomId,
    });
    this.elsewhere = new Elsewhere({
      link: byId('elsewhere'),
      notifier: this.notifier,
      unread,
      me: () => this.current().me,
    });
  }

  myName() {
    const { me } = this.current();
    return me ? me.username : null;
  }

  /**
   * The join reply is shown: put the divider after the old mark, start
   * reading, and listen for news elsewhere (the person's own stream when
   * the room has push, else the poll's "attention" field).
   */
  entered(joined, messages) {
    // A server without read marks (older than this page) sends no
    // `last_read`: then the page sends neither marks nor typing, which it
    // would refuse, nor asks the poll for news.
    if (!Number.isSafeInteger(joined.last_read)) return;
    this.supported = true;
    rememberPush(typeof joined.events === 'string');
    this.typing.enabled = true;
    this.reads.showDivider(firstUnread(joined.last_read, messages, this.current().me ? this.current().me.id : null));
    this.reads.start(joined.last_read);
    if (typeof joined.events === 'string') {
      this.stream = new Push({
        url: '/api/me/events',
        stateKey: 'personPush',
        // "attention": the poll brings the news (the page sends the version
        // it has); "open": news may have come while the stream was down.
        onRing: (type) => {
          if (type === 'open' || (type === 'attention' && !this.ownEcho())) this.pollNow();
        },
      });
      this.stream.start();
    }
  }

  /**
   * The server rings the person's stream when their own read mark moves
   * (so their other tabs recount); the page that moved it knows already,
   * and the next timed poll brings the new version anyway, so a ring right
   * after its own report costs no extra poll.
   */
  ownEcho() {
    return Date.now() - this.readAt < ECHO_MS;
  }

  /** What the poll sends as `attention`: null (not asked), '' (nothing yet) or the version held. */
  version() {
    return this.supported ? this.elsewhere.version : null;
  }

  /** A poll's answer: `added` are the new messages shown, `fromOthers` those not the reader's. */
  arrived(added, fromOthers) {
    this.reads.look();
    const name = this.myName();
    const isMention = (m) => mentionsMe(m, name);
    for (const m of added) if (m.user) this.typing.gone(m.user.id);
    this.unread.arrived(fromOthers.length, fromOthers.filter(isMention).length);
    this.announcer.announce(fromOthers, isMention);
    this.notifyAbout(fromOthers, isMention);
  }

  /** Any poll answer: it carries news from other rooms when they changed. */
  answered(reply) {
    if (reply && reply.attention) this.elsewhere.update(reply.attention);
  }

  notifyAbout(messages, isMention) {
    const { room, me } = this.current();
    if (!messages.length || !room) return;
    const where = isolate(roomTitle(room, me));
    const direct = room.kind === 'direct';
    const wanted = messages.filter((m) => isMention(m) || direct || this.notifier.everyMessage);
    if (!wanted.length) return;
    const last = wanted[wanted.length - 1];
    const who = last.user ? last.user.username : 'Someone';
    let title = `${who} in ${where}`;
    if (isMention(last)) title = `${who} mentioned you in ${where}`;
    else if (direct) title = `${who} wrote to you`;
    const more = wanted.length > 1 ? ` (+${wanted.length - 1} more)` : '';
    this.notifier.notify({ title, body: `${plainText(last.text)}${more}`, tag: `room-${this.roomId}` });
  }

  /** A push event; true when it was attention's own (no poll needed). */
  ring(type, data) {
    if (type === 'typing') {
      this.typing.heard(data.user);
      return true;
    }
    return false;
  }

  /**
   * Before Leave: the last read mark goes while the reader is still in the
   * room (after, it would be refused), but a slow server does not hold the
   * leaving up for more than a second.
   */
  async leaving() {
    await Promise.race([this.reads.flush(false), new Promise((resolve) => { setTimeout(resolve, 1000); })]);
  }

  stop() {
    this.reads.stop();
    if (this.stream) this.stream.stop();
  }
}
