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
import { TextField } from './TextField';
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
      <TextField
        id={`${id}-time`}
        name="time"
        label="Time"
        hint="(HH:MM, 24-hour)"
        value={time}
        onChange={(event) => {
          setTime(event.currentTarget.value);
          setTimeError(null);
        }}
        placeholder="07:30"
        numeric
        error={timeError}
        inputClassName="field__input alarm-form__time"
      />

      <ZonePicker zones={zones} value={zone} onChoose={setChosenZone} />

      <TextField
        id={`${id}-label`}
        name="label"
        label="Alarm label"
        hint="(optional)"
        value={label}
        onChange={(event) => setLabel(event.currentTarget.value)}
        placeholder="Wake up, meeting…"
      />

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
