/**
 * Tokens of the STIX 2.1 patterning language (STIX 2.1 part 9). Keywords are case-sensitive
 * in the grammar (`AND`, `OR`, … upper-case; `true` / `false` lower-case), so they are plain
 * words here and the parser compares them exactly.
 */

export type TokenKind =
  | 'word'
  | 'string'
  | 'timestamp'
  | 'hex'
  | 'binary'
  | 'number'
  | 'op'
  | '['
  | ']'
  | '('
  | ')'
  | ','
  | ':'
  | '.'
  | '*'
  | 'end';

export interface Token {
  kind: TokenKind;
  text: string;
  /** 1-based character position in the pattern, for error messages. */
  at: number;
}

/** A pattern that does not follow the grammar; the message says where and what was expected. */
export class PatternSyntaxError extends Error {}

const PUNCTUATION = new Set(['[', ']', '(', ')', ',', ':', '.', '*']);
const PREFIXED: Record<string, TokenKind> = { t: 'timestamp', h: 'hex', b: 'binary' };
const WORD = /[A-Za-z_][A-Za-z0-9_-]*/y;
const NUMBER = /[+-]?\d+(?:\.\d+)?/y;
/** `==` and `<>` are in the grammar as spellings of `=` and `!=`. */
const OPERATOR = /(?:==|!=|<>|<=|>=|=|<|>)/y;

/** The string body starting after an opening quote at `i`: escapes are `\'` and `\\` only. */
function readQuoted(src: string, start: number): { value: string; end: number } {
  let out = '';
  for (let i = start; i < src.length; i++) {
    const c = src[i];
    if (c === "'") return { value: out, end: i + 1 };
    if (c === '\\') {
      const next = src[i + 1];
      if (next !== "'" && next !== '\\')
        throw new PatternSyntaxError(`only \\' and \\\\ may be escaped in a string (character ${i + 1})`);
      out += next;
      i++;
    } else out += c;
  }
  throw new PatternSyntaxError(`a string starting at character ${start} is never closed`);
}

export function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const match = (re: RegExp): string | null => {
    re.lastIndex = i;
    return re.exec(src)?.[0] ?? null;
  };
  while (i < src.length) {
    const c = src[i] as string;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const at = i + 1;
    if (c === "'") {
      const s = readQuoted(src, i + 1);
      tokens.push({ kind: 'string', text: s.value, at });
      i = s.end;
      continue;
    }
    const prefixed = PREFIXED[c];
    if (prefixed && src[i + 1] === "'") {
      const s = readQuoted(src, i + 2);
      tokens.push({ kind: prefixed, text: s.value, at });
      i = s.end;
      continue;
    }
    if (PUNCTUATION.has(c)) {
      tokens.push({ kind: c as TokenKind, text: c, at });
      i++;
      continue;
    }
    const text = match(WORD) ?? null;
    if (text !== null) {
      tokens.push({ kind: 'word', text, at });
      i += text.length;
      continue;
    }
    const num = match(NUMBER);
    if (num !== null) {
      tokens.push({ kind: 'number', text: num, at });
      i += num.length;
      continue;
    }
    const op = match(OPERATOR);
    if (op !== null) {
      tokens.push({ kind: 'op', text: op, at });
      i += op.length;
      continue;
    }
    throw new PatternSyntaxError(`unexpected "${c}" at character ${at}`);
  }
  tokens.push({ kind: 'end', text: '', at: src.length + 1 });
  return tokens;
}
