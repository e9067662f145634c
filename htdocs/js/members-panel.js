/* members-panel.js — the room page's Members dialog: who may come in, who
   is here now and who owns the room, from GET /api/rooms/{id}/members
   (for an open room that is its owner and whoever is inside now). The
   owner of a private room adds people by username and removes them (after
   a confirmation naming who); a member of a private room who is not its
   owner may leave it for good. The list is fetched each time the dialog
   opens and after each change, never kept from before. Every name goes in
   through textContent; refusals are said in words inside the dialog. */

import { api } from './api.js';
import { avatarHueClass, byId, fromTemplate, initial, isolate, part } from './dom.js';
import { plainWords } from './errors.js';
import { confirmAction } from './confirm.js';

export class MembersPanel {
  /**
   * @param {object} options
   * @param {number} options.roomId
   * @param {() => {room, me}} options.current  the room and the viewer now
   * @param {(error) => void} options.onLost  a 401/404/410: the visit is over
   * @param {() => void} options.onLeftForGood  the viewer left for good
   * @param {() => void} options.onOpen  the dialog is about to show
   */
  constructor({ roomId, current, onLost, onLeftForGood, onOpen = () => {} }) {
    this.onOpen = onOpen;
    this.roomId = roomId;
    this.current = current;
    this.onLost = onLost;
    this.onLeftForGood = onLeftForGood;
    this.dialog = byId('members-dialog');
    this.opener = byId('members-open');
    this.opener.addEventListener('click', () => this.open());
    byId('members-close').addEventListener('click', () => this.dialog.close());
    byId('member-add').addEventListener('submit', (event) => {
      event.preventDefault();
      this.add();
    });
    byId('member-add-name').addEventListener('input', () => { byId('member-add-error').hidden = true; });
    byId('leave-for-good').addEventListener('click', () => this.leaveForGood());
    byId('invite-make').addEventListener('click', () => this.makeInvite());
    byId('invite-copy').addEventListener('click', () => this.copyInvite());
    this.dialog.addEventListener('close', () => { if (this.opener.isConnected) this.opener.focus(); });
  }

  enable() {
    this.opener.disabled = false;
  }

  close() {
    if (this.dialog.open) this.dialog.close();
    this.opener.disabled = true;
  }

  /** Who the viewer is to this room: owner, member of a private room, or neither. */
  roles() {
    const { room, me } = this.current();
    const owner = Boolean(room && me && room.owner && room.owner.id === me.id);
    const isPrivate = Boolean(room && room.kind === 'private');
    return { room, me, owner, isPrivate };
  }

  async open() {
    const { owner, isPrivate } = this.roles();
    byId('member-add').hidden = !(owner && isPrivate);
    byId('leave-for-good-box').hidden = owner || !isPrivate;
    byId('invite-box').hidden = !(owner && isPrivate);
    byId('members-about').textContent = isPrivate
      ? 'A private room: only the people listed here can see it and come in.'
      : 'An open room: anyone signed in can come in. Listed: its owner and who is here now.';
    this.onOpen();
    if (!this.dialog.open) this.dialog.showModal();
    await this.refresh();
  }

  say(text) {
    byId('members-status').textContent = text;
  }

  async refresh() {
    this.say('Loading…');
    try {
      const reply = await api.members(this.roomId);
      this.show(Array.isArray(reply.members) ? reply.members : []);
      this.say('');
    } catch (error) {
      if (this.lost(error)) return;
      this.say(`Could not load the members. ${plainWords(error)}`);
    }
  }

  // The visit is over when the session or the room is (a 404 about the
  // person added or removed, user_not_found or member_not_found, is not).
  lost(error) {
    const roomGone = error.status === 404 && (error.code === 'room_not_found' || error.code === 'not_found');
    if (error.status === 401 || roomGone || error.status === 410 || error.code === 'banned') {
      this.close();
      this.onLost(error);
      return true;
    }
    return false;
  }

