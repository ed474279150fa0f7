// The "Show milliseconds" switch: off by default with reduced motion, on otherwise, and the choice kept.
import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MillisecondsSwitch } from './MillisecondsSwitch';
import { SHOW_MS_KEY, useShowMilliseconds } from './showMilliseconds';

/** Shows what the clocks would do: with milliseconds or without. */
function Probe() {
  return <p data-testid="probe">{useShowMilliseconds() ? '12:00:00.000' : '12:00:00'}</p>;
}

function prefersReducedMotion(reduce: boolean) {
  vi.spyOn(window, 'matchMedia').mockImplementation(
    (query: string) =>
      ({
        matches: reduce && query.includes('reduce'),
        media: query,
        addEventListener: () => {},
        removeEventListener: () => {},
      }) as unknown as MediaQueryList,
  );
}

/** The switch beside a probe, for a person who does or does not ask for reduced motion. */
function renderSwitch({ reducedMotion }: { readonly reducedMotion: boolean }) {
  prefersReducedMotion(reducedMotion);
  const user = userEvent.setup();
  render(
    <>
      <MillisecondsSwitch />
      <Probe />
    </>,
  );
  return { user, toggle: screen.getByRole('switch', { name: 'Show milliseconds' }) };
}

beforeEach(() => window.localStorage.clear());
afterEach(() => vi.restoreAllMocks());

describe('the milliseconds switch', () => {
  it('is off with reduced motion, and turning it on shows milliseconds and is remembered', async () => {
    const { user, toggle } = renderSwitch({ reducedMotion: true });
    expect(toggle).toHaveProperty('checked', false);
    expect(screen.getByTestId('probe').textContent).toBe('12:00:00');

    await user.click(toggle);
    expect(toggle).toHaveProperty('checked', true);
    expect(screen.getByTestId('probe').textContent).toBe('12:00:00.000');
    expect(window.localStorage.getItem(SHOW_MS_KEY)).toBe('on');
  });

  it('is on without reduced motion, and turning it off hides milliseconds', async () => {
    const { user, toggle } = renderSwitch({ reducedMotion: false });
    expect(toggle).toHaveProperty('checked', true);
    await user.click(toggle);
    expect(screen.getByTestId('probe').textContent).toBe('12:00:00');
    expect(window.localStorage.getItem(SHOW_MS_KEY)).toBe('off');
  });
});
