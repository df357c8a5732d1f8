// The automatic fill and AWS's clock: a fill waits for the page's
// measurement only when the host says so (no recent measurement for the
// page's partition); otherwise it asks for its code at once and the
// measurement runs beside it. Asserted on the order of messages and
// requests, with the page's HEAD request held open as long as the test
// wants.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { JSDOM } from 'jsdom';
import { EXT } from './load.js';

const SCRIPTS = ['shared/dom.js', 'shared/site-rules.js', 'content/fields.js', 'content/chooser.js', 'content/clock.js', 'content/autofill.js'];
const DATE = 'Sun, 06 Dec 2026 09:23:40 GMT';

// A legacy AWS sign-in page with the content scripts, whose background
// answers page-seen with `clock` and whose HEAD requests wait until the
// test answers them. `log` records, in order, what the page sent and
// requested and when the HEAD was answered.
function signinPage(clock) {
  const url = 'https://123456789012.signin.aws.amazon.com/console';
  const dom = new JSDOM('<!doctype html><html><body><form id="f"></form></body></html>', { url, runScripts: 'outside-only', pretendToBeVisual: true });
  const w = dom.window;
  const log = [];
  const heads = [];
  const answers = {
    'page-seen': { ok: true, total: 1, clock },
    'mfa-field': { ok: true, action: 'fill', code: '123456', waitMs: 0, autoSubmit: false },
    clock: { ok: true, standing: 'small' },
  };
  w.FactorCat = { ext: { send: async (type) => { log.push(type); return answers[type] ?? { ok: true }; } } };
  w.fetch = (u, init) => {
    log.push(init.method);
    return new Promise((resolve) => {
      heads.push(() => { log.push('HEAD answered'); resolve({ headers: new Map([['date', DATE]]) }); });
    });
  };
  for (const f of SCRIPTS) w.eval(readFileSync(`${EXT}${f}`, 'utf8'));
  const rule = w.FactorCat.siteRules.ruleFor(url);
  w.FactorCat.autofill.start(rule);
  const showField = () => {
    const input = w.document.createElement('input');
    input.id = 'mfacode';
    input.name = 'mfacode';
    input.type = 'text';
    w.document.getElementById('f').append(input);
    return input;
  };
  return { w, log, heads, showField };
}

// Lets the page's promises and observers run (no timer of the page's
// fires in between: its shortest wait is far longer).
const settle = async () => { for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r)); };

// Resolves once `fn()` is true, checked as the page's events run; fails
// after `ms` (a bound for a failing test, not a wait for success).
async function until(fn, ms = 2000, what = 'condition') {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`${what} not met`);
    await new Promise((r) => setImmediate(r));
  }
}

test('a recent offset: the fill asks for its code at once, the measurement runs beside it', async () => {
  const { log, heads, showField } = signinPage({ measure: true, wait: false });
  await settle();
  const field = showField();
  await until(() => field.value === '123456', 2000, 'filled');
  // The HEAD request is still unanswered: the fill did not wait for it.
  assert.deepEqual(log, ['page-seen', 'HEAD', 'mfa-field']);
  heads.forEach((answer) => answer());
  await until(() => log.includes('clock'), 2000, 'measured');
  assert.deepEqual(log, ['page-seen', 'HEAD', 'mfa-field', 'HEAD answered', 'clock']);
});

test('a recent offset and the field already there: the measurement starts after the fill', async () => {
  const { log, heads, showField } = signinPage({ measure: true, wait: false });
  const field = showField();
  await until(() => field.value === '123456', 2000, 'filled');
  await until(() => heads.length === 1, 2000, 'measuring');
  assert.deepEqual(log, ['page-seen', 'mfa-field', 'HEAD']);
});

test('no recent offset: the fill asks for its code only once AWS\'s clock is measured', async () => {
  const { log, heads, showField } = signinPage({ measure: true, wait: true });
  await settle();
  const field = showField();
  await settle();
  assert.deepEqual(log, ['page-seen', 'HEAD'], 'nothing asked while the HEAD is out');
  assert.equal(field.value, '');
  heads.forEach((answer) => answer());
  await until(() => field.value === '123456', 2000, 'filled');
  assert.deepEqual(log, ['page-seen', 'HEAD', 'HEAD answered', 'clock', 'mfa-field']);
});

test('nothing to measure (measured a moment ago, or not a sign-in page): no request', async () => {
  for (const clock of [{ measure: false, wait: false }, null]) {
    const { log, heads, showField } = signinPage(clock);
    const field = showField();
    await until(() => field.value === '123456', 2000, 'filled');
    await settle();
    assert.deepEqual(log, ['page-seen', 'mfa-field'], JSON.stringify(clock));
    assert.equal(heads.length, 0);
  }
});
