import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

// The CLI caches compiled tables under $XDG_CACHE_HOME by default: tests (and the processes they
// start) use a temporary one, never the real home's.
const cacheHome = mkdtempSync(join(tmpdir(), 'npe-test-cache-'));

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Property tests run thousands of random clusters; give them room on a 2-core machine.
    testTimeout: 120_000,
    hookTimeout: 60_000,
    env: { XDG_CACHE_HOME: cacheHome },
    // CI also writes a JSON report so .ci/run can print a plain "N passed, N failed" line.
    reporters: process.env['CI'] ? ['default', ['json', { outputFile: 'test-results.json' }]] : ['default'],
  },
});
