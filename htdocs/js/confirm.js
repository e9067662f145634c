/* confirm.js — "are you sure?" in the page's own <dialog> rather than
   window.confirm(): it is styled like the rest of the page, names what is
   at stake, and blocks nothing else (a poll keeps running behind it).
   showModal() keeps focus inside until it is answered (HTML "dialog"
   element); Escape or Cancel says no, and focus returns to where it was.
   The safe answer, Cancel, has focus first. */

import { byId } from './dom.js';

/** Resolves true when the person confirms `question`, false otherwise. */
export function confirmAction(question, yesLabel) {
  const dialog = byId('confirm');
  const yes = byId('confirm-yes');
  const no = byId('confirm-no');
  byId('confirm-text').textContent = question;
  yes.textContent = yesLabel;
  const before = document.activeElement;
  return new Promise((resolve) => {
    const done = (answer) => {
      yes.removeEventListener('click', onYes);
      no.removeEventListener('click', onNo);
      dialog.removeEventListener('close', onClose);
      if (dialog.open) dialog.close();
      if (before && before.isConnected) before.focus();
      resolve(answer);
    };
    const onYes = () => done(true);
    const onNo = () => done(false);
    const onClose = () => done(false);
    yes.addEventListener('click', onYes);
    no.addEventListener('click', onNo);
    dialog.addEventListener('close', onClose);
    dialog.showModal();
    no.focus();
  });
}
