/**
 * A listener list with isolated delivery. `emit` calls every listener in registration order, each with its own
 * `copy` of the value (so one listener cannot change what the next one sees); a throwing listener is reported to
 * `onError` and the others still run (an `onError` that throws is dropped: nobody is left to tell); a listener added or
 * removed during an emit takes effect from the next emit.
 */
export class Listeners<T> {
  private list: ((value: T) => void)[] = [];

  constructor(
    private readonly onError: (err: unknown) => void,
    private readonly copy: (value: T) => T = (value) => value,
  ) {}

  /** Returns the function that removes this listener (idempotent). */
  add(listener: (value: T) => void): () => void {
    this.list = [...this.list, listener];
    return () => {
      this.list = this.list.filter((l) => l !== listener);
    };
  }

  emit(value: T): void {
    for (const listener of this.list) {
      try {
        listener(this.copy(value));
      } catch (err) {
        try {
          this.onError(err);
        } catch {
          // dropped on purpose, see the class comment
        }
      }
    }
  }
}
