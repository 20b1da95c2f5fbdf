import v8 from 'node:v8';
import vm from 'node:vm';

// A garbage collection on demand, without starting jest with --expose-gc.
v8.setFlagsFromString('--expose-gc');
const collect = vm.runInNewContext('gc') as () => void;

/** The heap the process still holds after a full collection, in MB: what is retained, not what is garbage yet. */
export function retainedHeapMb(): number {
  collect();
  return process.memoryUsage().heapUsed / 1024 / 1024;
}

export interface CountedLines {
  lines: number;
  /** The first three lines (the BOM, if any, stays on the first). */
  head: string[];
  /** The most the process retained while the answer streamed in, sampled every 10,000 lines. */
  peakRetainedMb: number;
}

/**
 * A supertest parser for a streamed text answer: counts its CRLF lines and keeps only the first
 * three, so the test itself holds no file; samples the retained heap as the lines arrive.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- supertest hands its parser the raw response stream
export function lineCounter(res: any, cb: (err: Error | null, body: CountedLines) => void): void {
  let lines = 0;
  let rest = '';
  const head: string[] = [];
  let peak = retainedHeapMb();
  let nextSample = 10_000;
  res.setEncoding('utf8');
  res.on('data', (chunk: string) => {
    const parts = (rest + chunk).split('\r\n');
    rest = parts.pop()!;
    lines += parts.length;
    for (const p of parts) if (head.length < 3) head.push(p);
    if (lines >= nextSample) {
      nextSample += 10_000;
      peak = Math.max(peak, retainedHeapMb());
    }
  });
  res.on('end', () => cb(null, { lines, head, peakRetainedMb: Math.max(peak, retainedHeapMb()) }));
}
