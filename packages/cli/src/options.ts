import { InvalidArgumentError, Option } from 'commander';

/** Parser for a whole-number flag; a bad value is a usage error (exit 2) like any other bad flag. */
export function intArg(min: number, max: number) {
  return (raw: string): number => {
    const n = Number(raw);
    if (!/^-?\d+$/.test(raw.trim()) || n < min || n > max) {
      throw new InvalidArgumentError(`must be a whole number from ${min} to ${max}.`);
    }
    return n;
  };
}

/** Parser for a repeatable flag (`--tag a --tag b`); commas also separate values. */
export function collect(value: string, previous: string[] | undefined): string[] {
  const parts = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return [...(previous ?? []), ...parts];
}

export function onOff(raw: string): boolean {
  const v = raw.toLowerCase();
  if (['on', 'true', 'yes', '1'].includes(v)) return true;
  if (['off', 'false', 'no', '0'].includes(v)) return false;
  throw new InvalidArgumentError('must be on or off.');
}

/** An option limited to a closed vocabulary from core, so a typo fails before any request. */
export function choiceOption(flags: string, description: string, values: readonly string[]): Option {
  return new Option(flags, description).choices(values);
}

/** `--limit` shared by the list commands; the API caps pages at 500. */
export function limitOption(): Option {
  return new Option('--limit <n>', 'items per page (1-500)').argParser(intArg(1, 500));
}

/** Parser for a repeatable flag whose values may contain commas (`--param allow=a,b`). */
export function repeat(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}
