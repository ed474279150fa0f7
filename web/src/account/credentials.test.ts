// The accounts service's rules for usernames and passwords, checked before anything is sent.
import { describe, expect, it } from 'vitest';
import { foldUsername, passwordBytes, passwordProblem, usernameProblem } from './credentials';

describe('usernameProblem', () => {
  it('takes 3 to 32 of a-z, 0-9, _ . - after folding upper case', () => {
    for (const good of ['abc', 'Alice.B-2_', 'a'.repeat(32), 'ADA']) expect(usernameProblem(good)).toBeNull();
    expect(foldUsername('Alice.B-2_')).toBe('alice.b-2_');
  });

  it('says what is wrong with the rest, as the service would refuse them', () => {
    expect(usernameProblem('')).toBe('Enter a username.');
    expect(usernameProblem('ab')).toMatch(/3 to 32 characters long \(this one has 2\)/);
    expect(usernameProblem('a'.repeat(33))).toMatch(/this one has 33/);
    expect(usernameProblem("o'brien")).toMatch(/not “'”/);
    expect(usernameProblem('has space')).toMatch(/not “a space”/);
    expect(usernameProblem('zoë')).toMatch(/not “ë”/);
    expect(usernameProblem('日本語')).toMatch(/only a–z/);
  });
});

describe('passwordProblem', () => {
  it('counts bytes of UTF-8, not characters: 8 to 1024', () => {
    expect(passwordProblem('1234567')).toMatch(/at least 8 bytes \(this one has 7\)/);
    expect(passwordProblem('12345678')).toBeNull();
    expect(passwordProblem('x'.repeat(1024))).toBeNull();
    expect(passwordProblem('x'.repeat(1025))).toMatch(/at most 1024 bytes/);
    expect(passwordBytes('éééé')).toBe(8);
    expect(passwordProblem('éééé')).toBeNull();
    expect(passwordProblem('')).toBe('Enter a password.');
  });
});
