/**
 * The `command="…"` option of an authorized_keys line (sshd(8) AUTHORIZED_KEYS FILE FORMAT):
 * options come first, comma-separated, values in double quotes with `\"` escapes; the key type
 * starts the rest. A key without options has none.
 */

const KEY_TYPE = /^(ssh-|ecdsa-|sk-)/;

/** The options field of a key line (text before the key type), or null when it has none. */
export function keyOptions(line: string): string | null {
  const s = line.trimStart();
  if (!s || s.startsWith('#') || KEY_TYPE.test(s)) return null;
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\' && quoted) i++;
    else if (c === '"') quoted = !quoted;
    else if (!quoted && (c === ' ' || c === '\t')) return s.slice(0, i);
  }
  return null;
}

/** Splits options on commas outside quotes into `name` → value (unescaped; '' for flags). */
export function parseOptions(options: string): Map<string, string> {
  const out = new Map<string, string>();
  let quoted = false;
  let start = 0;
  const take = (part: string): void => {
    const eq = part.indexOf('=');
    const name = (eq < 0 ? part : part.slice(0, eq)).toLowerCase();
    let value = eq < 0 ? '' : part.slice(eq + 1);
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) {
      value = value.slice(1, -1).replace(/\\"/g, '"');
    }
    if (!out.has(name)) out.set(name, value);
  };
  for (let i = 0; i < options.length; i++) {
    const c = options[i]!;
    if (c === '\\' && quoted) i++;
    else if (c === '"') quoted = !quoted;
    else if (c === ',' && !quoted) {
      take(options.slice(start, i));
      start = i + 1;
    }
  }
  take(options.slice(start));
  return out;
}

/** The forced command of a key line, or null. */
export function forcedCommand(line: string): string | null {
  const opts = keyOptions(line);
  return opts === null ? null : (parseOptions(opts).get('command') ?? null);
}
