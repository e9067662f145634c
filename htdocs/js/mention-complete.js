/* mention-complete.js — completes `@` names in the message box. Typing "@"
   and the start of a name lists the people of the room whose username
   starts so (GET /api/rooms/{id}/members, fetched on the first "@" and
   again when a minute old); ↑ and ↓ move through the list, Enter or Tab
   puts "@username " in place of what was typed, Escape closes the list
   (and only the list: a second Escape cancels a reply or an edit as
   before). A click on a name does the same as Enter. It follows the WAI-ARIA
   Authoring Practices' combobox pattern with a listbox popup
   (https://www.w3.org/WAI/ARIA/apg/patterns/combobox/): the box is
   role="combobox" with aria-autocomplete="list", aria-expanded and
   aria-controls; the highlighted option is named by aria-activedescendant,
   so focus stays in the box and typing goes on. Its keys are caught on the
   form in the capture phase, before composer.js sees them: while the list
   is open Enter picks a name instead of sending. Names go in with
   textContent. */

const MAX_SHOWN = 8;
const STALE_MS = 60000;
// "@" at the start or after something that cannot end a name, then the
// name typed so far, right before the caret.
const TYPED = /(?:^|[^A-Za-z0-9_.@-])@([A-Za-z0-9_.-]{0,32})$/;

export class MentionComplete {
  /**
   * @param {object} options
   *   form, textarea   the message box and its form
   *   listbox          an empty <ul role="listbox"> shown above the box
   *   members() → Promise<[{user: {id, username}}]>   the room's people
   *   me() → {id, username}|null                     the reader (not offered)
   */
  constructor({ form, textarea, listbox, members, me }) {
    this.form = form;
    this.textarea = textarea;
    this.listbox = listbox;
    this.members = members;
    this.me = me;
    this.people = null;
    this.fetchedAt = 0;
    this.loading = null;
    this.options = []; // usernames shown
    this.active = -1;
    this.token = null; // {start, end}: where "@name" sits in the box
    textarea.setAttribute('role', 'combobox');
    textarea.setAttribute('aria-autocomplete', 'list');
    textarea.setAttribute('aria-expanded', 'false');
    textarea.setAttribute('aria-controls', listbox.id);
    listbox.hidden = true;
    form.addEventListener('keydown', (event) => this.onKey(event), true);
    textarea.addEventListener('input', () => this.update());
    textarea.addEventListener('click', () => this.update());
    textarea.addEventListener('blur', () => this.close());
    // A click must not take focus from the box before it picks the name.
    listbox.addEventListener('mousedown', (event) => event.preventDefault());
    listbox.addEventListener('click', (event) => {
      const option = event.target.closest('[role="option"]');
      if (option) this.pick(Number(option.dataset.index));
    });
  }

  get open() { return !this.listbox.hidden; }

  /** The "@name" being typed right before the caret, or null. */
  typed() {
    const { value, selectionStart, selectionEnd } = this.textarea;
    if (selectionStart !== selectionEnd) return null;
    const found = value.slice(0, selectionStart).match(TYPED);
    if (!found) return null;
    return { prefix: found[1], start: selectionStart - found[1].length - 1, end: selectionStart };
  }

  async update() {
    const token = this.typed();
    if (!token) {
      this.close();
      return;
    }
    this.token = token;
    const people = await this.load();
    // The box may have changed while the members came.
    const now = this.typed();
    if (!now || now.start !== token.start || document.activeElement !== this.textarea) return;
    this.token = now;
    const prefix = now.prefix.toLowerCase();
    const me = this.me();
    const myName = me ? me.username.toLowerCase() : null;
    const names = people.filter((name) => name.toLowerCase() !== myName && name.toLowerCase().startsWith(prefix))
      .slice(0, MAX_SHOWN);
    this.show(names);
  }

  /** The usernames of the room, fetched at most once a minute. */
  async load() {
    if (this.people && Date.now() - this.fetchedAt < STALE_MS) return this.people;
    if (!this.loading) {
      this.loading = (async () => {
        try {
          const reply = await this.members();
          const list = reply && Array.isArray(reply.members) ? reply.members : [];
          this.people = list.map((m) => m && m.user && m.user.username).filter((n) => typeof n === 'string')
            .sort((a, b) => a.localeCompare(b));
          this.fetchedAt = Date.now();
        } catch {
          // Unreachable or refused: no list this time (the poll says why).
          if (!this.people) this.people = [];
        } finally {
          this.loading = null;
        }
        return this.people;
      })();
    }
    return this.loading;
  }

  show(names) {
    if (!names.length) {
      this.close();
      return;
    }
    const previous = this.options[this.active];
    this.options = names;
    this.active = Math.max(0, names.indexOf(previous));
    const items = names.map((name, index) => {
      const item = document.createElement('li');
      item.id = `${this.listbox.id}-${index}`;
      item.setAttribute('role', 'option');
      item.className = 'mention-option';
      item.dataset.index = String(index);
      item.dir = 'ltr';
      item.textContent = `@${name}`;
      return item;
    });
    this.listbox.replaceChildren(...items);
    this.listbox.hidden = false;
    this.textarea.setAttribute('aria-expanded', 'true');
    this.highlight();
  }

  highlight() {
    [...this.listbox.children].forEach((item, index) => {
      const on = index === this.active;
      item.setAttribute('aria-selected', on ? 'true' : 'false');
      item.classList.toggle('is-active', on);
      if (on) item.scrollIntoView({ block: 'nearest' });
    });
    if (this.active >= 0) {
      this.textarea.setAttribute('aria-activedescendant', `${this.listbox.id}-${this.active}`);
    } else {
      this.textarea.removeAttribute('aria-activedescendant');
    }
  }

  close() {
    if (!this.open && !this.options.length) return;
    this.listbox.hidden = true;
    this.listbox.replaceChildren();
    this.options = [];
    this.active = -1;
    this.textarea.setAttribute('aria-expanded', 'false');
    this.textarea.removeAttribute('aria-activedescendant');
  }

  /** Puts "@name " in place of the typed "@prefix". */
  pick(index) {
    const name = this.options[index];
    const token = this.typed();
    if (!name || !token) {
      this.close();
      return;
    }
    const { value } = this.textarea;
    const insert = `@${name} `;
    const rest = value.slice(token.end).replace(/^ /, '');
    this.textarea.value = value.slice(0, token.start) + insert + rest;
    const caret = token.start + insert.length;
    this.textarea.setSelectionRange(caret, caret);
    this.close();
    // composer.js resizes the box and counts characters on input.
    this.textarea.dispatchEvent(new Event('input', { bubbles: true }));
  }

  onKey(event) {
    if (event.target !== this.textarea || !this.open) return;
    if (event.isComposing || event.keyCode === 229 || event.ctrlKey || event.altKey || event.metaKey) return;
    const n = this.options.length;
    let handled = true;
    if (event.key === 'ArrowDown') {
      this.active = (this.active + 1) % n;
      this.highlight();
    } else if (event.key === 'ArrowUp') {
      this.active = (this.active - 1 + n) % n;
      this.highlight();
    } else if ((event.key === 'Enter' && !event.shiftKey) || (event.key === 'Tab' && !event.shiftKey)) {
      this.pick(this.active);
    } else if (event.key === 'Escape') {
      this.close();
    } else {
      handled = false;
    }
    if (handled) {
      event.preventDefault();
      event.stopPropagation();
    }
  }
}
