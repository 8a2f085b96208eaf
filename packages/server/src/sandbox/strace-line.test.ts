import { describe, expect, it } from 'vitest';
import { StraceLineReader, type StraceRecord } from './strace-line.js';

function read(lines: string[]): { records: StraceRecord[]; skipped: number } {
  const reader = new StraceLineReader();
  const records = lines.flatMap((l) => reader.push(l));
  records.push(...reader.end());
  return { records, skipped: reader.skipped };
}

describe('strace line reader', () => {
  it('joins an unfinished call with its resumption, across other processes', () => {
    const { records } = read([
      '25877 1.000001 unlink("/sample/implant" <unfinished ...>',
      '25880 1.000002 execve("/usr/bin/true", ["true"], 0x7ffc /* 11 vars */ <unfinished ...>',
      '25877 1.000003 <... unlink resumed>) = 0',
      '25880 1.000004 <... execve resumed>) = 0',
    ]);
    expect(records).toEqual([
      { kind: 'call', pid: 25877, ts: 1.000001, text: 'unlink("/sample/implant") = 0' },
      {
        kind: 'call',
        pid: 25880,
        ts: 1.000002,
        text: 'execve("/usr/bin/true", ["true"], 0x7ffc /* 11 vars */) = 0',
      },
    ]);
  });

  it('keeps arguments printed after the split', () => {
    const { records } = read([
      '10 2.5 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|SIGCHLD <unfinished ...>',
      "10 2.6 <... clone resumed>, child_tidptr=0x7f) = 7 /* 13286 in strace's PID NS */",
    ]);
    expect(records[0]).toMatchObject({
      text: "clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|SIGCHLD, child_tidptr=0x7f) = 7 /* 13286 in strace's PID NS */",
    });
  });

  it('turns a call its process died in into a record before the death', () => {
    const { records } = read([
      '5 1.0 clock_nanosleep(CLOCK_REALTIME, 0, {tv_sec=302, tv_nsec=0},  <unfinished ...>',
      '5 3.0 +++ killed by SIGKILL +++',
    ]);
    expect(records).toEqual([
      { kind: 'call', pid: 5, ts: 1.0, text: 'clock_nanosleep(CLOCK_REALTIME, 0, {tv_sec=302, tv_nsec=0},' },
      { kind: 'killed', pid: 5, ts: 3.0, signal: 'SIGKILL' },
    ]);
  });

  it('keeps a last line the tracer was killed while writing, and calls left unfinished', () => {
    const { records } = read([
      '7 1.0 wait4(-1,  <unfinished ...>',
      '8 1.1 clock_nanosleep(CLOCK_REALTIME, 0, {tv_sec=302, tv_nsec=0}, ',
    ]);
    expect(records.map((r) => (r.kind === 'call' ? r.text : r.kind))).toEqual([
      'clock_nanosleep(CLOCK_REALTIME, 0, {tv_sec=302, tv_nsec=0},',
      'wait4(-1,',
    ]);
  });

  it.each([
    ['+++ exited with 3 +++', { kind: 'exited', code: 3 }],
    ['+++ killed by SIGSEGV (core dumped) +++', { kind: 'killed', signal: 'SIGSEGV' }],
    ['--- SIGXCPU {si_signo=SIGXCPU, si_code=SI_KERNEL} ---', { kind: 'signal', signal: 'SIGXCPU' }],
  ])('reads the process event %s', (body, expected) => {
    expect(read([`42 9.5 ${body}`]).records).toEqual([{ pid: 42, ts: 9.5, ...expected }]);
  });

  it('skips what it cannot read and counts it', () => {
    const { records, skipped } = read([
      'garbage',
      '12 1.0 <... read resumed>"x", 1) = 1',
      '12 1.0 +++ superseded +++',
      '',
    ]);
    expect(records).toEqual([]);
    expect(skipped).toBe(3);
  });
});
