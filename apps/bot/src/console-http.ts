import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { isLoopback, isLoopbackHost } from '@wikipulse/config';
import type { Logger } from '@wikipulse/logger';
import { CONSOLE_USER, runConsoleLine } from './console.js';
import type { CommandService } from './core/service.js';
import { renderText } from './reply/text.js';

/** A console user name: it starts with a letter, so it never names a Discord user (numeric ids). */
export const CONSOLE_USER_PATTERN = /^[A-Za-z][A-Za-z0-9_.-]{0,31}$/;
const MAX_BODY_BYTES = 16 * 1024;

export interface ConsoleServerOptions {
  service: CommandService;
  port: number;
  /** The address to listen on; loopback by default, which only a port-forward reaches. */
  host?: string;
  log: Logger;
}

export interface ConsoleServer {
  readonly port: number;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The bot console over HTTP: `GET /` is a small page, `POST /console` takes
 * `{"line": "recent 5 de", "user": "alice"}` and answers `{"command", "outcome", "text"}`
 * (or the text alone for `Accept: text/plain`). Commands run through the same CommandService
 * as Discord's and the stdin console's, as `user` (default `console`) outside any server.
 */
export async function startConsoleServer(options: ConsoleServerOptions): Promise<ConsoleServer> {
  const host = options.host ?? '127.0.0.1';
  const loopbackOnly = isLoopback(host);
  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      const status = error instanceof HttpError ? error.status : 500;
      if (status === 500) options.log.error({ err: error }, 'console request failed');
      const message = error instanceof HttpError ? error.message : 'internal error';
      if (!res.headersSent)
        send(res, status, 'application/json', JSON.stringify({ error: message }));
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // DNS rebinding: see isLoopbackHost.
    if (loopbackOnly && !isLoopbackHost(req.headers.host)) {
      throw new HttpError(403, 'the console answers on localhost only');
    }
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path === '/' || path === '/console.js') {
      if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, 'use GET');
      if (path === '/') send(res, 200, 'text/html; charset=utf-8', PAGE);
      else send(res, 200, 'text/javascript; charset=utf-8', SCRIPT);
      return;
    }
    if (path !== '/console') throw new HttpError(404, 'not found');
    if (req.method !== 'POST') throw new HttpError(405, 'use POST');
    // JSON only: a cross-site form cannot send it without a CORS preflight, which fails here.
    if (!/^application\/json\s*(;|$)/i.test(req.headers['content-type'] ?? '')) {
      throw new HttpError(415, 'send application/json: {"line": "...", "user": "..."}');
    }
    const { line, user } = parseBody(await readBody(req));
    const result = await runConsoleLine(options.service, line, user);
    if (result === null) throw new HttpError(400, 'not a command');
    const text = renderText(result.reply);
    options.log.debug({ user, command: result.command, outcome: result.outcome }, 'console');
    if (prefersText(req.headers.accept)) send(res, 200, 'text/plain; charset=utf-8', `${text}\n`);
    else {
      const body = { command: result.command, outcome: result.outcome, text };
      send(res, 200, 'application/json', JSON.stringify(body));
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  options.log.info({ host, port }, 'console listening');
  return {
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function parseBody(raw: string): { line: string; user: string } {
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    throw new HttpError(400, 'the body is not JSON');
  }
  if (typeof body !== 'object' || body === null) throw new HttpError(400, 'send a JSON object');
  const { line, user } = body as Record<string, unknown>;
  if (typeof line !== 'string' || line.trim() === '') {
    throw new HttpError(400, '"line" must be a command, e.g. "recent 5 de"');
  }
  if (user === undefined || user === '') return { line, user: CONSOLE_USER };
  if (typeof user !== 'string' || !CONSOLE_USER_PATTERN.test(user)) {
    throw new HttpError(400, '"user" must be a letter then up to 31 letters, digits, _ . or -');
  }
  return { line, user };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, `the body exceeds ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function prefersText(accept: string | undefined): boolean {
  return accept !== undefined && /^text\/plain\b/i.test(accept.trim());
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, {
    'content-type': type,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'content-security-policy':
      "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; form-action 'none'; frame-ancestors 'none'",
  });
  res.end(body);
}

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Wikipulse bot console</title>
<style>
body { font: 14px system-ui, sans-serif; margin: 2rem auto; max-width: 56rem; padding: 0 1rem; }
form { display: flex; gap: .5rem; }
#line { flex: 1; font: inherit; font-family: ui-monospace, monospace; }
#user { width: 8rem; }
pre { background: #f4f4f4; padding: 1rem; white-space: pre-wrap; min-height: 12rem; }
</style>
</head>
<body>
<h1>Wikipulse bot console</h1>
<p>The bot's commands, answered as in Discord (plain text). Try <code>help</code>, <code>recent 5 de</code>, <code>top 10 1h</code>, <code>setLang fr</code>.</p>
<form id="console">
<input id="user" name="user" aria-label="user" placeholder="console" autocomplete="off">
<input id="line" name="line" aria-label="command" placeholder="recent 5" autocomplete="off" autofocus required>
<button>Run</button>
</form>
<pre id="log" aria-live="polite"></pre>
<script src="console.js"></script>
</body>
</html>
`;

// Replies carry page titles and edit summaries from Wikipedia: they go in as text, never HTML.
const SCRIPT = `const form = document.getElementById('console');
const line = document.getElementById('line');
const user = document.getElementById('user');
const log = document.getElementById('log');
user.value = localStorage.getItem('wikipulse-console-user') ?? '';
form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const command = line.value;
  localStorage.setItem('wikipulse-console-user', user.value);
  line.value = '';
  let text;
  try {
    const response = await fetch('console', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ line: command, user: user.value }),
    });
    const body = await response.json();
    text = response.ok ? body.text : 'error: ' + body.error;
  } catch (error) {
    text = 'error: ' + error;
  }
  log.textContent = '> ' + command + '\\n' + text + '\\n\\n' + log.textContent;
});
`;
