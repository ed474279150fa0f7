/**
 * What a username and a password may be, as the accounts service checks them
 * (crates/clocker-accounts/src/credentials.rs), so the page can say so before
 * anything is sent: usernames 3 to 32 of a-z, 0-9, `_`, `.` and `-` (upper
 * case is folded to lower), passwords 8 to 1024 bytes of UTF-8.
 */

export const USERNAME_MIN = 3;
export const USERNAME_MAX = 32;
export const PASSWORD_MIN_BYTES = 8;
export const PASSWORD_MAX_BYTES = 1024;

/** The rules in words, shown beside the fields before anything is submitted. */
export const USERNAME_RULE = `${USERNAME_MIN} to ${USERNAME_MAX} characters: letters a–z, digits, “_”, “.” and “-”.`;
export const PASSWORD_RULE = `${PASSWORD_MIN_BYTES} to ${PASSWORD_MAX_BYTES} bytes (accented letters and emoji count as more than one).`;

const ALLOWED = /^[a-z0-9_.-]*$/;

/** What is wrong with `raw` as a username, or null when the service will take it. */
export function usernameProblem(raw: string): string | null {
  const length = [...raw].length;
  if (length === 0) return 'Enter a username.';
  if (length < USERNAME_MIN || length > USERNAME_MAX) {
    return `Usernames are ${USERNAME_MIN} to ${USERNAME_MAX} characters long (this one has ${length}).`;
  }
  const folded = foldUsername(raw);
  if (!ALLOWED.test(folded)) {
    const bad = [...folded].find((char) => !ALLOWED.test(char)) ?? '';
    return `Usernames may contain only a–z, 0–9, “_”, “.” and “-” (not “${bad === ' ' ? 'a space' : bad}”).`;
  }
  return null;
}

/** The name as the service stores it: ASCII upper case folded to lower. */
export function foldUsername(raw: string): string {
  return raw.replace(/[A-Z]/g, (char) => char.toLowerCase());
}

/** The password's length in UTF-8 bytes, as the service counts it. */
export function passwordBytes(password: string): number {
  return new TextEncoder().encode(password).length;
}

/** What is wrong with `password`, or null when the service will take it. */
export function passwordProblem(password: string): string | null {
  if (password === '') return 'Enter a password.';
  const bytes = passwordBytes(password);
  if (bytes < PASSWORD_MIN_BYTES) return `Passwords are at least ${PASSWORD_MIN_BYTES} bytes (this one has ${bytes}).`;
  if (bytes > PASSWORD_MAX_BYTES) return `Passwords are at most ${PASSWORD_MAX_BYTES} bytes (this one has ${bytes}).`;
  return null;
}
