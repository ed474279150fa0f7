/**
 * A username and a password, for signing in or for creating an account.
 * The accounts service's rules are shown beside the fields before anything
 * is sent (`credentials.ts`) and checked on submit; a problem with a field
 * sits under it (and focus moves there), a refusal by the server is an alert
 * that takes focus. The autocomplete attributes let password managers help:
 * `username`, and `current-password` or `new-password`.
 */

import { useId, useRef, useState, type FormEvent } from 'react';
import { PASSWORD_RULE, USERNAME_RULE, passwordProblem, usernameProblem } from './credentials';

export type CredentialsMode = 'sign-in' | 'register';

interface Props {
  readonly mode: CredentialsMode;
  /** Signs in or registers; rejects with an Error whose message says why it could not. */
  readonly onSubmit: (username: string, password: string) => Promise<void>;
}

interface Problems {
  readonly username?: string;
  readonly password?: string;
}

const TEXT = {
  'sign-in': { title: 'Sign in', button: 'Sign in', busy: 'Signing in…' },
  register: { title: 'Create an account', button: 'Create account', busy: 'Creating…' },
} as const;

export function CredentialsForm({ mode, onSubmit }: Props) {
  const id = useId();
  const refusal = useRef<HTMLParagraphElement>(null);
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [problems, setProblems] = useState<Problems>({});
  const [refused, setRefused] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const registering = mode === 'register';
  const text = TEXT[mode];

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (busy) return;
    setRefused(null);
    // Signing in checks only that something was typed: an old account may predate a rule.
    const found: Problems = registering
      ? { username: usernameProblem(username) ?? undefined, password: passwordProblem(password) ?? undefined }
      : {
          username: username.trim() === '' ? 'Enter your username.' : undefined,
          password: password === '' ? 'Enter your password.' : undefined,
        };
    setProblems(found);
    const first = found.username !== undefined ? 'username' : found.password !== undefined ? 'password' : null;
    if (first !== null) {
      document.getElementById(`${id}-${first}`)?.focus();
      return;
    }
    setBusy(true);
    try {
      await onSubmit(username.trim(), password);
    } catch (error) {
      setRefused(error instanceof Error ? error.message : String(error));
      setBusy(false);
      requestAnimationFrame(() => refusal.current?.focus());
    }
  };

  const field = (name: 'username' | 'password', label: string, rule: string | null) => {
    const problem = problems[name];
    const described = [rule !== null ? `${id}-${name}-rule` : '', problem !== undefined ? `${id}-${name}-problem` : '']
      .filter(Boolean)
      .join(' ');
    return (
      <div className="field">
        <label className="field__label" htmlFor={`${id}-${name}`}>
          {label}
        </label>
        <input
          className="field__input"
          id={`${id}-${name}`}
          name={name}
          type={name === 'password' ? 'password' : 'text'}
          autoComplete={name === 'username' ? 'username' : registering ? 'new-password' : 'current-password'}
          autoCapitalize="off"
          autoCorrect="off"
          spellCheck={false}
          value={name === 'username' ? username : password}
          onChange={(event) => {
            const value = event.currentTarget.value;
            if (name === 'username') setUsername(value);
            else setPassword(value);
            setProblems((previous) => ({ ...previous, [name]: undefined }));
          }}
          aria-invalid={problem !== undefined}
          aria-describedby={described === '' ? undefined : described}
        />
        {rule !== null && (
          <p className="field__hint" id={`${id}-${name}-rule`}>
            {rule}
          </p>
        )}
        {problem !== undefined && (
          <p className="field__error" id={`${id}-${name}-problem`}>
            {problem}
          </p>
        )}
      </div>
    );
  };

  return (
    <form
      className="credentials"
      data-testid={registering ? 'register-form' : 'sign-in-form'}
      noValidate
      onSubmit={submit}
      aria-labelledby={`${id}-title`}
    >
      <h3 className="panel__title" id={`${id}-title`}>
        {text.title}
      </h3>
      {field('username', 'Username', registering ? USERNAME_RULE : null)}
      {field('password', 'Password', registering ? PASSWORD_RULE : null)}
      <button className="button button--primary" type="submit" aria-disabled={busy}>
        {busy ? text.busy : text.button}
      </button>
      <p
        className={refused === null ? 'visually-hidden' : 'notice notice--bad'}
        ref={refusal}
        tabIndex={-1}
        role="alert"
        data-testid="account-error"
      >
        {refused}
      </p>
    </form>
  );
}
