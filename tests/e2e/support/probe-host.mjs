// Exits 0 when the given binary serves the native-messaging protocol (it
// answers `hello` as Chromium would start it), 1 otherwise.
// Usage: node tests/e2e/support/probe-host.mjs <path to factorcat>
import { spawn } from 'node:child_process';
import { chromiumId } from './env.js';

const bin = process.argv[2];
const child = spawn(bin, [`chrome-extension://${chromiumId()}/`], { stdio: ['pipe', 'pipe', 'ignore'] });
const timer = setTimeout(() => { child.kill(); process.exit(1); }, 5000);
let buf = Buffer.alloc(0);
child.stdout.on('data', (d) => {
  buf = Buffer.concat([buf, d]);
  if (buf.length < 4 || buf.length < 4 + buf.readUInt32LE(0)) return;
  let ok = false;
  try { ok = JSON.parse(buf.subarray(4, 4 + buf.readUInt32LE(0)).toString()).ok === true; } catch { /* not a frame */ }
  clearTimeout(timer);
  child.stdin.end();
  process.exit(ok ? 0 : 1);
});
child.on('error', () => process.exit(1));
child.on('exit', () => { if (buf.length === 0) process.exit(1); });
const body = Buffer.from(JSON.stringify({ id: 1, type: 'hello', protocol: 1 }));
const head = Buffer.alloc(4);
head.writeUInt32LE(body.length);
child.stdin.write(Buffer.concat([head, body]));
