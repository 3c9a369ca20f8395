// Preloaded by bench/e2e.ts (`node -r bench/report-rss.cjs dist/src/bin.js …`): reports the
// process's peak resident set size on stderr when it exits, so the benchmark reads the real
// CLI's memory without changing it.
process.on('exit', () => {
  process.stderr.write(`NETPOL_EMU_MAX_RSS ${process.resourceUsage().maxRSS * 1024}\n`);
});
