import { sign, type KeyObject } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { stringify } from 'safe-stable-stringify';
import { commandSigningText, type Command, type CommandMessage } from '@quell/contracts';

/**
 * Canonical JSON of a command: keys sorted at every level, no whitespace. Agents rebuild the
 * same text from the command they received to verify the signature, so both sides must agree.
 */
export function canonicalCommandJson(command: Command): string {
  return stringify(command);
}

/** Wraps a command with the server's Ed25519 signature over {@link commandSigningText}. */
export function signCommand(command: Command, key: KeyObject): CommandMessage {
  return { type: 'command', command, signature: signText(signingText(command), key) };
}

function signingText(command: Command): string {
  return commandSigningText(canonicalCommandJson(command));
}

function signText(text: string, key: KeyObject): string {
  return sign(null, Buffer.from(text, 'utf8'), key).toString('base64');
}

/** Signs commands; {@link WorkerCommandSigner} in the server, {@link InlineCommandSigner} where a thread is not worth it. */
export interface CommandSigner {
  sign(command: Command): Promise<CommandMessage>;
  close(): Promise<void>;
}

export class InlineCommandSigner implements CommandSigner {
  constructor(private readonly key: KeyObject) {}

  sign(command: Command): Promise<CommandMessage> {
    return Promise.resolve(signCommand(command, this.key));
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * The worker's whole program. Written out here (not a file beside this one) so it runs the same
 * from the built server and from the TypeScript sources the tests load. It gets the key once and
 * answers each batch of texts with their signatures, in order.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { sign } = require('node:crypto');
const key = workerData.key;
parentPort.on('message', (m) => {
  try {
    parentPort.postMessage({ id: m.id, signatures: m.texts.map((t) => sign(null, Buffer.from(t, 'utf8'), key).toString('base64')) });
  } catch (e) {
    parentPort.postMessage({ id: m.id, error: String(e && e.message || e) });
  }
});
`;

/** Texts sent to the worker in one message at most. */
const MAX_BATCH = 128;

interface Pending {
  command: Command;
  text: string;
  resolve: (m: CommandMessage) => void;
}

/**
 * Signs on a worker thread. A 10,000-device fan-out signs 10,000 commands within seconds; on the
 * event loop that was a fifth of the server's time, while the loop also writes the actions and
 * sends the commands. Requests made in the same turn go to the worker as one batch. If the worker
 * dies or fails, signing carries on inline (same key, same signatures) and the cause is logged.
 */
export class WorkerCommandSigner implements CommandSigner {
  private worker: Worker | null;
  private queue: Pending[] = [];
  private scheduled = false;
  private nextId = 1;
  private readonly inFlight = new Map<number, Pending[]>();

  constructor(
    private readonly key: KeyObject,
    private readonly onFallback: (why: string) => void = () => undefined,
  ) {
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { key } });
    this.worker.unref();
    this.worker.on('message', (m: { id: number; signatures?: string[]; error?: string }) => {
      const batch = this.inFlight.get(m.id);
      if (!batch) return;
      this.inFlight.delete(m.id);
      if (!m.signatures) {
        this.fallBack(`the signing worker failed: ${m.error ?? 'no reason given'}`);
        for (const p of batch) this.signInline(p);
        return;
      }
      batch.forEach((p, i) =>
        p.resolve({ type: 'command', command: p.command, signature: m.signatures?.[i] ?? '' }),
      );
    });
    this.worker.on('error', (e) => this.fallBack(`the signing worker failed: ${e.message}`));
    this.worker.on('exit', (code) => this.fallBack(`the signing worker exited (code ${code})`));
  }

  sign(command: Command): Promise<CommandMessage> {
    return new Promise<CommandMessage>((resolve) => {
      const p = { command, text: signingText(command), resolve };
      if (!this.worker) return this.signInline(p);
      this.queue.push(p);
      if (this.queue.length >= MAX_BATCH) this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    this.drain();
    if (w) await w.terminate();
  }

  private flush(): void {
    this.scheduled = false;
    if (!this.queue.length) return;
    const batch = this.queue;
    this.queue = [];
    if (!this.worker) {
      for (const p of batch) this.signInline(p);
      return;
    }
    const id = this.nextId++;
    this.inFlight.set(id, batch);
    this.worker.postMessage({ id, texts: batch.map((p) => p.text) });
  }

  private fallBack(why: string): void {
    if (!this.worker) return;
    this.worker = null;
    this.onFallback(why);
    this.drain();
  }

  /** Everything queued or at the worker is signed here instead. */
  private drain(): void {
    const waiting = [...this.inFlight.values()].flat().concat(this.queue);
    this.inFlight.clear();
    this.queue = [];
    for (const p of waiting) this.signInline(p);
  }

  private signInline(p: Pending): void {
    p.resolve({ type: 'command', command: p.command, signature: signText(p.text, this.key) });
  }
}
