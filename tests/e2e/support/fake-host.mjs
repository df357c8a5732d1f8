#!/usr/bin/env node
// A stand-in for the `factorcat` native host, speaking protocol v2 over
// stdio from a JSON file of tokens (FACTORCAT_FAKE_STORE). Used only to test
// the extension's handling of host states the real host is hard to put in
// (FACTORCAT_FAKE_ERROR=keyring_locked makes every vault operation fail so).
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { createHmac, randomUUID } from 'node:crypto';

const STORE = process.env.FACTORCAT_FAKE_STORE;
const FORCED = process.env.FACTORCAT_FAKE_ERROR;

function load() { return existsSync(STORE) ? JSON.parse(readFileSync(STORE, 'utf8')) : { tokens: [], fills: {} }; }
function save(v) { writeFileSync(STORE, JSON.stringify(v, null, 1)); }

function base32(s) {
  const A = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = ''; for (const c of s.replace(/=+$/, '').toUpperCase()) bits += A.indexOf(c).toString(2).padStart(5, '0');
  const out = []; for (let i = 0; i + 8 <= bits.length; i += 8) out.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(out);
}
export function totp(secret, step, digits = 6) {
  const msg = Buffer.alloc(8); msg.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', base32(secret)).update(msg).digest();
  const o = mac[19] & 15;
  const n = ((mac[o] & 0x7f) << 24) | (mac[o + 1] << 16) | (mac[o + 2] << 8) | mac[o + 3];
  return String(n % 10 ** digits).padStart(digits, '0');
}

const pub = (t) => { const { secret, ...rest } = t; return rest; };
const now = () => Math.floor(Date.now() / 1000);

// A rough reading of the page for the stand-in (the real rules are the
// host's, host/src/site/aws.rs): AWS sign-in and console hosts by partition.
const PARTITIONS = { 'aws.amazon.com': 'aws', 'amazonaws-us-gov.com': 'aws-us-gov', 'amazonaws.cn': 'aws-cn' };
function facts(url) {
  const u = new URL(url);
  if (u.protocol !== 'https:') throw { code: 'insecure_url', message: 'not https' };
  const host = u.hostname.toLowerCase().replace(/\.$/, '');
  const m = /^(?:(.+)\.)?(signin|console)\.(aws\.amazon\.com|amazonaws-us-gov\.com|amazonaws\.cn)$/.exec(host);
  if (!m) return { host, site: host, aws: null };
  const label = m[1] ?? null;
  const region = label && /^[a-z]{2}(-gov)?-[a-z]+-\d{1,2}$/.test(label) ? label : null;
  const account = m[2] === 'signin' && label && !region ? label : null;
  return {
    host, site: m[3],
    aws: { partition: PARTITIONS[m[3]], service: m[2], account_id: /^\d{12}$/.test(account) ? account : null,
      account_alias: /^\d{12}$/.test(account) ? null : account, region, directory: null },
  };
}

function readHint(h = {}) {
  const who = { account_id: null, account_alias: null, user: h.user?.trim() || null, email: h.email?.trim() || null };
  const a = h.account?.trim();
  if (a?.includes('@')) who.email ??= a;
  else if (a && /^\d{12}$/.test(a.replace(/[\s-]/g, ''))) who.account_id = a.replace(/[\s-]/g, '');
  else if (a) who.account_alias = a.toLowerCase();
  return who;
}

function match(v, req) {
  const page = facts(req.url);
  const who = readHint(req.hint);
  const aws = page.aws?.service === 'signin' ? page.aws : null;
  let earlier = null;
  try { earlier = req.earlier && facts(req.earlier.url); } catch { earlier = null; }
  if (aws && earlier?.aws?.service === 'signin' && earlier.aws.partition === aws.partition) {
    const before = readHint(req.earlier.hint);
    before.account_id ??= earlier.aws.account_id;
    before.account_alias ??= earlier.aws.account_alias;
    const now = who.account_id ?? who.account_alias ?? aws.account_id ?? aws.account_alias;
    const then = before.account_id ?? before.account_alias;
    if (!now || !then || now === then) {
      for (const k of Object.keys(who)) who[k] ??= before[k];
    }
  }
  const host = page.host;
  const user = who.user ?? who.email;
  const account = who.account_id ?? who.account_alias ?? aws?.account_id ?? aws?.account_alias;
  const out = [];
  for (const t of v.tokens) {
    if (aws && t.aws) {
      if ((t.aws.partition ?? 'aws') !== aws.partition) continue;
      if (account && t.aws.account_id !== account && t.aws.account_alias !== account) continue;
      const acc = !!account, usr = !!(user && t.aws.user === user);
      if (user && t.aws.user && t.aws.user !== user) continue;
      out.push({ strength: acc && usr ? 'account_user' : acc ? 'account' : usr ? 'user' : 'site', token: pub(t) });
    } else if ((t.sites ?? []).some((s) => host === s || host.endsWith('.' + s))) {
      out.push({ strength: 'site', token: pub(t) });
    }
  }
  const order = ['account_user', 'account', 'user', 'site'];
  out.sort((a, b) => order.indexOf(a.strength) - order.indexOf(b.strength));
  const top = out.filter((c) => c.strength === out[0]?.strength);
  return { host, page, who, total: out.length, autofill: top.length === 1, autofill_token: top.length === 1 ? top[0].token.id : null, candidates: out };
}

