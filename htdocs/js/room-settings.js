/* room-settings.js — the owner's "Room settings" inside the Members dialog:
   rename the room, change its topic and how long its messages are kept
   (PATCH /api/rooms/{id}, which leaves out what did not change; retention
   is 1–3650 days or null for forever, README "Retention"). The form is shown to the owner only; the
   server says no to anyone else anyway (403 not_owner). On success the
   page's header shows the new name and topic at once. */

import { api } from './api.js';
import { byId } from './dom.js';
import { plainWords } from './errors.js';

export class RoomSettings {
  /**
   * @param {object} options
   * @param {number} options.roomId
   * @param {() => {room, me}} options.current
   * @param {(room) => void} options.onChanged  the room as the server now has it
   * @param {(error) => boolean} options.onLost  true when the visit is over
   */
  constructor({ roomId, current, onChanged, onLost }) {
    this.roomId = roomId;
    this.current = current;
    this.onChanged = onChanged;
    this.onLost = onLost;
    this.form = byId('room-settings');
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      this.save();
    });
    for (const id of ['settings-name', 'settings-topic', 'settings-days']) {
      byId(id).addEventListener('input', () => { byId('settings-error').hidden = true; });
    }
    byId('settings-keep').addEventListener('change', () => {
      byId('settings-error').hidden = true;
      this.showDays();
      if (!byId('settings-days').hidden) byId('settings-days').focus();
    });
  }

  // The number of days is asked for only when "For a number of days" is chosen.
  showDays() {
    byId('settings-days').hidden = byId('settings-keep').value !== 'days';
  }

  /** Shows the form, filled in, to the owner of a named room; hides it otherwise. */
  prepare() {
    const { room, me } = this.current();
    const owner = Boolean(room && me && room.owner && room.owner.id === me.id);
    this.form.hidden = !owner || room.kind === 'direct';
    if (this.form.hidden) return;
    byId('settings-name').value = room.name || '';
    byId('settings-topic').value = room.topic || '';
    const days = Number.isInteger(room.retention_days) ? room.retention_days : null;
    byId('settings-keep').value = days === null ? 'forever' : 'days';
    byId('settings-days').value = days === null ? '' : String(days);
    this.showDays();
    byId('settings-error').hidden = true;
  }

  async save() {
    const { room } = this.current();
    const name = byId('settings-name').value.trim();
    const topic = byId('settings-topic').value.trim();
    const errorBox = byId('settings-error');
    const fail = (text, id) => {
      errorBox.textContent = text;
      errorBox.hidden = false;
      byId(id).focus();
    };
    if (!name) return fail('Give the room a name.', 'settings-name');
    if ([...name].length > 64) return fail('Room names are at most 64 characters.', 'settings-name');
    if ([...topic].length > 250) return fail('A topic is at most 250 characters.', 'settings-topic');
    let days = null;
    if (byId('settings-keep').value === 'days') {
      const typed = byId('settings-days').value.trim();
      // The server's rule (400 invalid_retention): a whole number 1–3650.
      if (!/^\d+$/.test(typed) || Number(typed) < 1 || Number(typed) > 3650) {
        return fail('Keep messages for 1 to 3650 days.', 'settings-days');
      }
      days = Number(typed);
    }
    const changes = {};
    if (name !== room.name) changes.name = name;
    if (topic !== (room.topic || '')) changes.topic = topic;
    if (days !== (Number.isInteger(room.retention_days) ? room.retention_days : null)) changes.retention_days = days;
    if (Object.keys(changes).length === 0) return undefined;
    const button = byId('settings-save');
    button.disabled = true;
    try {
      const reply = await api.updateRoom(this.roomId, changes);
      this.onChanged(reply.room);
      byId('members-status').textContent = 'Saved.';
    } catch (error) {
      if (this.onLost(error)) return undefined;
      const field = { invalid_topic: 'settings-topic', invalid_retention: 'settings-days' }[error.code];
      if (field === 'settings-days') this.showDays();
      fail(plainWords(error), field || 'settings-name');
    } finally {
      button.disabled = false;
    }
    return undefined;
  }
}
