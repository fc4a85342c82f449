// Splits a byte stream into newline-delimited lines. Chunks from the network end anywhere,
// including inside a multi-byte UTF-8 character, so bytes are buffered until a newline and
// only complete lines are decoded. A line longer than the limit is an error (a peer that never
// sends a newline must not make us buffer without bound).

export class LineTooLongError extends Error {
  constructor(readonly limit: number) {
    super(`line longer than ${limit} bytes`);
  }
}

export class LineDecoder {
  private parts: Buffer[] = [];
  private buffered = 0;

  constructor(private readonly maxLineBytes: number) {}

  /** Complete lines in `chunk` (with what was buffered before), without the newline; empty lines are skipped. */
  push(chunk: Buffer): string[] {
    const lines: string[] = [];
    let start = 0;
    let newline = chunk.indexOf(0x0a, start);
    while (newline >= 0) {
      const piece = chunk.subarray(start, newline);
      const line = this.buffered > 0 ? Buffer.concat([...this.parts, piece]) : piece;
      this.parts = [];
      this.buffered = 0;
      if (line.length > this.maxLineBytes) throw new LineTooLongError(this.maxLineBytes);
      const text = line.toString('utf8').replace(/\r$/, '');
      if (text.length > 0) lines.push(text);
      start = newline + 1;
      newline = chunk.indexOf(0x0a, start);
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      this.buffered += rest.length;
      if (this.buffered > this.maxLineBytes) throw new LineTooLongError(this.maxLineBytes);
      // Copy: the caller may reuse the chunk's memory.
      this.parts.push(Buffer.from(rest));
    }
    return lines;
  }
}
