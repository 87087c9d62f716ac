// The text of a generation while it is being generated: after each token, the part of the decoded
// text that can no longer change is handed on. Two things can still change at the end of the text:
// a multi-byte character whose last bytes have not been generated yet (it decodes to U+FFFD until
// they arrive), and the beginning of a stop sequence (it is cut from the answer if it completes).

const REPLACEMENT = 0xfffd;

/** Length of the prefix of `text` that stays the same whatever tokens come next. */
export function settledLength(text: string, stops: readonly string[]): number {
  let n = text.length;
  while (n > 0 && text.charCodeAt(n - 1) === REPLACEMENT) n--;
  let held = 0;
  for (const stop of stops) {
    for (let k = Math.min(stop.length - 1, n); k > held; k--) {
      if (text.startsWith(stop.slice(0, k), n - k)) {
        held = k;
        break;
      }
    }
  }
  return n - held;
}

/** Hands each settled piece of a growing text to `onText`; the pieces concatenate to the final text. */
export class TextStream {
  private sent = '';

  constructor(
    private readonly stops: readonly string[],
    private readonly onText: ((piece: string) => void) | undefined,
  ) {}

  /** The whole decoded text so far. */
  update(text: string): void {
    if (this.onText) this.emit(text, settledLength(text, this.stops));
  }

  /** The final text (after stop sequences were cut): everything not yet sent. */
  end(text: string): void {
    if (this.onText) this.emit(text, text.length);
  }

  private emit(text: string, upTo: number): void {
    // A decoder that rewrites earlier text (none of the byte-level ones) would break the stream's
    // promise; such text is never sent twice, the stream then just stops growing.
    if (upTo <= this.sent.length || !text.startsWith(this.sent)) return;
    const piece = text.slice(this.sent.length, upTo);
    this.sent = text.slice(0, upTo);
    this.onText!(piece);
  }
}
