/** Any problem reading or writing a safetensors file; the message is one line naming the source. */
export class SafetensorsError extends Error {
  /** The file path (or '<buffer>' / '<encode>' / a URL) the problem is in. */
  readonly source: string;
  /** The tensor the problem is in, when there is one. */
  readonly tensor: string | undefined;

  constructor(source: string, tensor: string | undefined, problem: string, options?: { cause?: unknown }) {
    const where = tensor === undefined ? '' : ` tensor ${JSON.stringify(tensor)}:`;
    super(oneLine(`safetensors ${source}:${where} ${problem}`), options);
    this.name = 'SafetensorsError';
    this.source = source;
    this.tensor = tensor;
  }
}

function oneLine(s: string): string {
  return s.replace(/\s*[\r\n]+\s*/g, ' ');
}
