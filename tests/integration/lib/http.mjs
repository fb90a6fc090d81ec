// Small HTTP helpers over fetch and raw TCP sockets.
import net from 'node:net';

export const REQUEST_TIMEOUT_MS = 30000;

// Sends a request and returns {status, headers, text, json} (json is undefined if not JSON).
export async function request(server, method, path, { body, headers = {}, raw = false } = {}) {
  const init = { method, headers: { ...headers }, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) };
  if (body !== undefined) {
    init.body = raw ? body : JSON.stringify(body);
    if (!Object.keys(init.headers).some((h) => h.toLowerCase() === 'content-type')) {
      init.headers['content-type'] = 'application/json';
    }
  }
  const res = await fetch(`${server.url}${path}`, init);
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: res.status, headers: res.headers, text, json };
}

export const get = (server, path) => request(server, 'GET', path);
export const post = (server, path, body, opts = {}) => request(server, 'POST', path, { body, ...opts });

// Builds a query string from an object, skipping undefined values.
export function qs(params) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined) continue;
    p.set(k, typeof v === 'object' ? JSON.stringify(v) : String(v));
  }
  const s = p.toString();
  return s ? `?${s}` : '';
}

// Writes `bytes` to a fresh TCP connection and collects whatever comes back until the server
// closes the connection or `idleMs` pass without data. Never throws on resets: a server may
// answer early (413) and close while we are still writing. Returns {response, closed}.
export function rawExchange(port, bytes, { idleMs = 3000, totalMs = 20000 } = {}) {
  return new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    const chunks = [];
    let closed = false;
    let idle;
    const finish = () => {
      clearTimeout(idle);
      clearTimeout(total);
      sock.destroy();
      resolve({ response: Buffer.concat(chunks).toString('latin1'), closed });
    };
    const armIdle = () => { clearTimeout(idle); idle = setTimeout(finish, idleMs); };
    const total = setTimeout(finish, totalMs);
    sock.on('connect', () => {
      sock.write(bytes, () => armIdle());
      armIdle();
    });
    sock.on('data', (d) => { chunks.push(d); armIdle(); });
    sock.on('error', () => { /* reset while writing: keep what we read */ });
    sock.on('close', () => { closed = true; finish(); });
  });
}

// "HTTP/1.1 413 Payload Too Large\r\n..." -> 413; null if no status line was received.
export function statusOf(rawResponse) {
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(rawResponse);
  return m ? Number(m[1]) : null;
}
