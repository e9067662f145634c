/* flash.js — a one-time note carried from one page to the next, e.g. "the
   room was deleted by its owner" shown again on the profile after the room
   page sends the user back. Kept in sessionStorage (this tab only) and
   removed as soon as it is read. */

const KEY = 'chatroom.flash';

export function setFlash(text) {
  try { sessionStorage.setItem(KEY, text); } catch { /* storage off: the note is lost, nothing else */ }
}

export function takeFlash() {
  try {
    const text = sessionStorage.getItem(KEY);
    sessionStorage.removeItem(KEY);
    return text;
  } catch {
    return null;
  }
}
