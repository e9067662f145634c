/* composer-bar.js — the line above the message box that says what Enter
   will do when it is not simply "send": "Replying to alice" with a short
   quote, or "Editing your message". Its × button (and Escape in the box,
   composer.js) cancels. Text only, through textContent. */

import { plainText } from './markdown.js';

const QUOTE_CHARS = 80;

export class ComposerBar {
  /** @param {object} parts {bar, label, quote, cancel, onCancel} */
  constructor({ bar, label, quote, cancel, onCancel }) {
    Object.assign(this, { bar, label, quote, cancel });
    cancel.addEventListener('click', () => onCancel());
  }

  replying(message) {
    const name = message.user ? message.user.username : '?';
    const files = Array.isArray(message.attachments) && message.attachments.length > 0;
    const words = [...(plainText(message.text) || (files ? 'a file' : ''))];
    this.show(`Replying to ${name}`,
      words.length > QUOTE_CHARS ? `${words.slice(0, QUOTE_CHARS).join('')}…` : words.join(''), 'Cancel reply');
  }

  editing() {
    this.show('Editing your message', '', 'Cancel editing');
  }

  show(label, quote, cancelLabel) {
    this.label.textContent = label;
    this.quote.textContent = quote;
    this.quote.hidden = !quote;
    this.cancel.setAttribute('aria-label', cancelLabel);
    this.cancel.title = `${cancelLabel} (Esc)`;
    this.bar.hidden = false;
  }

  hide() {
    this.bar.hidden = true;
  }
}
