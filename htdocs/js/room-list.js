/* room-list.js — the list of rooms on the profile. Rows are kept by room id
   and updated in place on every refresh, so a refresh every few seconds
   never steals keyboard focus or closes a delete confirmation that is open.
   Delete asks inside the row (Cancel / Delete room; Escape cancels) instead
   of window.confirm, which a strict page never uses. A row shows the room's
   kind at a glance: "#" for an open room, a lock for a private one and an
   "@" for a direct conversation (which is named after the other person),
   each with words for screen readers; the topic sits under the name. A
   direct conversation has Hide instead of Delete: it leaves this person's
   list only (DELETE /api/rooms/{id}/members/{own id}) until a new message
   arrives. The profile keeps one list per kind (rooms-page.js). All room
   and user names go in through textContent. */

import { fromTemplate, part } from './dom.js';
import { plainWords } from './errors.js';
import { fillBadges } from './room-badges.js';
import { roomTitle } from './room-title.js';

// The icon a row shows, and what a screen reader hears instead of it.
const KINDS = {
  open: { icon: '#', words: 'Open room: ' },
  private: { icon: '🔒', words: 'Private room: ' },
  direct: { icon: '@', words: 'Direct conversation with ' },
};

const people = (n) => (n === 1 ? '1 person here' : `${n} people here`);

export class RoomList {
  /**
   * @param {HTMLElement} list  the <ul> rows go into
   * @param {(room) => Promise<void>} onDelete  deletes; rejects with ApiError
   * @param {(room) => Promise<void>} onHide  hides a direct room; rejects with ApiError
   */
  constructor(list, onDelete, onHide) {
    this.list = list;
    this.onDelete = onDelete;
    this.onHide = onHide;
    this.rows = new Map();
  }

  /** Shows exactly `rooms`, in the given order. */
  update(rooms, me, currentRoomId) {
    const seen = new Set();
    let previous = null;
    for (const room of rooms) {
      seen.add(room.id);
      let row = this.rows.get(room.id);
      if (!row) {
        row = this.createRow(room);
        this.rows.set(room.id, row);
      }
      this.fill(row, room, me, currentRoomId);
      const expected = previous ? previous.nextElementSibling : this.list.firstElementChild;
      if (expected !== row) this.list.insertBefore(row, expected);
      previous = row;
    }
    for (const [id, row] of this.rows) {
      if (!seen.has(id)) {
        row.remove();
        this.rows.delete(id);
      }
    }
  }

  createRow(room) {
    const row = fromTemplate('room-row-template');
    row.dataset.roomId = String(room.id);
    part(row, '.join').href = `/rooms/${room.id}`;
    part(row, '.delete').addEventListener('click', () => this.openConfirm(row));
    part(row, '.hide').addEventListener('click', () => this.hide(row));
    part(row, '.cancel').addEventListener('click', () => this.closeConfirm(row, true));
    part(row, '.confirm-delete').addEventListener('click', () => this.confirmDelete(row));
    row.addEventListener('keydown', (event) => {
      if (event.key === 'Escape' && !part(row, '.room-confirm').hidden) this.closeConfirm(row, true);
    });
    return row;
  }

  fill(row, room, me, currentRoomId) {
    row.room = room;
    const name = roomTitle(room, me);
    const kind = KINDS[room.kind] || KINDS.open;
    part(row, '.room-icon').textContent = kind.icon;
    part(row, '.room-kind-label').textContent = kind.words;
    row.dataset.kind = room.kind || 'open';
    part(row, '.room-name').textContent = name;
    const topic = typeof room.topic === 'string' ? room.topic : '';
    part(row, '.room-topic').textContent = topic;
    part(row, '.room-topic').hidden = !topic;
    part(row, '.join-name').textContent = ` ${name}`;
    part(row, '.delete-name').textContent = ` ${name}`;
    part(row, '.confirm-name').textContent = name;
    const direct = room.kind === 'direct';
    // A direct room is both people's: nobody "owns" it or may delete it
    // (the server answers 403 direct_room).
    const own = !direct && me && room.owner && room.owner.id === me.id;
    part(row, '.room-owner').textContent = direct ? 'Direct conversation'
      : own ? 'Your room' : `by ${room.owner ? room.owner.username : 'unknown'}`;
    part(row, '.room-count').textContent = people(Number(room.member_count) || 0);
    part(row, '.delete').hidden = !own;
    part(row, '.hide').hidden = !direct;
    part(row, '.hide-name').textContent = ` conversation with ${name}`;
    const here = room.id === currentRoomId;
    part(row, '.room-badge').hidden = !here;
    // The room you are in is opened, not joined (you are already inside).
    part(row, '.join-label').textContent = here ? 'Open' : 'Join';
    row.classList.toggle('is-current', here);
    fillBadges(row, room);
    if (!own) this.closeConfirm(row, false);
  }

  openConfirm(row) {
    part(row, '.room-actions').hidden = true;
    part(row, '.confirm-error').hidden = true;
    part(row, '.room-confirm').hidden = false;
    part(row, '.cancel').focus();
  }

  closeConfirm(row, restoreFocus) {
    const confirm = part(row, '.room-confirm');
    if (confirm.hidden) return;
    confirm.hidden = true;
    part(row, '.room-actions').hidden = false;
    if (restoreFocus) part(row, '.delete').focus();
  }

  async confirmDelete(row) {
    const button = part(row, '.confirm-delete');
    const errorBox = part(row, '.confirm-error');
    button.disabled = true;
    button.textContent = 'Deleting…';
    try {
      await this.onDelete(row.room);
      this.rows.delete(row.room.id);
      row.remove();
    } catch (error) {
      if (error.code === 'room_not_found' || error.code === 'not_found') {
        this.rows.delete(row.room.id);
        row.remove();
        return;
      }
      errorBox.textContent = plainWords(error);
      errorBox.hidden = false;
    } finally {
      button.disabled = false;
      button.textContent = 'Delete room';
    }
  }

  async hide(row) {
    const button = part(row, '.hide');
    const errorBox = part(row, '.hide-error');
    button.disabled = true;
    errorBox.hidden = true;
    try {
      await this.onHide(row.room);
      this.rows.delete(row.room.id);
      row.remove();
    } catch (error) {
      errorBox.textContent = plainWords(error);
      errorBox.hidden = false;
      button.disabled = false;
    }
  }

  get size() {
    return this.rows.size;
  }
}
