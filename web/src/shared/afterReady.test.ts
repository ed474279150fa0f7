import { describe, expect, it } from 'vitest';
import { afterReady } from './afterReady';

class Greeter {
  constructor(private readonly name: string) {}
  async greet(who: string): Promise<string> {
    return `${this.name} greets ${who}`;
  }
}

describe('afterReady', () => {
  it('holds calls until the object is ready, then makes them on it', async () => {
    let give: (greeter: Greeter) => void = () => {};
    const greeter = afterReady(new Promise<Greeter>((resolve) => (give = resolve)));
    let answer: string | null = null;
    const call = greeter.greet('you').then((text) => (answer = text));
    await Promise.resolve();
    expect(answer).toBeNull();
    give(new Greeter('the page'));
    await call;
    expect(answer).toBe('the page greets you');
  });
});