  show(members) {
    const { room, me, owner, isPrivate } = this.roles();
    const isDirect = room && room.kind === 'direct';
    const list = byId('member-list');
    list.replaceChildren();
    for (const member of members) {
      const user = member.user || {};
      const row = fromTemplate('member-template');
      row.dataset.userId = String(user.id);
      const avatar = part(row, '.avatar');
      avatar.textContent = initial(user.username);
      avatar.classList.add(avatarHueClass(user));
      const isMe = me && user.id === me.id;
      part(row, '.member-name').textContent = isMe ? `${user.username} (you)` : String(user.username);
      part(row, '.member-owner').hidden = member.role !== 'owner';
      part(row, '.member-here').hidden = member.here !== true;
      const remove = part(row, '.member-remove');
      part(row, '.member-remove-name').textContent = ` ${user.username}`;
      // Private room: the owner removes a member; open room: the owner bans.
      remove.hidden = !(owner && member.role !== 'owner' && !isMe && !isDirect);
      part(row, '.member-remove-label').textContent = isPrivate ? 'Remove' : 'Ban';
      remove.addEventListener('click', () => (isPrivate ? this.remove(user) : this.ban(user)));
      const message = part(row, '.member-message');
      part(row, '.member-message-name').textContent = ` ${user.username}`;
      message.hidden = Boolean(isMe);
      message.addEventListener('click', () => this.message(user));
      list.append(row);
    }
  }

  async add() {
    const input = byId('member-add-name');
    const errorBox = byId('member-add-error');
    const button = byId('member-add-button');
    const username = input.value.trim();
    const fail = (text) => {
      errorBox.textContent = text;
      errorBox.hidden = false;
      input.focus();
    };
    if (!username) return fail('Type the username of the person to add.');
    button.disabled = true;
    try {
      await api.addMember(this.roomId, username);
      input.value = '';
      await this.refresh();
      this.say(`Added ${isolate(username)}. They can now see this room and come in.`);
    } catch (error) {
      if (this.lost(error)) return undefined;
      if (error.code === 'user_not_found') fail(`Nobody is called ${isolate(username)}.`);
      else if (error.code === 'already_member') fail(`${isolate(username)} is already a member.`);
      else fail(plainWords(error));
    } finally {
      button.disabled = false;
    }
    return undefined;
  }

  async remove(user) {
    const name = isolate(user.username);
    if (!await confirmAction(`Remove ${name} from this room? They are sent out at once and no longer see it.`, 'Remove')) return;
    try {
      await api.removeMember(this.roomId, user.id);
      await this.refresh();
      this.say(`Removed ${name}.`);
    } catch (error) {
      if (this.lost(error)) return;
      if (error.code === 'member_not_found') await this.refresh();
      else this.say(plainWords(error));
    }
  }

  async ban(user) {
    const name = isolate(user.username);
    if (!await confirmAction(`Ban ${name} from this room? They are sent out at once and cannot come back in.`, 'Ban')) return;
    try {
      await api.removeMember(this.roomId, user.id);
      await this.refresh();
      this.say(`Banned ${name}.`);
    } catch (error) {
      if (!this.lost(error)) this.say(plainWords(error));
    }
  }

  /** Opens the direct conversation with `user` (made on first use). */
  async message(user) {
    try {
      const reply = await api.direct(user.username);
      window.location.assign(`/rooms/${reply.room.id}`);
    } catch (error) {
      if (!this.lost(error)) this.say(plainWords(error));
    }
  }

  async makeInvite() {
    try {
      const reply = await api.makeInvite(this.roomId);
      const input = byId('invite-url');
      input.value = new URL(reply.invite.url, window.location.origin).href;
      byId('invite-made').hidden = false;
      input.focus();
      input.select();
    } catch (error) {
      if (!this.lost(error)) this.say(plainWords(error));
    }
  }

  // The Clipboard API needs a secure context (HTTPS or localhost); without
  // it the link stays selected for the person to copy themselves.
  async copyInvite() {
    const input = byId('invite-url');
    try {
      await navigator.clipboard.writeText(input.value);
      this.say('Link copied.');
    } catch {
      input.select();
      this.say('Select the link and copy it.');
    }
  }

  async leaveForGood() {
    const { me } = this.roles();
    if (!me) return;
    if (!await confirmAction('Leave this private room for good? You will not see it again unless its owner adds you back.', 'Leave for good')) return;
    try {
      await api.removeMember(this.roomId, me.id);
      this.close();
      this.onLeftForGood();
    } catch (error) {
      if (error.status === 404 || error.status === 410) {
        // Gone already, or removed meanwhile: the same outcome.
        this.close();
        this.onLeftForGood();
        return;
      }
      if (this.lost(error)) return;
      this.say(plainWords(error));
    }
  }
}