function handle(req) {
  if (req.type === 'hello') return { host: 'factorcat-fake', version: '0', protocol: 2, vault: { state: 'present' }, import_formats: [] };
  if (FORCED) throw { code: FORCED, message: `forced ${FORCED}` };
  if (!existsSync(STORE) && req.type !== 'add') throw { code: 'vault_missing', message: 'no vault: run factorcat init' };
  const v = load();
  const find = (id) => { const t = v.tokens.find((x) => x.id === id); if (!t) throw { code: 'unknown_token', message: 'no such token' }; return t; };
  switch (req.type) {
    case 'list': {
      const n = now();
      return { now: n, total: v.tokens.length, next_offset: null,
        tokens: v.tokens.map((t) => ({ ...pub(t), code: totp(t.secret, Math.floor(n / 30)), seconds_left: 30 - (n % 30), valid_until: (Math.floor(n / 30) + 1) * 30 })) };
    }
    case 'match': return match(v, req);
    case 'code': {
      const t = find(req.token); const n = now(); let step = Math.floor(n / 30);
      if (req.for_fill) {
        if ((step + 1) * 30 - n < 5) step += 1;
        const last = v.fills[t.id] ?? -1;
        if (step <= last) step = last + 1;
        if (step > Math.floor(n / 30) + 1) throw { code: 'code_already_used', message: 'used', retry_after: 30 };
        v.fills[t.id] = step; save(v);
      }
      return { token: t.id, kind: 'totp', code: totp(t.secret, step), valid_from: step * 30, valid_until: (step + 1) * 30, wait: Math.max(0, step * 30 - n) };
    }
    case 'enroll_codes': {
      const t = find(req.token); const n = now(); let step = Math.floor(n / 30);
      if ((step + 1) * 30 - n < 5) step += 1;
      v.fills[t.id] = step + 1; save(v);
      return { token: t.id, codes: [step, step + 1].map((s) => ({ code: totp(t.secret, s), valid_from: s * 30, valid_until: (s + 1) * 30 })) };
    }
    case 'add': {
      let t;
      if (req.uri) {
        const u = new URL(req.uri);
        const label = decodeURIComponent(u.pathname.replace(/^\/+/, ''));
        const [iss, acc] = label.includes(':') ? label.split(':') : [u.searchParams.get('issuer') ?? '', label];
        t = { issuer: u.searchParams.get('issuer') ?? iss, account: acc, secret: u.searchParams.get('secret') };
      } else t = { issuer: req.issuer, account: req.account, secret: req.secret };
      t = { id: randomUUID(), ...t, label: `${t.issuer} (${t.account})`, kind: 'totp', digits: 6, period: 30, sites: req.sites ?? [], aws: req.aws ?? null, tags: [], pinned: false };
      v.tokens.push(t); save(v);
      return { token: pub(t) };
    }
    case 'remove': { find(req.token); v.tokens = v.tokens.filter((t) => t.id !== req.token); save(v); return { removed: req.token }; }
    default: throw { code: 'unknown_op', message: req.type };
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop())) {
  let buf = Buffer.alloc(0);
  process.stdin.on('data', (d) => {
    buf = Buffer.concat([buf, d]);
    while (buf.length >= 4) {
      const n = buf.readUInt32LE(0);
      if (buf.length < 4 + n) break;
      const req = JSON.parse(buf.subarray(4, 4 + n).toString('utf8'));
      buf = buf.subarray(4 + n);
      let reply;
      try { reply = { id: req.id, ok: true, ...handle(req) }; } catch (e) { reply = { id: req.id, ok: false, error: { code: e.code ?? 'internal', message: e.message ?? String(e) } }; }
      const body = Buffer.from(JSON.stringify(reply));
      const head = Buffer.alloc(4); head.writeUInt32LE(body.length);
      process.stdout.write(Buffer.concat([head, body]));
    }
  });
  process.stdin.on('end', () => process.exit(0));
}
