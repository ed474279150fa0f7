/**
 * Setting an alarm at a time of day: the time (HH:MM, 24-hour), the zone
 * (the clock's unless another is chosen) and an optional label. The gateway
 * says when that time next comes in that zone, DST included (`alarmApi`);
 * the form says what it will do ("Rings at 07:30 CET tomorrow, in
 * 9 h 12 min", with the note on a day the clocks change) and sets an
 * ordinary timer for it.
 */

import { useId, useState, type FormEvent } from 'react';
import { ZonePicker } from '../clock/ZonePicker';
import { alarmTimer, type NextAlarm } from './alarmApi';
import { describeAlarm, parseTimeOfDay } from './alarmText';
import type { NewTimer } from './timerApi';

interface Props {
  /** The zones to choose from. */
  readonly zones: readonly string[];
  /** The zone until another is chosen (the clock's). */
  readonly defaultZone: string;
  /** When `at` (HH:MM) next comes in `zone`; rejects with a sentence. */
  readonly nextAlarm: (at: string, zone: string) => Promise<NextAlarm>;
  /** Sets the timer; rejects with an Error whose message says why it could not. */
  readonly onSet: (request: NewTimer) => Promise<void>;
  /** The server's clock now, unix ms. */
  readonly now: () => number;
  /** Called at the start of every submit, while the press still counts as a gesture. */
  readonly onGesture?: () => void;
}

export function AlarmForm({ zones, defaultZone, nextAlarm, onSet, now, onGesture }: Props) {
  const id = useId();
  const [time, setTime] = useState('');
  const [chosenZone, setChosenZone] = useState<string | null>(null);
  const [label, setLabel] = useState('');
  const [timeError, setTimeError] = useState<string | null>(null);
  const [refused, setRefused] = useState<string | null>(null);
  const [plan, setPlan] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const zone = chosenZone ?? defaultZone;

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    onGesture?.();
    if (busy) return;
    setRefused(null);
    setPlan(null);
    const at = parseTimeOfDay(time);
    if (at === null) {
      setTimeError(`Time: “${time.trim()}” is not a time of day; write it as HH:MM, e.g. 07:30 or 18:45.`);
      document.getElementById(`${id}-time`)?.focus();
      return;
    }
    setTimeError(null);
    setBusy(true);
    try {
      const next = await nextAlarm(at, zone);
      await onSet(alarmTimer(next, now(), label));
      setPlan(`Alarm set. ${describeAlarm(next, now())}`);
      setLabel('');
    } catch (error) {
      setRefused(error instanceof Error ? error.message : String(error));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="alarm-form" data-testid="alarm-form" noValidate onSubmit={submit}>
      <div className="field">
        <label className="field__label" htmlFor={`${id}-time`}>
          Time <span className="field__optional">(HH:MM, 24-hour)</span>
        </label>
        <input
          className="field__input alarm-form__time"
          id={`${id}-time`}
          name="time"
          type="text"
          inputMode="numeric"
          autoComplete="off"
          spellCheck={false}
          placeholder="07:30"
          value={time}
          onChange={(event) => {
            setTime(event.currentTarget.value);
            setTimeError(null);
          }}
          aria-invalid={timeError !== null}
          aria-describedby={timeError !== null ? `${id}-time-error` : undefined}
        />
        {timeError !== null && (
          <p className="field__error" id={`${id}-time-error`}>
            {timeError}
          </p>
        )}
      </div>

      <ZonePicker zones={zones} value={zone} onChoose={setChosenZone} />

      <div className="field">
        <label className="field__label" htmlFor={`${id}-label`}>
          Label <span className="field__optional">(optional)</span>
        </label>
        <input
          className="field__input"
          id={`${id}-label`}
          name="label"
          type="text"
          autoComplete="off"
          placeholder="Wake up, meeting…"
          value={label}
          onChange={(event) => setLabel(event.currentTarget.value)}
        />
      </div>

      <button className="button button--primary" type="submit" aria-disabled={busy}>
        {busy ? 'Setting…' : 'Set alarm'}
      </button>

      {refused !== null && (
        <p className="notice notice--bad" role="alert" data-testid="alarm-error">
          {refused}
        </p>
      )}
      <p className="alarm-form__plan" role="status" data-testid="alarm-plan">
        {plan}
      </p>
    </form>
  );
}
