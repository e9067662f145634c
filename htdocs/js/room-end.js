/* room-end.js — why a visit to a room ended, in words: the notice the room
   page shows before it sends the person back to their rooms, and the
   shorter note (flash.js) the rooms page shows again on arrival. Only the
   words live here; room-page.js stops the page and moves on. A 401 never
   gets here: it goes straight to the login page. */

import { isolate } from './dom.js';
import { plainWords } from './errors.js';
import { roomTitle } from './room-title.js';

/**
 * The notice for `error`, which ended a visit to `room` (null when the room
 * was never shown) by `me`: { text, flash }, flash undefined when the rooms
 * page has nothing to say again.
 */
export function endWords(error, room, me) {
  const name = room ? `“${isolate(roomTitle(room, me))}”` : 'This room';
  if (error.code === 'room_deleted') {
    return {
      text: `${name} was deleted by its owner. Taking you back to your rooms…`,
      flash: `${name} was deleted by its owner.`,
    };
  }
  if (error.code === 'not_in_room' && error.body && typeof error.body.in_room === 'number') {
    return {
      text: 'You moved to another room in another tab, so you left this one. Taking you back to your rooms…',
      flash: 'You moved to another room in another tab.',
    };
  }
  if (error.code === 'not_in_room') {
    // in_room null: left in another tab, or the owner removed you.
    return {
      text: 'You are no longer in this room. Taking you back to your rooms…',
      flash: 'You are no longer in this room.',
    };
  }
  if (error.code === 'banned') {
    return {
      text: `The owner of ${name} put you out of it, and you may not come back. Taking you back to your rooms…`,
      flash: `The owner of ${name} put you out of it.`,
    };
  }
  if (error.status === 404 && room) {
    // A room we were inside answers 404 only when we lost the right to see
    // it: the owner removed us from their private room (README, "Security").
    if (room.kind === 'private') {
      return {
        text: `You are no longer a member of ${name}: its owner removed you. Taking you back to your rooms…`,
        flash: `You are no longer a member of ${name}.`,
      };
    }
    return {
      text: `You can no longer enter ${name}: its owner put you out. Taking you back to your rooms…`,
      flash: `The owner of ${name} put you out of it.`,
    };
  }
  if (error.status === 404) {
    return {
      text: 'This room does not exist, or it is private and you are not one of its members. Taking you back to your rooms…',
    };
  }
  return { text: `${plainWords(error)} Taking you back to your rooms…` };
}
