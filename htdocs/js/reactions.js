/* reactions.js — the row of reactions under a message and the small emoji
   picker. Each reaction is a toggle button: the emoji, how many reacted,
   pressed when one of them is the reader, and who reacted on hover (title)
   and on keyboard focus (data-tip, drawn by tooltip.css; a screen reader
   hears it in the label). The row is updated in place, button by button
   keyed by emoji, so a change arriving while the reader's focus is on a
   reaction leaves it there. The picker offers the common emoji below plus
   any already on the message; what a click does (add or take back) is
   decided by message-actions.js from the message's current reactions. */

export const COMMON_EMOJI = ['👍', '❤️', '😂', '🎉', '😮', '😢', '🙏', '👀'];

function users(reaction) {
  return Array.isArray(reaction.users) ? reaction.users : [];
}

/** True when `myId` is among those who reacted with `emoji` in `reactions`. */
export function reactedWith(reactions, emoji, myId) {
  const found = (reactions || []).find((r) => r.emoji === emoji);
  return Boolean(found) && users(found).some((u) => u && u.id === myId);
}

function who(reaction, myId) {
  return users(reaction).map((u) => (u && u.id === myId ? 'you' : String(u && u.username))).join(', ');
}

function newButton(emoji) {
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'reaction';
  button.dataset.action = 'reaction';
  button.dataset.emoji = emoji;
  const glyph = document.createElement('span');
  glyph.className = 'reaction-emoji';
  glyph.textContent = emoji;
  const count = document.createElement('span');
  count.className = 'reaction-count';
  button.append(glyph, count);
  const item = document.createElement('li');
  item.append(button);
  return item;
}

/** Makes `list` (a <ul>) show `reactions` [{emoji, users:[{id,username}]}], in their order. */
export function renderReactions(list, reactions, myId) {
  const items = new Map([...list.children].map((li) => [li.firstElementChild.dataset.emoji, li]));
  let at = list.firstElementChild;
  for (const reaction of reactions) {
    const n = users(reaction).length;
    if (typeof reaction.emoji !== 'string' || n === 0) continue;
    let item = items.get(reaction.emoji);
    items.delete(reaction.emoji);
    if (!item) item = newButton(reaction.emoji);
    if (item !== at) list.insertBefore(item, at);
    else at = at.nextElementSibling;
    const button = item.firstElementChild;
    const names = who(reaction, myId);
    button.lastElementChild.textContent = String(n);
    button.setAttribute('aria-pressed', String(users(reaction).some((u) => u && u.id === myId)));
    button.title = names;
    button.dataset.tip = names;
    button.setAttribute('aria-label', `${reaction.emoji} ${n}: ${names}`);
  }
  for (const item of items.values()) item.remove();
  list.hidden = list.childElementCount === 0;
}

/** Fills `picker` with the common emoji and those already on the message. */
export function fillPicker(picker, reactions, myId) {
  const emoji = [...COMMON_EMOJI];
  for (const r of reactions || []) if (typeof r.emoji === 'string' && !emoji.includes(r.emoji)) emoji.push(r.emoji);
  picker.replaceChildren(...emoji.map((e) => {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'picker-emoji';
    button.dataset.action = 'pick';
    button.dataset.emoji = e;
    button.textContent = e;
    const mine = reactedWith(reactions, e, myId);
    button.setAttribute('aria-pressed', String(mine));
    button.setAttribute('aria-label', mine ? `${e} (take back your reaction)` : `React with ${e}`);
    return button;
  }));
}
