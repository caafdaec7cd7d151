/**
 * What a command answers, independent of where it is shown. The Discord renderer turns it
 * into messages and embeds within Discord's limits; the text renderer into plain lines for the
 * console. Commands never build Discord markdown themselves, so user-supplied text (titles,
 * user names, comments) is escaped in one place.
 */

/** A run of text, optionally linked or styled. */
export interface Span {
  text: string;
  url?: string;
  style?: 'bold' | 'code' | 'italic';
}

export type Line = readonly (Span | string)[];

export interface Reply {
  /** 'error' replies are short explanations of bad input; they render without embeds. */
  tone: 'info' | 'error';
  title?: string;
  lines: readonly Line[];
  /** Label/value pairs shown side by side on Discord (embed fields). */
  fields?: readonly { name: string; value: string }[];
  footer?: string;
  /** A picture sent with the reply (a chart): attached on Discord, named on the console. */
  image?: ReplyImage;
}

export interface ReplyImage {
  /** The attachment's file name, `[A-Za-z0-9._-]` only. */
  name: string;
  png: Uint8Array;
  /** What the picture shows, for screen readers. */
  description: string;
}

export function info(lines: readonly Line[], extra: Omit<Reply, 'tone' | 'lines'> = {}): Reply {
  return { tone: 'info', lines, ...extra };
}

/** A one-paragraph message (ping, confirmations). */
export function say(...line: (Span | string)[]): Reply {
  return { tone: 'info', lines: [line] };
}

/** A short explanation of what was wrong and how to do it right. */
export function problem(...line: (Span | string)[]): Reply {
  return { tone: 'error', lines: [line] };
}

export const code = (text: string): Span => ({ text, style: 'code' });
export const bold = (text: string): Span => ({ text, style: 'bold' });
export const italic = (text: string): Span => ({ text, style: 'italic' });
export const link = (text: string, url: string): Span => ({ text, url });
