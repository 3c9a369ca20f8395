/**
 * A headless Chromium driven over the DevTools protocol through a pipe (`--remote-debugging-pipe`:
 * commands on fd 3, answers and events on fd 4, NUL-separated JSON), as Puppeteer's pipe
 * transport does: no WebSocket client or browser-automation package needed. Collects console
 * errors and uncaught exceptions of the page.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';

/** The browser to use: $CHROMIUM_PATH, else Debian's chromium. */
export function chromiumPath(): string | null {
  const candidates = [process.env['CHROMIUM_PATH'], '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter((p): p is string => !!p);
  return candidates.find((p) => existsSync(p)) ?? null;
}

interface Message {
  id?: number;
  method?: string;
  sessionId?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { message: string };
}

export class HeadlessPage {
  readonly consoleErrors: string[] = [];
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (m: Message) => void; reject: (e: Error) => void }>();
  private readonly waiters: { method: string; resolve: () => void }[] = [];
  private sessionId = '';
  private buffer = '';

  private constructor(
    private readonly child: ChildProcess,
    private readonly profile: string,
  ) {
    const output = child.stdio[4] as Readable;
    output.setEncoding('utf8');
    output.on('data', (chunk: string) => {
      this.buffer += chunk;
      let end: number;
      while ((end = this.buffer.indexOf('\0')) >= 0) {
        const text = this.buffer.slice(0, end);
        this.buffer = this.buffer.slice(end + 1);
        this.dispatch(JSON.parse(text) as Message);
      }
    });
  }

  static async open(executable: string): Promise<HeadlessPage> {
    const profile = mkdtempSync(join(tmpdir(), 'netpol-chromium-'));
    const child = spawn(
      executable,
      ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--remote-debugging-pipe', `--user-data-dir=${profile}`, 'about:blank'],
      { stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'] },
    );
    const page = new HeadlessPage(child, profile);
    const { targetId } = (await page.send('Target.createTarget', { url: 'about:blank' }, false)) as { targetId: string };
    const { sessionId } = (await page.send('Target.attachToTarget', { targetId, flatten: true }, false)) as { sessionId: string };
    page.sessionId = sessionId;
    await page.send('Runtime.enable');
    await page.send('Log.enable');
    await page.send('Page.enable');
    return page;
  }

  private dispatch(m: Message): void {
    if (m.id !== undefined) {
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (m.error) p?.reject(new Error(m.error.message));
      else p?.resolve(m);
      return;
    }
    if (m.method === 'Runtime.exceptionThrown') this.consoleErrors.push(`exception: ${JSON.stringify((m.params?.['exceptionDetails'] as Record<string, unknown>)?.['exception'] ?? m.params)}`);
    if (m.method === 'Runtime.consoleAPICalled' && m.params?.['type'] === 'error') this.consoleErrors.push(`console.error: ${JSON.stringify(m.params['args'])}`);
    if (m.method === 'Log.entryAdded') {
      const entry = m.params?.['entry'] as { level?: string; text?: string; url?: string } | undefined;
      if (entry?.level === 'error') this.consoleErrors.push(`log: ${entry.text} ${entry.url ?? ''}`);
    }
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const w = this.waiters[i] as { method: string; resolve: () => void };
      if (w.method === m.method) {
        this.waiters.splice(i, 1);
        w.resolve();
      }
    }
  }

  send(method: string, params: Record<string, unknown> = {}, inSession = true): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    const message: Message = { id, method, params, ...(inSession ? { sessionId: this.sessionId } : {}) };
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: (m) => resolve(m.result ?? {}), reject });
      (this.child.stdio[3] as Writable).write(`${JSON.stringify(message)}\0`);
    });
  }

  async goto(url: string): Promise<void> {
    const loaded = new Promise<void>((resolve) => this.waiters.push({ method: 'Page.loadEventFired', resolve }));
    await this.send('Page.navigate', { url });
    await loaded;
  }

  /** The value of a JavaScript expression in the page (JSON-serialisable). */
  async evaluate<T>(expression: string): Promise<T> {
    const result = await this.send('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true });
    if (result['exceptionDetails']) throw new Error(`page exception: ${JSON.stringify(result['exceptionDetails'])}`);
    return (result['result'] as { value: T }).value;
  }

  async close(): Promise<void> {
    try {
      await Promise.race([this.send('Browser.close', {}, false), new Promise((r) => setTimeout(r, 2000))]);
    } catch {
      // The browser may close the pipe before answering.
    }
    if (this.child.exitCode === null) {
      const exited = new Promise((r) => this.child.once('exit', r));
      this.child.kill();
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    }
    // The browser's helper processes may still be writing its profile for a moment.
    rmSync(this.profile, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  }
}
