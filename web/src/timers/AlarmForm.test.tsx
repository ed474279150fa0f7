// The Alarm form in a DOM: it asks when the time next comes, says what it will do, and sets that timer.
import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import type { NextAlarm } from './alarmApi';
import { AlarmForm } from './AlarmForm';
import type { NewTimer } from './timerApi';

const NOW = Date.parse('2027-03-27T12:00:00+01:00');
const NOTE =
  '02:30 does not exist in Europe/Berlin on Sunday 28 March 2027 (clocks go forward from 02:00 to 03:00); the alarm rings at 03:30 CEST.';
const SKIPPED: NextAlarm = {
  at: '02:30',
  timezone: 'Europe/Berlin',
  firesAt: '2027-03-28T03:30:00+02:00',
  unixMs: Date.parse('2027-03-28T03:30:00+02:00'),
  inSeconds: 52_200,
  adjustment: 'skipped',
  note: NOTE,
};

function renderForm(answer: () => Promise<NextAlarm> = () => Promise.resolve(SKIPPED)) {
  const nextAlarm = vi.fn<(at: string, zone: string) => Promise<NextAlarm>>(answer);
  const onSet = vi.fn<(request: NewTimer) => Promise<void>>(() => Promise.resolve());
  render(
    <AlarmForm
      zones={['Asia/Tokyo', 'Europe/Berlin']}
      defaultZone="Europe/Berlin"
      nextAlarm={nextAlarm}
      onSet={onSet}
      now={() => NOW}
    />,
  );
  return { nextAlarm, onSet, time: screen.getByRole('textbox', { name: /^Time/ }) };
}

describe('the Alarm form', () => {
  it('asks for the next 02:30 in the clock’s zone, says what the DST change does, and sets that timer', async () => {
    const user = userEvent.setup();
    const { nextAlarm, onSet, time } = renderForm();
    await user.type(time, '2:30');
    await user.click(screen.getByRole('button', { name: 'Set alarm' }));

    expect(nextAlarm).toHaveBeenCalledExactlyOnceWith('02:30', 'Europe/Berlin');
    expect(onSet).toHaveBeenCalledExactlyOnceWith({
      hours: 14,
      minutes: 30,
      seconds: 0,
      label: 'Alarm 02:30 Europe/Berlin',
    });
    expect((await screen.findByTestId('alarm-plan')).textContent).toBe(
      `Alarm set. ${NOTE} Rings at 03:30 CEST tomorrow, in 14 h 30 min.`,
    );
  });

  it('refuses a time it cannot read beside the field, focused, asking nothing', async () => {
    const user = userEvent.setup();
    const { nextAlarm, onSet, time } = renderForm();
    await user.type(time, '7.30{Enter}');
    expect(nextAlarm).not.toHaveBeenCalled();
    expect(onSet).not.toHaveBeenCalled();
    expect(document.activeElement).toBe(time);
    expect(time.getAttribute('aria-invalid')).toBe('true');
    expect(screen.getByText(/“7\.30” is not a time of day/)).toBeTruthy();
  });

  it('reads out why the server could not say when', async () => {
    const user = userEvent.setup();
    const { onSet, time } = renderForm(() => Promise.reject(new Error('The time service is not answering.')));
    await user.type(time, '07:30{Enter}');
    expect((await screen.findByRole('alert')).textContent).toBe('The time service is not answering.');
    expect(onSet).not.toHaveBeenCalled();
  });
});
