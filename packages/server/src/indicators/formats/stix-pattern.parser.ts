import { PatternSyntaxError, tokenize, type Token, type TokenKind } from './stix-pattern.lexer.js';

/**
 * A hand-written recursive-descent parser for the STIX 2.1 patterning grammar (STIX 2.1
 * part 9). No maintained JavaScript package parses STIX patterns (the reference parser is the
 * Python `stix2-patterns`, built on ANTLR); this one reads the whole grammar, so that what Quell
 * cannot express as an indicator (AND, FOLLOWEDBY, qualifiers, other operators) is told apart
 * from a pattern that is simply malformed.
 *
 * Precedence, loosest first: FOLLOWEDBY, OR, AND between observations; a qualifier binds to
 * the observation just before it; OR, AND inside brackets.
 */

export type Literal =
  | { kind: 'string' | 'timestamp' | 'hex' | 'binary'; value: string }
  | { kind: 'number'; value: number }
  | { kind: 'boolean'; value: boolean };

export type PathStep = { kind: 'property'; name: string } | { kind: 'index'; index: number | '*' };

export interface ObjectPath {
  objectType: string;
  steps: PathStep[];
}

export const COMPARISON_OPERATORS = [
  '=',
  '!=',
  '<',
  '<=',
  '>',
  '>=',
  'IN',
  'LIKE',
  'MATCHES',
  'ISSUBSET',
  'ISSUPERSET',
] as const;
export type ComparisonOperator = (typeof COMPARISON_OPERATORS)[number];

export type Comparison =
  | { kind: 'test'; path: ObjectPath; operator: ComparisonOperator; negated: boolean; values: Literal[] }
  | { kind: 'exists'; path: ObjectPath }
  | { kind: 'AND' | 'OR'; left: Comparison; right: Comparison };

export type Qualifier = 'WITHIN' | 'REPEATS' | 'START';

export type Observation =
  | { kind: 'observation'; comparison: Comparison }
  | { kind: 'AND' | 'OR' | 'FOLLOWEDBY'; left: Observation; right: Observation }
  | { kind: 'qualified'; qualifier: Qualifier; observation: Observation };

export { PatternSyntaxError };

/** Deep enough for any real pattern; stops a hostile one from exhausting the stack. */
const MAX_DEPTH = 64;
const OPERATOR_SPELLINGS: Record<string, ComparisonOperator> = { '==': '=', '<>': '!=' };
const WORD_OPERATORS = new Set<string>(['IN', 'LIKE', 'MATCHES', 'ISSUBSET', 'ISSUPERSET']);
/** A property name without quotes may not contain a hyphen (`hashes.'SHA-256'`). */
const PLAIN_PROPERTY = /^[A-Za-z_][A-Za-z0-9_]*$/;

class Parser {
  private pos = 0;
  private depth = 0;
  constructor(private readonly tokens: Token[]) {}

  private peek(): Token {
    return this.tokens[this.pos] as Token;
  }
  private next(): Token {
    const t = this.peek();
    if (t.kind !== 'end') this.pos++;
    return t;
  }
  private isWord(text: string): boolean {
    const t = this.peek();
    return t.kind === 'word' && t.text === text;
  }
  private fail(expected: string): never {
    const t = this.peek();
    const found = t.kind === 'end' ? 'the end of the pattern' : `"${t.text}"`;
    throw new PatternSyntaxError(`expected ${expected} at character ${t.at}, found ${found}`);
  }
  private expect(kind: TokenKind, what: string): Token {
    if (this.peek().kind !== kind) this.fail(what);
    return this.next();
  }
  private expectWord(text: string): void {
    if (!this.isWord(text)) this.fail(text);
    this.next();
  }
  private nested<T>(f: () => T): T {
    if (++this.depth > MAX_DEPTH)
      throw new PatternSyntaxError(`the pattern nests deeper than ${MAX_DEPTH} levels`);
    try {
      return f();
    } finally {
      this.depth--;
    }
  }

  pattern(): Observation {
    const o = this.binary('FOLLOWEDBY', () =>
      this.binary('OR', () => this.binary('AND', () => this.qualified())),
    );
    if (this.peek().kind !== 'end') this.fail('AND, OR, FOLLOWEDBY or a qualifier');
    return o;
  }

  private binary<K extends 'AND' | 'OR' | 'FOLLOWEDBY'>(op: K, operand: () => Observation): Observation {
    let left = operand();
    while (this.isWord(op)) {
      this.next();
      left = { kind: op, left, right: operand() };
    }
    return left;
  }

  private qualified(): Observation {
    let o = this.primaryObservation();
    for (;;) {
      if (this.isWord('WITHIN')) {
        this.next();
        this.expect('number', 'a number of seconds');
        this.expectWord('SECONDS');
        o = { kind: 'qualified', qualifier: 'WITHIN', observation: o };
      } else if (this.isWord('REPEATS')) {
        this.next();
        this.expect('number', 'a number of repetitions');
        this.expectWord('TIMES');
        o = { kind: 'qualified', qualifier: 'REPEATS', observation: o };
      } else if (this.isWord('START')) {
        this.next();
        this.expect('timestamp', "a timestamp t'…'");
        this.expectWord('STOP');
        this.expect('timestamp', "a timestamp t'…'");
        o = { kind: 'qualified', qualifier: 'START', observation: o };
      } else return o;
    }
  }

