import { describe, expect, it } from 'vitest';
import { interpreterName, scriptArgument } from './script-argument.js';

describe('scriptArgument', () => {
  it.each([
    ['dash', ['/bin/sh', '/tmp/mal.sh'], '/tmp/mal.sh'],
    ['bash', ['bash', '-e', '-x', 'mal.sh', 'arg'], 'mal.sh'],
    ['bash', ['bash', '-eo', 'pipefail', 'run.sh'], 'run.sh'],
    ['bash', ['bash', '-o', 'errexit', '--norc', 'run.sh'], 'run.sh'],
    ['bash', ['bash', '--rcfile', '/etc/x', 'run.sh'], 'run.sh'],
    ['dash', ['sh', '--', '-weird.sh'], '-weird.sh'],
    ['python3.11', ['python3', '-u', '-W', 'ignore', '/opt/x.py'], '/opt/x.py'],
    ['perl', ['perl', '-Mstrict', '-w', 'x.pl'], 'x.pl'],
    ['perl', ['perl', '-I', 'lib', 'x.pl'], 'x.pl'],
    ['ruby', ['ruby', '-r', 'json', 'x.rb'], 'x.rb'],
    ['node', ['node', '--require', 'a', '--max-old-space-size=64', 'x.js'], 'x.js'],
    ['php8.2', ['php', '-d', 'x=1', '-f', 'x.php'], 'x.php'],
  ])('%s %j runs %s', (interp, argv, script) => {
    expect(scriptArgument(interp, argv)).toBe(script);
  });

  it.each([
    ['bash', ['bash', '-c', '/tmp/mal.sh']],
    ['dash', ['sh', '-ec', 'echo /tmp/mal.sh']],
    ['bash', ['-bash']],
    ['bash', ['bash', '-i']],
    ['python3', ['python3', '-m', 'http.server']],
    ['python3', ['python3', '-c', 'print(1)']],
    ['perl', ['perl', '-we', 'print 1']],
    ['node', ['node', '-e', 'x']],
    ['sleep', ['sleep', '100']],
  ])('%s %j runs no script', (interp, argv) => {
    expect(scriptArgument(interp, argv)).toBeNull();
  });
});

describe('interpreterName', () => {
  it('uses the executable, except for busybox where argv[0] names the applet', () => {
    expect(interpreterName('/usr/bin/dash', 'sh')).toBe('dash');
    expect(interpreterName('/bin/busybox', '/bin/ash')).toBe('ash');
    expect(interpreterName(null, undefined)).toBeNull();
  });
});
