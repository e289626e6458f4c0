// Times each phase of the run and keeps its outcome for the job summary's timeline.
export type PhaseStatus = 'ok' | 'failed';

export interface PhaseRecord {
  name: string;
  status: PhaseStatus;
  /** Milliseconds since the run started. */
  start: number;
  end: number;
  detail: string;
}

export class Phases {
  readonly records: PhaseRecord[] = [];
  private readonly origin = Date.now();

  async run<T>(
    name: string,
    fn: () => Promise<T>,
    describe: (value: T) => string = () => ''
  ): Promise<T> {
    const start = Date.now() - this.origin;
    const record: PhaseRecord = { name, status: 'ok', start, end: start, detail: '' };
    this.records.push(record);
    try {
      const value = await fn();
      record.detail = describe(value);
      return value;
    } catch (error) {
      record.status = 'failed';
      record.detail = error instanceof Error ? error.message.split('\n')[0] : String(error);
      throw error;
    } finally {
      record.end = Date.now() - this.origin;
    }
  }

  elapsed(): number {
    return Date.now() - this.origin;
  }
}
