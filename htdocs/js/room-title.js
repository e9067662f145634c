/* room-title.js — what a room is called on screen, in one place for the
   room list and the room page: its name, or for a direct conversation
   (which has no name, DESIGN.md "Version 2") the other person's username. */

/**
 * What a room is called on screen: its name, or for a direct conversation
 * (which has none) the other person's username.
 */
export function roomTitle(room, me) {
  if (room.kind === 'direct' || room.name === null || room.name === undefined) {
    const members = Array.isArray(room.members) ? room.members : [];
    const other = members.find((u) => u && (!me || u.id !== me.id)) || members[0];
    return other ? String(other.username) : 'Direct conversation';
  }
  return String(room.name);
}
