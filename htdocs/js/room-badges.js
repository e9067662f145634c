/* room-badges.js — a room's news on the profile's list (issue 14): the
   unread count ("99+" past 99: the server counts up to 100, DESIGN
   "Version 2") and, when some of those name the reader, an "@" mark with
   their number. A row with news gets "has-news" (and "has-mention"), which
   room-list.css draws bolder with an accent edge, so it stands out without
   the list jumping around. The badge is in the row's name heading, and
   says in words what it shows ("3 unread messages, 1 mentions you"), so a
   screen reader moving through the headings hears it with the name. Built
   from DOM nodes, numbers only. */

const CAP = 100;

/** "5", or "99+" at or past the cap. */
export function unreadLabel(n) {
  return n >= CAP || n > 99 ? '99+' : String(n);
}

/** The row's badge `cls` (made on first use): a number shown, and words for screen readers. */
function badge(row, cls) {
  let element = row.querySelector(`.${cls}`);
  if (!element) {
    element = document.createElement('span');
    element.className = `room-news ${cls}`;
    const shown = document.createElement('span');
    shown.setAttribute('aria-hidden', 'true');
    const words = document.createElement('span');
    words.className = 'visually-hidden';
    element.append(shown, words);
    row.querySelector('.room-title').append(element);
  }
  return element;
}

function show(element, shown, words) {
  element.hidden = !shown;
  element.firstChild.textContent = shown;
  element.lastChild.textContent = shown ? ` (${words})` : '';
  element.title = words;
}

/** Shows `room.unread` and `room.mentions` (either may be absent: an older server) in `row`. */
export function fillBadges(row, room) {
  const unread = Number.isInteger(room.unread) && room.unread > 0 ? room.unread : 0;
  const mentions = Number.isInteger(room.mentions) && room.mentions > 0 ? room.mentions : 0;
  row.classList.toggle('has-news', unread > 0 || mentions > 0);
  row.classList.toggle('has-mention', mentions > 0);
  show(badge(row, 'room-unread'), unread ? unreadLabel(unread) : '',
    unread >= CAP ? 'more than 99 unread messages' : `${unread} unread ${unread === 1 ? 'message' : 'messages'}`);
  show(badge(row, 'room-mentions'), mentions ? `@${unreadLabel(mentions)}` : '',
    mentions === 1 ? '1 mention of you' : `${mentions} mentions of you`);
}
