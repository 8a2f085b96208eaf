/**
 * Whether a line of a persistence file refers to a quarantined file.
 *
 * Conservative on purpose: a line counts only when it names the file's absolute path as a whole
 * word — the path not continued by more path characters on either side (so `/tmp/x` does not
 * match `/var/tmp/x` or `/tmp/x.bak`). Relative names, `$HOME/…`, `~/…`, `/tmp//x` or a bare
 * basename are not removed: on a shared system the same basename often names something
 * legitimate, and an edit Quell cannot justify is worse than a reference it reports
 * ({@link mentionsName} finds those for the evidence).
 */

/** May stand right before a path used as a word: separators, quotes, `=`, and systemd's `-@+!:` prefixes. */
const BEFORE = /[\s'"`;&|(<>,:=@+!-]/;
/** May stand right after it: separators, quotes, redirections, `:` (preload lists), `#`. */
const AFTER = /[\s'"`;&|)<>,:#]/;
/** For basename mentions a `/` before is fine too (`./x`, `~/bin/x`). */
const BEFORE_NAME = /[\s'"`;&|(<>,:=@+!/-]/;

function wordAt(text: string, needle: string, before: RegExp): boolean {
  if (!needle) return false;
  for (let i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + 1)) {
    const b = i === 0 ? '' : text[i - 1]!;
    const a = text[i + needle.length] ?? '';
    if ((b === '' || before.test(b)) && (a === '' || AFTER.test(a))) return true;
  }
  return false;
}

/** True when `text` names `path` (absolute) as a whole word. */
export function refersToPath(text: string, path: string): boolean {
  return wordAt(text, path, BEFORE);
}

/** Basenames shorter than this are too generic to be worth reporting (`x`, `sh`). */
const MIN_NAME = 3;

/** True when `text` mentions `name` (a basename) as a word, e.g. `cd /tmp && ./name`. */
export function mentionsName(text: string, name: string): boolean {
  return name.length >= MIN_NAME && wordAt(text, name, BEFORE_NAME);
}

/**
 * Persistence files are edited as latin1 strings (one char per byte) so that restore is
 * byte-identical whatever their encoding; a path is compared in the same representation.
 */
export function asBytesText(s: string): string {
  return Buffer.from(s, 'utf8').toString('latin1');
}
