/* room-actions.js — what the room page does when a button on a message is
   used (message-actions.js draws the buttons and says which): reply and
   edit go to the composer, message the author opens a direct conversation,
   delete asks first, react adds or takes back an emoji, and a quoted reply
   jumps to its original (reply-jump.js). A refusal is said under the
   message box; one that means the visit is over ends it. */

import { api } from './api.js';
import { confirmAction } from './confirm.js';
import { go, isolate } from './dom.js';
import { plainWords } from './errors.js';
import { MessageActions } from './message-actions.js';
import { jumpTo } from './reply-jump.js';

/**
 * Listens to the buttons on the messages of `list` (message-list.js) in
 * room `roomId`; `composer` (composer.js) answers, edits and says
 * refusals; `loadOlder` pages back for a jump; `end(error)` ends the visit.
 */
export function listenToMessageActions({ roomId, list, composer, loadOlder, end }) {
  // What the buttons on a message do. A refusal is said under the message
  // box; 401, 409 and 410 end the visit as everywhere else.
  function actionFailed(error) {
    if (error.status === 401 || error.status === 404 || error.status === 409 || error.status === 410
        || error.code === 'banned') {
      end(error);
      return;
    }
    composer.setStatus(plainWords(error), true);
  }

  new MessageActions({ // eslint-disable-line no-new
    list,
    reply: (message) => composer.replyTo(message),
    direct: async (message) => {
      try {
        const reply = await api.direct(message.user.username);
        go(`/rooms/${reply.room.id}`);
      } catch (error) {
        if (error.status === 401) end(error);
        else composer.setStatus(plainWords(error), true);
      }
    },
    edit: (message) => composer.startEdit(message),
    remove: async (message) => {
      const mine = message.user && message.user.id === list.viewer.myId;
      const whose = mine ? 'your message' : `this message by ${isolate(message.user ? message.user.username : '?')}`;
      if (!await confirmAction(`Delete ${whose}? It is removed for everyone.`, 'Delete')) return;
      try {
        await api.deleteMessage(message.id);
        const element = list.element(message.id);
        const hadFocus = Boolean(element && element.contains(document.activeElement));
        list.add([{ id: message.id, room_id: roomId, deleted: true }], 'update');
        composer.forget(message.id);
        if (hadFocus) composer.focus(); // its Delete button is gone with it
      } catch (error) {
        actionFailed(error);
      }
    },
    react: async (message, emoji, add) => {
      try {
        const reply = add ? await api.react(message.id, emoji) : await api.unreact(message.id, emoji);
        list.add([reply.message], 'update');
      } catch (error) {
        actionFailed(error);
      }
    },
    jump: (id) => jumpTo(id, {
      list,
      loadOlder,
      say: (text) => composer.setStatus(text, true),
    }),
  });
}
