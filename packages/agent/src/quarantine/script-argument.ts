import { posix } from 'node:path';

/**
 * How one interpreter family reads its command line: which options take a separate value,
 * which mean "no script file" (code inline, from stdin or from a module), and, for bundled
 * single-dash options (`sh -ec`, `perl -we`), which letters mean no script and which start an
 * attached value (`perl -Mstrict`).
 */
interface Grammar {
  takesValue: readonly string[];
  noScript: readonly string[];
  noScriptLetters?: string;
  valueLetters?: string;
  /** A value letter ending a bundle takes the next argument (`sh -eo pipefail`). */
  valueLetterTakesNext?: boolean;
}

const GRAMMARS: readonly [RegExp, Grammar][] = [
  [
    /^(sh|bash|dash|ash|zsh|ksh|mksh|pdksh|yash|posh|rbash)$/,
    {
      takesValue: ['-o', '+o', '-O', '+O', '--rcfile', '--init-file'],
      noScript: ['-c', '-s', '-i'],
      noScriptLetters: 'csi',
      valueLetters: 'oO',
      valueLetterTakesNext: true,
    },
  ],
  [
    /^python[0-9.]*$/,
    {
      takesValue: ['-W', '-X', '-Q', '--check-hash-based-pycs'],
      noScript: ['-c', '-m', '-'],
      noScriptLetters: 'cm',
      valueLetters: 'WXQ',
      valueLetterTakesNext: true,
    },
  ],
  [
    /^perl[0-9.]*$/,
    {
      takesValue: ['-I', '-M', '-m'],
      noScript: ['-e', '-E'],
      noScriptLetters: 'eE',
      valueLetters: 'IMmxCdDlF0i',
    },
  ],
  [
    /^ruby[0-9.]*$/,
    {
      takesValue: ['-I', '-r', '-C', '-E'],
      noScript: ['-e'],
      noScriptLetters: 'e',
      valueLetters: 'IrCEKTWxF0i',
    },
  ],
  [
    /^(node|nodejs)$/,
    {
      takesValue: ['-r', '--require', '--import', '--loader', '--experimental-loader', '--input-type'],
      noScript: ['-e', '--eval', '-p', '--print', '-i', '--interactive'],
    },
  ],
  [/^php[0-9.]*$/, { takesValue: ['-c', '-d', '-z'], noScript: ['-r', '-a'], noScriptLetters: 'ra' }],
  [/^(lua[0-9.]*|luajit|tclsh[0-9.]*|wish[0-9.]*)$/, { takesValue: ['-l'], noScript: ['-e', '-i'] }],
];

/** The interpreter name of a process: its exe's basename, or argv[0]'s for multi-call binaries. */
export function interpreterName(exe: string | null, argv0: string | undefined): string | null {
  const base = exe ? posix.basename(exe) : null;
  if (base && base !== 'busybox') return base;
  return argv0 ? posix.basename(argv0) : null;
}

/**
 * The script file an interpreter process runs (as written on its command line, maybe
 * relative), or null when it runs none (`sh -c …`, `python -m …`, an interactive shell) or is
 * not an interpreter Quell knows. `php -f file` names its script by option.
 */
export function scriptArgument(interpreter: string, argv: readonly string[]): string | null {
  const g = GRAMMARS.find(([re]) => re.test(interpreter))?.[1];
  if (!g) return null;
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') return argv[i + 1] ?? null;
    if (g.noScript.includes(a)) return null;
    if (/^php/.test(interpreter) && a === '-f') return argv[i + 1] ?? null;
    if (g.takesValue.includes(a)) {
      i++;
      continue;
    }
    if (a.startsWith('--')) continue;
    if ((a.startsWith('-') || a.startsWith('+')) && a.length > 1) {
      const letters = a.slice(1);
      for (let j = 0; j < letters.length; j++) {
        const c = letters[j]!;
        if (g.noScriptLetters?.includes(c)) return null;
        if (g.valueLetters?.includes(c)) {
          if (g.valueLetterTakesNext && j === letters.length - 1) i++;
          break;
        }
      }
      continue;
    }
    return a;
  }
  return null;
}
