/* search-box.js — the search box in the header of every signed-in page
   (issue 15): a form that opens /search?q=…, added to .app-header by script
   so each page's HTML only loads this file. "/" anywhere outside a text
   field focuses it (the key GitHub, YouTube and Gmail use), so the search is
   one key away; Escape gives the focus back to the page. */

function box() {
  const form = document.createElement('form');
  form.className = 'search-box';
  form.setAttribute('role', 'search');
  form.action = '/search';
  form.method = 'get';
  const label = document.createElement('label');
  label.className = 'visually-hidden';
  label.htmlFor = 'search-q';
  label.textContent = 'Search messages';
  const input = document.createElement('input');
  input.type = 'search';
  input.id = 'search-q';
  input.name = 'q';
  input.maxLength = 200;
  input.placeholder = 'Search ( / )';
  input.autocomplete = 'off';
  input.dir = 'auto';
  input.required = true;
  input.setAttribute('aria-keyshortcuts', '/');
  const params = new URLSearchParams(window.location.search);
  if (window.location.pathname === '/search' && params.get('q')) input.value = params.get('q');
  input.addEventListener('keydown', (e) => { if (e.key === 'Escape') input.blur(); });
  form.append(label, input);
  return form;
}

function typingInField(target) {
  return target instanceof HTMLElement
    && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
}

const header = document.querySelector('.app-header');
if (header) {
  const form = box();
  // After the brand and headings, before the header's buttons (the room's
  // Members too, so the box does not sit between its two buttons).
  const anchor = header.querySelector('.header-user, #members-open, #leave');
  if (anchor) header.insertBefore(form, anchor);
  else header.append(form);
  document.addEventListener('keydown', (e) => {
    if (e.key !== '/' || e.ctrlKey || e.metaKey || e.altKey || typingInField(e.target)) return;
    e.preventDefault();
    const input = form.querySelector('input');
    input.focus();
    input.select();
  });
}
