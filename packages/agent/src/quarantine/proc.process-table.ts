import { readdir, readFile, readlink } from 'node:fs/promises';
import type { ProcessSnapshot, ProcessTable, StopSignal } from './quarantine.ports.js';

const DELETED = ' (deleted)';

/** Parses the fields of `/proc/<pid>/stat` that follow the `(comm)` field, which may hold spaces and parens. */
export function parseStat(text: string): { state: string; startTime: string } | null {
  const close = text.lastIndexOf(')');
  if (close < 0) return null;
  // After ")": field 3 (state) is index 0, field 22 (starttime) is index 19.
  const rest = text.slice(close + 2).split(' ');
  const state = rest[0];
  const startTime = rest[19];
  return state && startTime ? { state, startTime } : null;
}

function realUid(status: string): number | null {
  const m = /^Uid:\s+(\d+)/m.exec(status);
  return m ? Number(m[1]) : null;
}

const gone = (e: unknown): boolean => {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ESRCH';
};

/**
 * The real process table, read from `/proc` and signalled with kill(2). `procRoot` exists for
 * tests that need a crafted /proc; the agent and the real-process tests use the default.
 */
export class ProcProcessTable implements ProcessTable {
  constructor(private readonly procRoot = '/proc') {}

  async pids(): Promise<number[]> {
    const names = await readdir(this.procRoot);
    return names.filter((n) => /^\d+$/.test(n)).map(Number);
  }

  async read(pid: number): Promise<ProcessSnapshot | null> {
    const dir = `${this.procRoot}/${pid}`;
    let statText: string;
    let statusText: string;
    let cmdline: string;
    try {
      [statText, statusText, cmdline] = await Promise.all([
        readFile(`${dir}/stat`, 'utf8'),
        readFile(`${dir}/status`, 'utf8'),
        readFile(`${dir}/cmdline`, 'utf8'),
      ]);
    } catch (e) {
      if (gone(e)) return null;
      throw e;
    }
    const stat = parseStat(statText);
    if (!stat) return null;
    // Kernel threads and zombies have no exe link; EACCES can only happen without root.
    const link = await readlink(`${dir}/exe`).catch(() => null);
    const exeDeleted = link?.endsWith(DELETED) ?? false;
    const argv = cmdline.split('\0');
    if (argv.at(-1) === '') argv.pop();
    return {
      pid,
      exe: link === null ? null : exeDeleted ? link.slice(0, -DELETED.length) : link,
      exeDeleted,
      argv,
      cwd: await readlink(`${dir}/cwd`).catch(() => null),
      uid: realUid(statusText),
      state: stat.state,
      startTime: stat.startTime,
    };
  }

  imagePath(pid: number): string {
    return `${this.procRoot}/${pid}/exe`;
  }

  signal(pid: number, signal: StopSignal): boolean {
    try {
      process.kill(pid, signal);
      return true;
    } catch (e) {
      if (gone(e)) return false;
      throw e;
    }
  }
}
