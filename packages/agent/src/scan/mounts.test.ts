import { describe, expect, it } from 'vitest';
import { parseMountInfo, pseudoMountPoints } from './mounts.js';

const MOUNTINFO = [
  '22 1 252:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw',
  '23 22 0:21 / /proc rw,nosuid,nodev,noexec shared:12 - proc proc rw',
  '24 22 0:22 / /sys rw,nosuid shared:2 - sysfs sysfs rw',
  '25 24 0:23 / /sys/fs/cgroup rw shared:3 master:1 - cgroup2 cgroup2 rw',
  '26 22 0:5 / /dev rw,nosuid shared:4 - devtmpfs udev rw,size=4096k',
  '27 26 0:24 / /dev/pts rw shared:5 - devpts devpts rw',
  '28 26 0:25 / /dev/shm rw shared:6 - tmpfs tmpfs rw',
  '29 22 0:26 / /tmp rw shared:7 - tmpfs tmpfs rw',
  '30 22 0:27 / /run rw shared:8 - tmpfs tmpfs rw',
  '31 22 0:28 / /proc/sys/fs/binfmt_misc rw - autofs systemd-1 rw',
  '32 22 253:2 / /mnt/my\\040disk rw - xfs /dev/vdb rw',
  '33 22 0:29 / /srv/fake\\040proc rw - proc proc rw',
  'garbage line',
  '',
].join('\n');

describe('pseudo filesystem detection', () => {
  it('reads mount points and types, with optional fields and escaped spaces', () => {
    const m = parseMountInfo(MOUNTINFO);
    expect(m).toHaveLength(12);
    expect(m[0]).toEqual({ mountPoint: '/', fsType: 'ext4' });
    expect(m[3]).toEqual({ mountPoint: '/sys/fs/cgroup', fsType: 'cgroup2' });
    expect(m[10]).toEqual({ mountPoint: '/mnt/my disk', fsType: 'xfs' });
  });

  it('skips kernel views but scans tmpfs (/tmp, /dev/shm, /run) and real disks', () => {
    const skip = pseudoMountPoints(parseMountInfo(MOUNTINFO));
    expect([...skip].sort()).toEqual([
      '/dev',
      '/dev/pts',
      '/proc',
      '/proc/sys/fs/binfmt_misc',
      '/srv/fake proc',
      '/sys',
      '/sys/fs/cgroup',
    ]);
    for (const scanned of ['/', '/tmp', '/dev/shm', '/run', '/mnt/my disk']) {
      expect(skip.has(scanned)).toBe(false);
    }
  });
});
