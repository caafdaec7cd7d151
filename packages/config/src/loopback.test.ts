import { describe, expect, it } from 'vitest';
import { isLoopback, isLoopbackHost } from './loopback.js';

describe('loopback checks', () => {
  it('knows the loopback listen addresses', () => {
    expect(['127.0.0.1', '127.8.9.1', 'localhost', '::1'].every(isLoopback)).toBe(true);
    expect(['0.0.0.0', '10.0.0.1', 'example.org', '::'].some(isLoopback)).toBe(false);
  });

  it('accepts only loopback Host headers, with or without a port', () => {
    for (const host of ['127.0.0.1:8080', 'localhost', 'LOCALHOST:80', '[::1]:8080', '127.0.0.1']) {
      expect(isLoopbackHost(host)).toBe(true);
    }
    for (const host of [undefined, '', 'evil.example:8080', '127.0.0.1.evil.example', '[::2]:80']) {
      expect(isLoopbackHost(host)).toBe(false);
    }
  });
});
