/** What the sign-in form's alert says for each refusal of POST /api/login. */
import { describe, expect, it } from 'vitest';
import { signInRefusal } from '../../../src/sync/sign-in-answer.ts';

describe('signInRefusal', () => {
  it("shows a throttled sign-in's own message from the server", () => {
    const body = { error: { code: 'too-many-attempts', message: 'Too many failed sign-ins. Try again in 15 minutes.' } };
    expect(signInRefusal(429, body, '900')).toBe('Too many failed sign-ins. Try again in 15 minutes.');
  });

  it('falls back to Retry-After, then to "later", when the body says nothing', () => {
    expect(signInRefusal(429, null, '61')).toBe('Too many failed sign-ins. Try again in 2 minutes.');
    expect(signInRefusal(429, 'garbage', '30')).toBe('Too many failed sign-ins. Try again in 1 minute.');
    expect(signInRefusal(429, null, null)).toBe('Too many failed sign-ins. Try again later.');
  });

  it('keeps the wrong-credentials and other answers', () => {
    expect(signInRefusal(401, { error: { code: 'bad-credentials', message: 'x' } }, null)).toBe('Wrong username or password.');
    expect(signInRefusal(503, null, null)).toBe('Sign-in failed (HTTP 503).');
  });
});
