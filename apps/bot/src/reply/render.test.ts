import { describe, expect, it } from 'vitest';
import { DISCORD_LIMITS, escapeMarkdown, renderDiscord, safeUrl, splitText } from './discord.js';
import { bold, code, info, link, problem } from './model.js';
import { renderText } from './text.js';

const total = (embeds: { title?: string; description?: string }[] = []) =>
  embeds.reduce((n, e) => n + (e.title?.length ?? 0) + (e.description?.length ?? 0), 0);

describe('renderDiscord', () => {
  it('renders errors as plain content without mentions', () => {
    const [message, ...rest] = renderDiscord(problem('Unknown command ', code('!x'), '.'));
    expect(rest).toEqual([]);
    expect(message).toEqual({ content: 'Unknown command `!x`.', allowed_mentions: { parse: [] } });
  });

  it('escapes markdown and mention syntax in user text, and keeps links intact', () => {
    const [message] = renderDiscord(
      info(
        [
          [
            link('*Star* [x](evil) <@1>', 'https://en.wikipedia.org/wiki/A (b)'),
            ' @everyone ',
            bold('__b__'),
          ],
        ],
        { title: 't' },
      ),
    );
    expect(message!.embeds![0]!.description).toBe(
      '[\\*Star\\* \\[x\\](evil) \\<\\@1\\>](<https://en.wikipedia.org/wiki/A%20%28b%29>) \\@everyone **\\_\\_b\\_\\_**',
    );
    expect(escapeMarkdown('a`b|c~d')).toBe('a\\`b\\|c\\~d');
    expect(safeUrl('https://x/<y>')).toBe('https://x/%3Cy%3E');
  });

  it('flattens line breaks inside values so a comment cannot forge lines', () => {
    const [message] = renderDiscord(info([['a\nb\r\nc']], { title: 't' }));
    expect(message!.embeds![0]!.description).toBe('a b c');
  });

  it('splits long replies within every Discord limit', () => {
    const lines = Array.from({ length: 300 }, (_, i) => [`${i} `, 'x'.repeat(200)]);
    const messages = renderDiscord(info(lines, { title: 'Many', footer: 'f' }));
    expect(messages.length).toBeGreaterThan(1);
    for (const message of messages) {
      expect(message.embeds!.length).toBeLessThanOrEqual(DISCORD_LIMITS.embedsPerMessage);
      expect(total(message.embeds)).toBeLessThanOrEqual(DISCORD_LIMITS.embedTotal);
      for (const embed of message.embeds!) {
        expect(embed.description!.length).toBeLessThanOrEqual(DISCORD_LIMITS.embedDescription);
      }
    }
    const all = messages
      .flatMap((m) => m.embeds!.map((e) => e.description!))
      .join('\n')
      .split('\n');
    expect(all).toHaveLength(300);
    expect(all[299]).toMatch(/^299 /);
  });

  it('splits long plain content at 2,000 characters, even a single long line', () => {
    const messages = renderDiscord(problem('y'.repeat(4500)));
    expect(messages.map((m) => m.content!.length)).toEqual([2000, 2000, 500]);
    expect(splitText(['ab', 'cd', 'ef'], 5)).toEqual(['ab\ncd', 'ef']);
  });
});

describe('renderText', () => {
  it('prints plain lines with links spelled out', () => {
    const reply = info(
      [[code('12:00:00'), ' ', link('Berlin', 'https://de.wikipedia.org/wiki/Berlin')]],
      {
        title: 'Latest',
        fields: [{ name: 'edit', value: '3' }],
        footer: 'note',
      },
    );
    expect(renderText(reply)).toBe(
      'Latest\n12:00:00 Berlin <https://de.wikipedia.org/wiki/Berlin>\nedit: 3\nnote',
    );
  });
});