  private primaryObservation(): Observation {
    return this.nested(() => {
      if (this.peek().kind === '(') {
        this.next();
        const o = this.binary('FOLLOWEDBY', () =>
          this.binary('OR', () => this.binary('AND', () => this.qualified())),
        );
        this.expect(')', '")"');
        return o;
      }
      this.expect('[', '"[" opening an observation');
      const comparison = this.comparisonOr();
      this.expect(']', '"]" or AND / OR');
      return { kind: 'observation', comparison };
    });
  }

  private comparisonOr(): Comparison {
    let left = this.comparisonAnd();
    while (this.isWord('OR')) {
      this.next();
      left = { kind: 'OR', left, right: this.comparisonAnd() };
    }
    return left;
  }

  private comparisonAnd(): Comparison {
    let left = this.comparisonPrimary();
    while (this.isWord('AND')) {
      this.next();
      left = { kind: 'AND', left, right: this.comparisonPrimary() };
    }
    return left;
  }

  private comparisonPrimary(): Comparison {
    return this.nested(() => {
      if (this.peek().kind === '(') {
        this.next();
        const c = this.comparisonOr();
        this.expect(')', '")"');
        return c;
      }
      if (this.isWord('EXISTS')) {
        this.next();
        return { kind: 'exists', path: this.objectPath() };
      }
      const path = this.objectPath();
      const negated = this.isWord('NOT');
      if (negated) this.next();
      const operator = this.operator();
      const values = operator === 'IN' ? this.set() : [this.literal()];
      return { kind: 'test', path, operator, negated, values };
    });
  }

  private operator(): ComparisonOperator {
    const t = this.peek();
    if (t.kind === 'op') {
      this.next();
      return OPERATOR_SPELLINGS[t.text] ?? (t.text as ComparisonOperator);
    }
    if (t.kind === 'word' && WORD_OPERATORS.has(t.text)) {
      this.next();
      return t.text as ComparisonOperator;
    }
    return this.fail('a comparison operator (=, !=, <, >, IN, LIKE, MATCHES, …)');
  }

  private set(): Literal[] {
    this.expect('(', '"(" opening a set');
    const values = [this.literal()];
    while (this.peek().kind === ',') {
      this.next();
      values.push(this.literal());
    }
    this.expect(')', '")" closing the set');
    return values;
  }

  private literal(): Literal {
    const t = this.peek();
    switch (t.kind) {
      case 'string':
      case 'timestamp':
      case 'hex':
      case 'binary':
        this.next();
        return { kind: t.kind, value: t.text };
      case 'number':
        this.next();
        return { kind: 'number', value: Number(t.text) };
      case 'word':
        if (t.text === 'true' || t.text === 'false') {
          this.next();
          return { kind: 'boolean', value: t.text === 'true' };
        }
    }
    return this.fail("a value ('text', a number, true, false, t'…', h'…' or b'…')");
  }

  private objectPath(): ObjectPath {
    const type = this.expect('word', 'an object path such as file:hashes.MD5');
    this.expect(':', '":" after the object type');
    const steps: PathStep[] = [this.property()];
    for (;;) {
      if (this.peek().kind === '.') {
        this.next();
        steps.push(this.property());
      } else if (this.peek().kind === '[') {
        this.next();
        const t = this.next();
        if (t.kind === '*') steps.push({ kind: 'index', index: '*' });
        else if (t.kind === 'number' && /^[+-]?\d+$/.test(t.text))
          steps.push({ kind: 'index', index: Number(t.text) });
        else throw new PatternSyntaxError(`expected a list index or * at character ${t.at}`);
        this.expect(']', '"]" closing the list index');
      } else return { objectType: type.text, steps };
    }
  }

  private property(): PathStep {
    const t = this.peek();
    if (t.kind === 'string') {
      this.next();
      return { kind: 'property', name: t.text };
    }
    if (t.kind === 'word') {
      if (!PLAIN_PROPERTY.test(t.text))
        throw new PatternSyntaxError(
          `the property name "${t.text}" at character ${t.at} must be quoted ('${t.text}') because it has a hyphen`,
        );
      this.next();
      return { kind: 'property', name: t.text };
    }
    return this.fail('a property name');
  }
}

/** The syntax tree of a STIX pattern; throws PatternSyntaxError saying where it goes wrong. */
export function parseStixPattern(pattern: string): Observation {
  return new Parser(tokenize(pattern)).pattern();
}

/** A path back in pattern syntax, for messages. */
export function renderPath(p: ObjectPath): string {
  const steps = p.steps.map((s, i) => {
    if (s.kind === 'index') return `[${s.index}]`;
    const name = PLAIN_PROPERTY.test(s.name) ? s.name : `'${s.name}'`;
    return i === 0 ? name : `.${name}`;
  });
  return `${p.objectType}:${steps.join('')}`;
}
