/**
 * `npm run check:kernel` without root refuses in one line and exits 3, before touching any
 * namespace; bad usage exits 2. Runs the built entry point (dist/, which `npm test` builds) as an
 * unprivileged user: dropped to nobody with setpriv when the suite runs as root.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const MAIN = 'dist/scripts/kernel-check/main.js';
const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;

function checkKernel(args: readonly string[], unprivileged: boolean): { status: number | null; stderr: string } {
  const argv = unprivileged && asRoot ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, MAIN, ...args] : [process.execPath, MAIN, ...args];
  const r = spawnSync(argv[0] as string, argv.slice(1), { encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr };
}

describe('check:kernel - refusals', () => {
  it('check:kernel - without root: one line naming the reason, exit 3', () => {
    const r = checkKernel(['-f', 'examples/three-tier', 'examples/three-tier/capture.pcap'], true);
    expect(r.stderr).toBe('check:kernel: cannot run here: needs root (network namespaces, ipset and iptables); run as root, e.g. with sudo\n');
    expect(r.status).toBe(3);
  });

  it('check:kernel - usage errors exit 2 with one line', () => {
    const none = checkKernel([], false);
    expect(none.status).toBe(2);
    expect(none.stderr).toBe('check:kernel: give -f CLUSTER and a capture, or --synth SEEDS (see --help)\n');
    const shape = checkKernel(['--shape', 'nope', '--synth', '1'], false);
    expect(shape.status).toBe(2);
    expect(shape.stderr).toContain('no kernel rendering for "nope"; one of ');
    expect(shape.stderr.split('\n').filter(Boolean)).toHaveLength(1);
  });
});
