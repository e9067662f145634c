/* invite-page.js — behaviour of `/invite/{code}`: "Join the room" accepts
   the code (POST /api/invites/accept) and goes into the room. Without a
   session the person signs in first (`/?next=` brings them back here); an
   unknown or expired code is said in words, with the way back to the list. */

import { api } from './api.js';
import { byId, go } from './dom.js';
import { plainWords } from './errors.js';

const code = (window.location.pathname.match(/^\/invite\/([A-Za-z0-9_-]+)$/) || [])[1] || '';

// A link that cannot work leaves one thing to do: "Not now" would read as
// if joining were still on offer, so the way out says where it goes.
function deadLink(text) {
  byId('invite-accept').hidden = true;
  byId('invite-back').textContent = 'Back to rooms';
  say(text);
  byId('invite-back').focus();
}

function say(text) {
  const box = byId('invite-error');
  box.textContent = text;
  box.hidden = false;
}

async function accept() {
  const button = byId('invite-accept');
  button.disabled = true;
  try {
    const reply = await api.acceptInvite(code);
    go(`/rooms/${reply.room.id}`);
  } catch (error) {
    button.disabled = false;
    if (error.status === 401) {
      go(`/?next=${encodeURIComponent(window.location.pathname)}`);
    } else if (error.code === 'invite_not_found') {
      deadLink('This invite link does not work: it is mistyped, or its room was deleted. Ask the owner for a new one.');
    } else if (error.code === 'invite_expired') {
      deadLink('This invite link has expired (links last 7 days). Ask the owner of the room for a new one.');
    } else {
      say(plainWords(error));
    }
  }
}

byId('invite-accept').addEventListener('click', accept);
