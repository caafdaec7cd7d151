import type { Line, Reply, Span } from './model.js';
import { oneLine } from './text.js';

/** Discord's limits (https://discord.com/developers/docs/resources/message). */
export const DISCORD_LIMITS = {
  content: 2000,
  embedDescription: 4096,
  embedTitle: 256,
  embedFooter: 2048,
  fieldName: 256,
  fieldValue: 1024,
  fields: 25,
  embedsPerMessage: 10,
  /** Sum of all embed text in one message. */
  embedTotal: 6000,
} as const;

export interface DiscordEmbed {
  title?: string;
  description?: string;
  color?: number;
  fields?: { name: string; value: string; inline: boolean }[];
  footer?: { text: string };
  image?: { url: string };
}

/** A file uploaded with a message (multipart), referred to as `attachment://<name>`. */
export interface DiscordFile {
  name: string;
  data: Uint8Array;
}

/** One message to send: never mentions anyone, whatever its text says. */
export interface DiscordMessage {
  content?: string;
  embeds?: DiscordEmbed[];
  allowed_mentions: { parse: [] };
  /** Describes each uploaded file by its index in `files`. */
  attachments?: { id: number; filename: string; description: string }[];
  /** Uploaded with the message; not part of its JSON body. */
  files?: DiscordFile[];
}

const INFO_COLOR = 0x3366cc;
const NO_MENTIONS = { parse: [] as [] };

/**
 * Renders a reply as one or more messages within Discord's limits: errors and one-liners as
 * plain content (split at 2,000 characters), the rest as embeds whose descriptions are split
 * at line boundaries below 4,096 characters, at most 10 embeds and 6,000 characters of embed
 * text per message.
 */
export function renderDiscord(reply: Reply): DiscordMessage[] {
  const messages = renderParts(reply);
  const image = reply.image;
  const first = messages[0];
  if (image === undefined || first === undefined) return messages;
  // The picture goes with the first message, inside its first embed when it has one.
  first.files = [{ name: image.name, data: image.png }];
  first.attachments = [
    { id: 0, filename: image.name, description: clip(oneLine(image.description), 1024) },
  ];
  const embed = first.embeds?.[0];
  if (embed !== undefined) embed.image = { url: `attachment://${image.name}` };
  return messages;
}

function renderParts(reply: Reply): DiscordMessage[] {
  const lines = reply.lines.map(markdownLine);
  const plain =
    reply.tone === 'error' ||
    (reply.title === undefined && reply.fields === undefined && reply.footer === undefined);
  if (plain) {
    return splitText(lines, DISCORD_LIMITS.content).map((content) => ({
      content,
      allowed_mentions: NO_MENTIONS,
    }));
  }
  const descriptions = splitText(lines, DISCORD_LIMITS.embedDescription);
  const embeds: DiscordEmbed[] = descriptions.map((description) => ({
    description,
    color: INFO_COLOR,
  }));
  if (embeds.length === 0) embeds.push({ color: INFO_COLOR });
  const first = embeds[0]!;
  if (reply.title !== undefined)
    first.title = clip(oneLine(reply.title), DISCORD_LIMITS.embedTitle);
  const last = embeds[embeds.length - 1]!;
  if (reply.fields !== undefined && reply.fields.length > 0) {
    last.fields = reply.fields.slice(0, DISCORD_LIMITS.fields).map((f) => ({
      name: clip(oneLine(f.name), DISCORD_LIMITS.fieldName),
      value: clip(f.value, DISCORD_LIMITS.fieldValue),
      inline: true,
    }));
  }
  if (reply.footer !== undefined) {
    last.footer = { text: clip(oneLine(reply.footer), DISCORD_LIMITS.embedFooter) };
  }
  return packEmbeds(embeds);
}

function embedSize(embed: DiscordEmbed): number {
  let size = (embed.title?.length ?? 0) + (embed.description?.length ?? 0);
  size += embed.footer?.text.length ?? 0;
  for (const field of embed.fields ?? []) size += field.name.length + field.value.length;
  return size;
}

function packEmbeds(embeds: DiscordEmbed[]): DiscordMessage[] {
  const messages: DiscordMessage[] = [];
  let current: DiscordEmbed[] = [];
  let size = 0;
  for (const embed of embeds) {
    const n = embedSize(embed);
    if (
      current.length > 0 &&
      (current.length === DISCORD_LIMITS.embedsPerMessage || size + n > DISCORD_LIMITS.embedTotal)
    ) {
      messages.push({ embeds: current, allowed_mentions: NO_MENTIONS });
      current = [];
      size = 0;
    }
    current.push(embed);
    size += n;
  }
  if (current.length > 0) messages.push({ embeds: current, allowed_mentions: NO_MENTIONS });
  return messages;
}

/** Joins lines into chunks of at most `max` characters, breaking only between lines when possible. */
export function splitText(lines: readonly string[], max: number): string[] {
  const chunks: string[] = [];
  let current = '';
  for (const raw of lines) {
    const pieces = raw.length > max ? hardSplit(raw, max) : [raw];
    for (const line of pieces) {
      if (current === '') current = line;
      else if (current.length + 1 + line.length <= max) current += `\n${line}`;
      else {
        chunks.push(current);
        current = line;
      }
    }
  }
  if (current !== '') chunks.push(current);
  return chunks;
}

/** A single line longer than a message, cut without splitting a surrogate pair or an escape. */
function hardSplit(line: string, max: number): string[] {
  const out: string[] = [];
  let rest = line;
  while (rest.length > max) {
    let cut = max;
    const code = rest.charCodeAt(cut - 1);
    if (code >= 0xd800 && code <= 0xdbff) cut -= 1;
    while (cut > 1 && rest[cut - 1] === '\\') cut -= 1;
    out.push(rest.slice(0, cut));
    rest = rest.slice(cut);
  }
  if (rest !== '') out.push(rest);
  return out;
}

function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max - 1)}…`;
}

function markdownLine(line: Line): string {
  return line
    .map((part) => markdownSpan(typeof part === 'string' ? { text: part } : part))
    .join('');
}

function markdownSpan(span: Span): string {
  if (span.style === 'code') return codeSpan(span.text);
  let text = escapeMarkdown(oneLine(span.text));
  if (span.style === 'bold') text = `**${text}**`;
  if (span.style === 'italic') text = `*${text}*`;
  return span.url === undefined ? text : `[${text}](<${safeUrl(span.url)}>)`;
}

/**
 * Escapes Discord markdown (emphasis, code, spoilers, quotes, headings, masked links) and
 * mention syntax (`<@id>`, `@everyone`) so that user-supplied text shows literally. Mentions
 * are also disabled on every message through `allowed_mentions`.
 */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\*_~`|>#[\]<@]/g, '\\$&');
}

/** Inline code cannot contain a backtick; doubled ones or a zero-width joiner break out. */
function codeSpan(text: string): string {
  const clean = oneLine(text).replace(/`/g, 'ˋ');
  return clean === '' ? '' : `\`${clean}\``;
}

/** Angle brackets and spaces would end the `<url>` form; percent-encode them. */
export function safeUrl(url: string): string {
  return url.replace(
    /[\s<>()]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`,
  );
}
