import { describe, expect, it } from 'vitest';
import { prng, randomCommand } from '../test/fuzz.js';
import { MAX_ARGS, MAX_COMMAND_LENGTH, parseCommandLine } from './parse.js';

describe('parser fuzz', () => {
  it('turns 20,000 random and hostile strings into bounded results without throwing', () => {
    const random = prng(20261122);
    for (let i = 0; i < 20_000; i += 1) {
      const text = randomCommand(random);
      const parsed = parseCommandLine(text);
      if (parsed.kind === 'command') {
        expect(text.trim().length).toBeLessThanOrEqual(MAX_COMMAND_LENGTH);
        expect(parsed.args.length).toBeLessThanOrEqual(MAX_ARGS);
        expect(parsed.name).toBe(parsed.name.toLowerCase());
        expect(parsed.args.every((a) => a !== '' && !/\s/u.test(a))).toBe(true);
      }
    }
  });
});
