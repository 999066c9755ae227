/**
 * What the story reads and finds in a page, as scripts run by either driver (plain ES5-ish JavaScript
 * strings: they run in Firefox and WebKit as they are, no bundling). Elements are found by the accessible
 * names README's "For testers" table promises, then marked so the driver can click or type natively.
 */
import type { Tab } from './drivers.ts';

export interface Snapshot {
  /** Text of the one role=status element, or null before the app rendered. */
  status: string | null;
  /** "N pending" as a number (0 when the element is absent). */
  pending: number;
  /** navigator.serviceWorker.controller is set. */
  controlled: boolean;
  signInForm: boolean;
  /** Text of the Pumps counter's value, or null when the widget is not shown. */
  counter: string | null;
  /** Value of the Shift notes textarea, or null. */
  note: string | null;
  /** "Conflicts (N)" button's N, 0 when absent. */
  conflicts: number;
  /** What the app says this browser cannot do (the "Degrade, and say so" notes). */
  limits: string[];
  /** Texts of role=alert elements and notices (errors the app showed). */
  alerts: string[];
  /** Clicks the page received on Increment buttons since \`countClicks\` (telling a lost click from a lost edit). */
  clicks: number;
  /** The last click the page received elsewhere than on Increment (a tap that landed beside it). */
  missed: string | null;
  /** How many clicks the page received elsewhere since `countClicks`. */
  otherClicks: number;
}

export const countClicks = (tab: Tab) =>
  tab.run<boolean>(`
    window.__engineClicks = 0;
    if (window.__engineClicksOn) return true;
    window.__engineClicksOn = true;
    document.addEventListener('click', function (e) {
      var t = e.target;
      if (t && t.closest && t.closest('[aria-label=Increment]')) window.__engineClicks++;
      else {
        window.__engineOther = (window.__engineOther || 0) + 1;
        window.__engineMissed = (t && t.tagName) + ' "' + String(t && t.textContent).trim().slice(0, 40) + '"';
      }
    }, true);
    return true;
  `);

const SNAPSHOT = `
  var byLabel = function (name) {
    var all = document.querySelectorAll('[aria-label]');
    for (var i = 0; i < all.length; i++) if (all[i].getAttribute('aria-label') === name) return all[i];
    return null;
  };
  var status = document.querySelector('[role=status]');
  var pending = document.querySelector('.pending-count');
  var pumps = byLabel('Pumps');
  var notes = byLabel('Shift notes');
  var conflicts = null;
  var buttons = document.querySelectorAll('button');
  for (var i = 0; i < buttons.length; i++) {
    var m = /^Conflicts \\((\\d+)\\)$/.exec(buttons[i].textContent.trim());
    if (m) conflicts = Number(m[1]);
  }
  var limits = [];
  var items = document.querySelectorAll('.browser-limits li');
  for (var j = 0; j < items.length; j++) limits.push(items[j].textContent.trim());
  var alerts = [];
  var als = document.querySelectorAll('[role=alert], .notice');
  for (var k = 0; k < als.length; k++) alerts.push(als[k].textContent.trim());
  var counter = pumps && pumps.querySelector('.counter-value');
  var note = notes && notes.querySelector('textarea');
  return {
    status: status ? status.textContent.trim() : null,
    pending: pending ? parseInt(pending.textContent, 10) : 0,
    controlled: !!(navigator.serviceWorker && navigator.serviceWorker.controller),
    signInForm: !!document.querySelector('input[type=password]'),
    counter: counter ? counter.textContent.trim() : null,
    note: note ? note.value : null,
    conflicts: conflicts || 0,
    limits: limits,
    alerts: alerts,
    clicks: window.__engineClicks || 0,
    missed: window.__engineMissed || null,
    otherClicks: window.__engineOther || 0
  };
`;

export const snapshot = (tab: Tab) => tab.run<Snapshot>(SNAPSHOT);

/**
 * Finds a button (by aria-label or text) or a field (by its label's text) inside the element whose
 * aria-label is `scope` (or the document), marks it and returns a CSS selector for it, or null.
 */
const MARK = `
  var scope = arguments[0], kind = arguments[1], name = arguments[2];
  var root = document;
  if (scope) {
    root = null;
    var all = document.querySelectorAll('[aria-label]');
    for (var i = 0; i < all.length; i++) if (all[i].getAttribute('aria-label') === scope) root = all[i];
    if (!root) return null;
  }
  var el = null;
  if (kind === 'button') {
    var bs = root.querySelectorAll('button');
    for (var b = 0; b < bs.length && !el; b++) {
      var label = bs[b].getAttribute('aria-label') || bs[b].textContent.trim();
      if (label === name || (name.charAt(name.length - 1) === '*' && label.indexOf(name.slice(0, -1)) === 0)) el = bs[b];
    }
  } else {
    var ls = root.querySelectorAll('label');
    for (var l = 0; l < ls.length && !el; l++) {
      if (ls[l].textContent.trim().indexOf(name) === 0) el = ls[l].querySelector('input, textarea');
    }
  }
  if (!el || el.disabled) return null;
  var id = 'e' + Math.random().toString(36).slice(2);
  el.setAttribute('data-engines', id);
  return '[data-engines="' + id + '"]';
`;

export async function find(tab: Tab, scope: string | null, kind: 'button' | 'field', name: string): Promise<string | null> {
  return tab.run<string | null>(MARK, scope, kind, name);
}
