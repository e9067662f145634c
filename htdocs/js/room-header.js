/* room-header.js — the room page's header: the room's name (room-title.js),
   its topic, and the line under them ("3 people here · messages kept 30
   days · Created by alice"), plus the tab title's base (unread.js). Shown
   from the join reply, then again whenever a poll or the owner's settings
   bring the room anew, and the count alone from push's members events. */

import { byId, isolate } from './dom.js';
import { roomTitle } from './room-title.js';

/** Shows `room` as `me` sees it in the header and the tab title. */
export function showRoomHeader(room, me, unread) {
  byId('room-name').textContent = roomTitle(room, me);
  const topic = typeof room.topic === 'string' ? room.topic : '';
  byId('room-topic').textContent = topic;
  byId('room-topic').hidden = !topic;
  byId('room-topic').title = topic;
  showRoomMeta(room);
  unread.setBase(`${isolate(roomTitle(room, me))} · Chatroom`);
}

// "3 people here · messages kept 30 days · Created by alice" ("… · Direct conversation" for two
// people's own room; the count first, so a narrow header
// that cuts the line keeps it): the count from the join reply, then from the
// room's members events while push is on.
export function showRoomMeta(room) {
  const parts = [];
  const n = Number(room.member_count);
  if (Number.isInteger(n) && n > 0) parts.push(n === 1 ? '1 person here' : `${n} people here`);
  if (room.kind === 'private') parts.push('Private');
  // A direct conversation has no owner to name (README "The pages"): the
  // API's owner is only whoever opened it first, which reads as if that
  // person ran the conversation.
  if (room.kind === 'direct') parts.push('Direct conversation');
  // Everyone inside should know their words do not stay (README
  // "Retention"); before "Created by", which a phone's header cuts first.
  const days = room.retention_days;
  if (Number.isInteger(days) && days > 0) parts.push(days === 1 ? 'messages kept 1 day' : `messages kept ${days} days`);
  if (room.kind !== 'direct' && room.owner) parts.push(`Created by ${room.owner.username}`);
  byId('room-meta').textContent = parts.join(' · ');
}
