/**
 * Just enough of the systemd unit / XDG desktop entry syntax (both are INI-like) to find the
 * command lines they run: `Exec*=` in units, `Exec=`/`TryExec=` in desktop entries.
 */

export interface IniEntry {
  section: string;
  key: string;
  value: string;
}

/**
 * Entries in file order. Units join lines ending in `\` (systemd.syntax(7)); `#` and `;` start
 * comments. Desktop entries have no continuations, but a trailing `\` there is rare enough
 * that joining is harmless.
 */
export function iniEntries(text: string): IniEntry[] {
  const out: IniEntry[] = [];
  let section = '';
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (!pending && /^\s*[#;]/.test(line)) continue;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    const full = (pending + line).trim();
    pending = '';
    if (!full) continue;
    const sec = /^\[(.+)\]$/.exec(full);
    if (sec) {
      section = sec[1]!;
      continue;
    }
    const eq = full.indexOf('=');
    if (eq > 0) out.push({ section, key: full.slice(0, eq).trim(), value: full.slice(eq + 1).trim() });
  }
  return out;
}

/** The values of a unit's `ExecStart=`, `ExecStartPre=`, `ExecStop=`, `ExecCondition=`… lines. */
export function unitCommands(text: string): string[] {
  return iniEntries(text)
    .filter((e) => /^Exec[A-Za-z]+$/.test(e.key))
    .map((e) => e.value);
}

/** The values of a desktop entry's `Exec=` and `TryExec=` lines, in any group (actions too). */
export function desktopCommands(text: string): string[] {
  return iniEntries(text)
    .filter((e) => e.key === 'Exec' || e.key === 'TryExec')
    .map((e) => e.value);
}

/** Units a `.timer` or `.path` activates: its `Unit=`, else the unit of the same name as a service. */
export function activatedUnits(fileName: string, text: string): string[] {
  const explicit = iniEntries(text)
    .filter((e) => e.key === 'Unit' && (e.section === 'Timer' || e.section === 'Path'))
    .map((e) => e.value);
  if (explicit.length) return explicit;
  const stem = fileName.replace(/\.(timer|path)$/, '');
  return stem === fileName ? [] : [`${stem}.service`];
}
