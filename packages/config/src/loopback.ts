import { isIP } from 'node:net';

/** Whether a listen address (`HOST`, `CONSOLE_HOST`) is this machine's loopback. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
}

/**
 * Whether a request's `Host` header names the loopback. A server that listens on the loopback
 * only is still reachable from a web page the user opens elsewhere: that page's site can point
 * its own host name at 127.0.0.1 (DNS rebinding) and call the server as same-origin. Such a
 * request still carries the site's name in `Host`, so a loopback server answers only requests
 * whose `Host` is a loopback name or address.
 */
export function isLoopbackHost(header: string | undefined): boolean {
  if (header === undefined) return false;
  const name = header.startsWith('[')
    ? header.slice(1, header.indexOf(']'))
    : header.split(':')[0]!;
  return isLoopback(name.toLowerCase());
}
