/* message-actions.js — what the buttons on a message do, through one click
   listener on the log (event delegation: the log holds hundreds of
   messages, each with several buttons, and they come and go). Every button
   says what it is in data-action: "reply", "direct" (talk to the author
   one to one), "edit", "delete", "react"
   (opens the emoji picker), "pick" (an emoji in the picker), "reaction"
   (an existing reaction: toggles the reader's own) and "quote" (jumps to
   the message answered). The room page supplies the doing; this module
   only finds the message and decides add-or-take-back for reactions from
   the message's current state. The picker closes on Escape, on a pick, or
   on a click anywhere else; focus goes back to the button that opened it. */

import { fillPicker, reactedWith } from './reactions.js';

export class MessageActions {
  /**
   * @param {object} options
   *   list                       the MessageList
   *   reply(message), edit(message), remove(message)
   *   direct(message)            open the direct conversation with its author
   *   react(message, emoji, add) add or take back the reader's reaction
   *   jump(id)                   show message `id` (a quote was clicked)
   */
  constructor(options) {
    Object.assign(this, options);
    this.open = null; // {picker, opener} of the picker that is showing
    this.list.container.addEventListener('click', (event) => this.onClick(event));
    this.list.container.addEventListener('keydown', (event) => {
      if (event.key === 'Escape' && this.open) {
        event.stopPropagation();
        this.closePicker(true);
      }
    });
    document.addEventListener('click', (event) => {
      if (this.open && !this.open.picker.contains(event.target)
        && !this.open.opener.contains(event.target)) {
        this.closePicker(false);
      }
    });
  }

  onClick(event) {
    const button = event.target.closest('[data-action]');
    if (!button || button.disabled) return;
    const element = button.closest('.message');
    const message = element && this.list.message(Number(element.dataset.id));
    if (!message) return;
    const { action } = button.dataset;
    const myId = this.list.viewer.myId;
    if (action === 'reply') this.reply(message);
    else if (action === 'direct') this.direct(message);
    else if (action === 'edit') this.edit(message);
    else if (action === 'delete') this.remove(message);
    else if (action === 'quote') this.jump(Number(button.dataset.target));
    else if (action === 'react') this.togglePicker(element, button, message);
    else if (action === 'reaction' || action === 'pick') {
      const { emoji } = button.dataset;
      if (action === 'pick') this.closePicker(true);
      this.react(message, emoji, !reactedWith(message.reactions, emoji, myId));
    }
  }

  togglePicker(element, opener, message) {
    const picker = element.querySelector('.reaction-picker');
    if (this.open && this.open.picker === picker) {
      this.closePicker(true);
      return;
    }
    this.closePicker(false);
    fillPicker(picker, message.reactions, this.list.viewer.myId);
    picker.hidden = false;
    opener.setAttribute('aria-expanded', 'true');
    element.classList.add('is-picking');
    this.open = { picker, opener };
    picker.firstElementChild.focus();
  }

  closePicker(refocus) {
    if (!this.open) return;
    const { picker, opener } = this.open;
    this.open = null;
    picker.hidden = true;
    picker.replaceChildren();
    opener.setAttribute('aria-expanded', 'false');
    const element = opener.closest('.message');
    if (element) element.classList.remove('is-picking');
    if (refocus && opener.isConnected) opener.focus();
  }
}
