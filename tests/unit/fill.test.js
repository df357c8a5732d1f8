// Filling: the value reaches a React-style controlled input, and the
// chooser works from the keyboard.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { page } from './load.js';

test('setValue goes through the prototype setter and fires bubbling input and change', () => {
  const w = page('<form><input id="mfaCode" name="mfaCode"></form>', 'https://us-east-1.signin.aws.amazon.com/oauth');
  const input = w.document.getElementById('mfaCode');
  const native = Object.getOwnPropertyDescriptor(w.HTMLInputElement.prototype, 'value');
  // React's value tracker: an own `value` property that remembers writes.
  let tracked = '';
  Object.defineProperty(input, 'value', { configurable: true, get() { return native.get.call(this); }, set(v) { tracked = v; native.set.call(this, v); } });
  const seen = [];
  w.document.querySelector('form').addEventListener('input', () => seen.push(['input', native.get.call(input) !== tracked]));
  w.document.querySelector('form').addEventListener('change', () => seen.push(['change']));
  w.FactorCat.fields.setValue(input, '123456');
  assert.equal(input.value, '123456');
  assert.deepEqual(seen, [['input', true], ['change']], 'the tracker sees a change');
});

test('chooser: ArrowDown from the field enters the list; Escape from the field closes it', () => {
  const w = page('<input id="mfaCode" name="mfaCode">', 'https://us-east-1.signin.aws.amazon.com/oauth');
  const field = w.document.getElementById('mfaCode');
  const picks = [];
  w.FactorCat.chooser.open(field, [
    { id: 'a', issuer: 'Amazon Web Services', aws: { account_id: '123456789012', user: 'alice' } },
    { id: 'b', issuer: 'Amazon Web Services', aws: { account_id: '123456789012', user: 'bob' } },
  ], (id) => picks.push(id));
  const host = w.document.querySelector('factorcat-chooser');
  assert.equal(host.getAttribute('data-count'), '2');
  assert.equal(host.shadowRoot, null, 'closed shadow root: the page cannot read the names');
  field.focus();
  field.dispatchEvent(new w.KeyboardEvent('keydown', { key: 'ArrowDown', bubbles: true }));
  assert.equal(w.document.activeElement, host, 'focus moved into the list');
  field.focus();
  field.dispatchEvent(new w.KeyboardEvent('keydown', { key: 'Escape', bubbles: true }));
  assert.equal(w.document.querySelector('factorcat-chooser'), null);
  assert.equal(w.FactorCat.chooser.isOpen(), false);
  assert.deepEqual(picks, []);
});
