import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SourceMissingError } from './errors.js';
import { primeSource } from './item-stream.js';

const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

async function drain(stream: ReadableStream<Uint8Array>): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += Buffer.from(chunk).toString('utf8');
  return text;
}

const live = new AbortController().signal;

describe('primeSource', () => {
  it('streams the content and reports its size and SHA-256', async () => {
    async function* src() {
      yield 'hello ';
      yield Buffer.from('world');
    }
    const p = await primeSource(src(), { maxBytes: 1000, signal: live });
    if (p.state !== 'ready') throw new Error(p.state);
    expect(await drain(p.stream)).toBe('hello world');
    expect(await p.outcome).toEqual({ bytes: 11, sha256: sha('hello world'), truncated: false, error: null });
  });

  it('cuts at maxBytes, says so, and closes the source', async () => {
    let closed = false;
    async function* src() {
      try {
        for (;;) yield 'abcd';
      } finally {
        closed = true;
      }
    }
    const p = await primeSource(src(), { maxBytes: 10, signal: live });
    if (p.state !== 'ready') throw new Error(p.state);
    expect(await drain(p.stream)).toBe('abcdabcdab');
    expect(await p.outcome).toMatchObject({ bytes: 10, sha256: sha('abcdabcdab'), truncated: true });
    expect(closed).toBe(true);
  });

  it('reports a missing source without starting a stream', async () => {
    // eslint-disable-next-line require-yield
    async function* src(): AsyncGenerator<string> {
      throw new SourceMissingError('gone');
    }
    expect(await primeSource(src(), { maxBytes: 10, signal: live })).toMatchObject({ state: 'missing' });
  });

  it('keeps what came before a failure and ends the stream normally', async () => {
    async function* src() {
      yield 'partial';
      throw new Error('EIO');
    }
    const p = await primeSource(src(), { maxBytes: 100, signal: live });
    if (p.state !== 'ready') throw new Error(p.state);
    expect(await drain(p.stream)).toBe('partial');
    expect(await p.outcome).toMatchObject({ bytes: 7, error: new Error('EIO') });
  });

  it('errors the stream once aborted', async () => {
    const ac = new AbortController();
    async function* src() {
      yield 'one';
      ac.abort();
      yield 'two';
    }
    const p = await primeSource(src(), { maxBytes: 100, signal: ac.signal });
    if (p.state !== 'ready') throw new Error(p.state);
    await expect(drain(p.stream)).rejects.toThrow(/cancelled/);
  });
});
