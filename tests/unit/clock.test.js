// AWS's clock: the content script's measurement (a HEAD request to the
// page's own address, this computer's time around it, the Date header as
// the server sent it, for the host to read) and the popup's words for what
// the host made of it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { JSDOM } from 'jsdom';
import { EXT } from './load.js';

const { clockNotes } = await import('../../extension/popup/describe.js');

// A page with clock.js loaded, whose fetch answers with `headers` (or
// throws), recording the requests and the messages sent.
function measuring(url, respond) {
  const dom = new JSDOM('<!doctype html><p>sign in</p>', { url, runScripts: 'outside-only' });
  const w = dom.window;
  const sent = [];
  const requests = [];
  w.FactorCat = { ext: { send: async (type, fields) => { sent.push({ type, ...fields }); return { ok: true, standing: 'used' }; } } };
  w.fetch = async (u, init) => {
    requests.push({ url: u, ...init });
    const headers = respond();
    return { type: 'basic', headers: new Map(Object.entries(headers)) };
  };
  w.eval(readFileSync(`${EXT}content/clock.js`, 'utf8'));
  return { measure: w.FactorCat.clock.measure, sent, requests };
}

test('the Date of a HEAD request to the page\'s own address, with this computer\'s time before and after', async () => {
  const date = 'Sun, 06 Dec 2026 09:23:40 GMT';
  const m = measuring('https://123456789012.signin.amazonaws.cn/console?x=1#frag', () => ({ date }));
  const before = Date.now();
  assert.deepEqual(await m.measure(), { ok: true, standing: 'used' });
  const after = Date.now();
  assert.deepEqual(m.requests, [{ url: 'https://123456789012.signin.amazonaws.cn/console?x=1', method: 'HEAD', cache: 'no-store', credentials: 'same-origin', redirect: 'manual' }]);
  assert.equal(m.sent.length, 1);
  const [msg] = m.sent;
  assert.equal(msg.type, 'clock');
  assert.equal(msg.date, date, 'as the server wrote it: the host reads it');
  assert.ok(before <= msg.sent && msg.sent <= msg.received && msg.received <= after, JSON.stringify(msg));
});

test('nothing to measure: no Date (a redirect gives no headers), a failed request, plain http', async () => {
  const none = measuring('https://signin.aws.amazon.com/signin', () => ({}));
  assert.equal(await none.measure(), null);
  const failing = measuring('https://signin.aws.amazon.com/signin', () => { throw new TypeError('network'); });
  assert.equal(await failing.measure(), null);
  const http = measuring('http://signin.aws.amazon.com/signin', () => ({ date: 'Sun, 06 Dec 2026 09:23:40 GMT' }));
  assert.equal(await http.measure(), null);
  assert.equal(http.requests.length, 0);
  for (const m of [none, failing, http]) assert.deepEqual(m.sent, [], 'nothing sent');
});

test('the popup says how far off the clock is, what FactorCat does about it, and to set it', () => {
  assert.deepEqual(clockNotes([
    { partition: 'aws', offset: 120, standing: 'used' },
    { partition: 'aws-cn', offset: -45, standing: 'used' },
    { partition: 'aws-us-gov', offset: 7260, standing: 'absurd' },
  ]), [
    'AWS\'s clock (aws) is 2 min ahead of this computer\'s. FactorCat\'s AWS codes follow AWS\'s time. Set this computer\'s clock.',
    'AWS\'s clock (aws-cn) is 45 s behind this computer\'s. FactorCat\'s AWS codes follow AWS\'s time. Set this computer\'s clock.',
    'AWS\'s clock (aws-us-gov) is 2 h 1 min ahead of this computer\'s. FactorCat does not correct more than 10 minutes, so AWS rejects its codes. Set this computer\'s clock.',
  ]);
  assert.deepEqual(clockNotes(undefined), []);
});
