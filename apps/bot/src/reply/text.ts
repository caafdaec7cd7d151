import type { Line, Reply, Span } from './model.js';

/** Plain text for the console: no markdown, links as `text <url>`, one line per line. */
export function renderText(reply: Reply): string {
  const out: string[] = [];
  if (reply.title !== undefined) out.push(oneLine(reply.title));
  for (const line of reply.lines) out.push(textLine(line));
  for (const field of reply.fields ?? [])
    out.push(`${oneLine(field.name)}: ${oneLine(field.value)}`);
  if (reply.footer !== undefined) out.push(oneLine(reply.footer));
  if (reply.image !== undefined) {
    out.push(`[image ${reply.image.name}: ${oneLine(reply.image.description)}]`);
  }
  return out.join('\n');
}

function textLine(line: Line): string {
  return line.map((part) => textSpan(typeof part === 'string' ? { text: part } : part)).join('');
}

function textSpan(span: Span): string {
  const text = oneLine(span.text);
  return span.url === undefined ? text : `${text} <${span.url}>`;
}

/** Control characters and line breaks inside a value would forge extra output lines. */
export function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ');
}
