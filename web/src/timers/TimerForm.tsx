/**
 * Setting a timer: hours, minutes and seconds (empty is 0) and an optional
 * label, checked here first (`timerInput`), then sent. Errors sit beside the
 * field they are about; the server's refusal is read out as an alert.
 */

import { useId, useState, type ChangeEvent, type FormEvent } from 'react';
import { describeDuration, timerSeconds } from './countdown';
import { TextField } from './TextField';
import type { NewTimer } from './timerApi';
import { validateTimerInput, type FieldErrors, type TimerFields } from './timerInput';

interface Props {
  /** Sets the timer; rejects with an Error whose message says why it could not. */
  readonly onSet: (request: NewTimer) => Promise<void>;
  /** Called at the start of every submit, while the click or key press still counts as a gesture. */
  readonly onGesture?: () => void;
}

const EMPTY: TimerFields = { hours: '', minutes: '', seconds: '', label: '' };

export function TimerForm({ onSet, onGesture }: Props) {
  const id = useId();
  const [fields, setFields] = useState<TimerFields>(EMPTY);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [refused, setRefused] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const edit = (name: keyof TimerFields) => (event: ChangeEvent<HTMLInputElement>) => {
    const value = event.currentTarget.value;
    setFields((previous) => ({ ...previous, [name]: value }));
    setErrors((previous) => ({ ...previous, [name]: undefined, total: undefined }));
  };

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    onGesture?.();
    if (busy) return;
    const checked = validateTimerInput(fields);
    setRefused(null);
    setDone(null);
    if (!checked.ok) {
      setErrors(checked.errors);
      const first = (['hours', 'minutes', 'seconds', 'label'] as const).find((name) => checked.errors[name]);
      document.getElementById(`${id}-${first ?? 'hours'}`)?.focus();
      return;
    }
    setErrors({});
    setBusy(true);
    try {
      await onSet(checked.request);
      const { label } = checked.request;
      const duration = describeDuration(timerSeconds(checked.request));
      setDone(label === '' ? `Timer set for ${duration}.` : `Timer “${label}” set for ${duration}.`);
      setFields((previous) => ({ ...previous, label: '' }));
    } catch (error) {
      setRefused(error instanceof Error ? error.message : String(error));
    } finally {
      setBusy(false);
    }
  };

  const totalErrorId = errors.total !== undefined ? `${id}-total-error` : undefined;
  const unit = (name: 'hours' | 'minutes' | 'seconds', text: string) => (
    <TextField
      id={`${id}-${name}`}
      name={name}
      label={text}
      value={fields[name]}
      onChange={edit(name)}
      placeholder="0"
      numeric
      error={errors[name]}
      sharedErrorId={totalErrorId}
      className="field field--unit"
      inputClassName="field__input field__input--number"
    />
  );

  return (
    <form className="timer-form" data-testid="timer-form" noValidate onSubmit={submit}>
      <fieldset className="timer-form__duration">
        <legend className="visually-hidden">Duration</legend>
        <div className="timer-form__units">
          {unit('hours', 'Hours')}
          {unit('minutes', 'Minutes')}
          {unit('seconds', 'Seconds')}
        </div>
        {errors.total !== undefined && (
          <p className="field__error" id={`${id}-total-error`}>
            {errors.total}
          </p>
        )}
      </fieldset>

      <TextField
        id={`${id}-label`}
        name="label"
        label="Label"
        hint="(optional)"
        value={fields.label}
        onChange={edit('label')}
        placeholder="Tea, pasta, stand up…"
        error={errors.label}
      />

      <button className="button button--primary" type="submit" aria-disabled={busy}>
        {busy ? 'Starting…' : 'Start timer'}
      </button>

      {refused !== null && (
        <p className="notice notice--bad" role="alert" data-testid="timer-form-error">
          {refused}
        </p>
      )}
      <p className="visually-hidden" role="status">
        {done}
      </p>
    </form>
  );
}
