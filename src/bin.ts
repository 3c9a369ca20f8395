#!/usr/bin/env node
import { cli } from './cli.js';

const code = await cli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, stdin: process.stdin });
process.exitCode = code;
