// DOM helpers (element creation, quiet cell updates, keyed table rows) and the toasts,
// banner and connection status. Server data only ever goes in as textContent.

export const $ = (id) => document.getElementById(id);

export function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}

/** Set a cell's text and class only when they change (keeps the DOM quiet). */
export function setCell(td, text, cls = '') {
  if (td.textContent !== text) td.textContent = text;
  if (td.className !== cls) td.className = cls;
}
export function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

/**
 * Keyed table update: rows are created once per key and updated in place, so hover,
 * focus and selection survive the 1 s refresh.
 */
export function syncRows(tbody, items, keyOf, create, update) {
  const existing = new Map();
  for (const tr of tbody.children) existing.set(tr.dataset.key, tr);
  let prev = null;
  for (const item of items) {
    const key = String(keyOf(item));
    let tr = existing.get(key);
    if (tr) existing.delete(key);
    else {
      tr = create(item);
      tr.dataset.key = key;
    }
    update(tr, item);
    const want = prev ? prev.nextSibling : tbody.firstChild;
    if (want !== tr) tbody.insertBefore(tr, want);
    prev = tr;
  }
  for (const tr of existing.values()) tr.remove();
}

// ---------------------------------------------------------------------------------------
// Toasts, banner, status

export function toast(message, kind = 'info', ms = 4500) {
  const t = el('div', { class: `toast ${kind}`, role: kind === 'bad' ? 'alert' : 'status', text: message });
  $('toasts').append(t);
  setTimeout(() => t.remove(), ms);
}

export function banner(message) {
  const b = $('banner');
  if (!message) {
    b.hidden = true;
    return;
  }
  setText(b, message);
  b.hidden = false;
}

export function setConn(state, text) {
  const c = $('conn');
  if (c.dataset.state !== state) c.dataset.state = state;
  setText($('conn-text'), text);
}
