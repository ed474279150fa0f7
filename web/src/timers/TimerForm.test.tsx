// The timer form in a DOM: what cannot be read as a whole number is refused beside its field, never sent as 0.
import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import type { NewTimer } from './timerApi';
import { TimerForm } from './TimerForm';

function renderForm() {
  const onSet = vi.fn<(request: NewTimer) => Promise<void>>(() => Promise.resolve());
  render(<TimerForm onSet={onSet} />);
  const field = (name: string) => screen.getByRole('textbox', { name });
  return { onSet, hours: field('Hours'), minutes: field('Minutes'), seconds: field('Seconds') };
}

/** The text of the elements `element` names in aria-describedby. */
function describedBy(element: HTMLElement): string {
  const ids = element.getAttribute('aria-describedby')?.split(' ') ?? [];
  return ids.map((id) => document.getElementById(id)?.textContent ?? '').join(' ');
}

describe('the timer form', () => {
  it('shows what was typed that is not a number beside its field, focuses it, and sends nothing', async () => {
    const user = userEvent.setup();
    const { onSet, hours, minutes } = renderForm();
    await user.type(hours, '1');
    await user.type(minutes, '10m');
    await user.click(screen.getByRole('button', { name: 'Start timer' }));

    expect(onSet).not.toHaveBeenCalled();
    expect(document.activeElement).toBe(minutes);
    expect(minutes.getAttribute('aria-invalid')).toBe('true');
    expect(describedBy(minutes)).toBe('Minutes: “10m” is not a whole number.');
    expect(hours.getAttribute('aria-invalid')).toBe('false');
  });

  it('sends "1", "30" and "" as 1 h 30 min', async () => {
    const user = userEvent.setup();
    const { onSet, hours, minutes } = renderForm();
    await user.type(hours, '1');
    await user.type(minutes, '30');
    await user.keyboard('{Enter}');

    expect(onSet).toHaveBeenCalledExactlyOnceWith({ hours: 1, minutes: 30, seconds: 0, label: '' });
    expect((await screen.findByRole('status')).textContent).toBe('Timer set for 1 h 30 min.');
  });

  it('clears a field’s error as soon as it is edited', async () => {
    const user = userEvent.setup();
    const { minutes } = renderForm();
    await user.type(minutes, '5e{Enter}');
    expect(minutes.getAttribute('aria-invalid')).toBe('true');
    await user.type(minutes, '{Backspace}');
    expect(minutes.getAttribute('aria-invalid')).toBe('false');
    expect(screen.queryByText(/not a whole number/)).toBeNull();
  });
});
