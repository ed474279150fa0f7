/**
 * One labelled text field of the timer and alarm forms: the label (with an
 * optional hint such as "(optional)"), the input, and the error beside it,
 * which the input names in `aria-describedby` and marks `aria-invalid`.
 * Numbers are typed as text (`numeric` shows a digit keyboard) and checked
 * by the form, so nothing typed is silently dropped.
 */

import type { ChangeEvent, ReactNode } from 'react';

interface Props {
  readonly id: string;
  readonly name: string;
  readonly label: ReactNode;
  /** Shown after the label, quieter: "(optional)", "(HH:MM, 24-hour)". */
  readonly hint?: string;
  readonly value: string;
  readonly onChange: (event: ChangeEvent<HTMLInputElement>) => void;
  readonly placeholder?: string;
  readonly numeric?: boolean;
  /** What is wrong with this field, shown beside it. */
  readonly error?: string | null;
  /** The id of an error about this field and others together (e.g. the duration's total), if any. */
  readonly sharedErrorId?: string;
  readonly className?: string;
  readonly inputClassName?: string;
}

export function TextField({
  id,
  name,
  label,
  hint,
  value,
  onChange,
  placeholder,
  numeric = false,
  error,
  sharedErrorId,
  className = 'field',
  inputClassName = 'field__input',
}: Props) {
  const errorId = `${id}-error`;
  const hasError = error !== undefined && error !== null;
  return (
    <div className={className}>
      <label className="field__label" htmlFor={id}>
        {label}
        {hint !== undefined && <span className="field__optional"> {hint}</span>}
      </label>
      <input
        className={inputClassName}
        id={id}
        name={name}
        type="text"
        inputMode={numeric ? 'numeric' : undefined}
        autoComplete="off"
        spellCheck={numeric ? false : undefined}
        placeholder={placeholder}
        value={value}
        onChange={onChange}
        aria-invalid={hasError || sharedErrorId !== undefined}
        aria-describedby={hasError ? errorId : sharedErrorId}
      />
      {hasError && (
        <p className="field__error" id={errorId}>
          {error}
        </p>
      )}
    </div>
  );
}
