/**
 * The fan-out of RunEvents inside the serving process: the job queue emits, the transports (IPC
 * window, WebSocket clients, a CLI progress bar) listen. A listener that throws is reported
 * and kept from breaking delivery to the others.
 */
import type { RunEvent, RunEventListener, RunEventSource } from '../contract';

export class RunEventHub implements RunEventSource {
  private readonly listeners = new Set<RunEventListener>();

  constructor(private readonly onListenerError: (err: unknown) => void = () => undefined) {}

  onRunEvent(listener: RunEventListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  emit(event: RunEvent): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch (err) {
        this.onListenerError(err);
      }
    }
  }

  get size(): number {
    return this.listeners.size;
  }
}
