#!/usr/bin/env node
import { cli } from './cli.js';

// A reader that stops early (`netpol-emu replay … | head`) closes the pipe: that ends the output,
// not the command (the flow writer notices and says so); without a listener Node would crash.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE' && error.code !== 'ERR_STREAM_DESTROYED') throw error;
  });
}

const code = await cli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, stdin: process.stdin });
process.exitCode = code;
