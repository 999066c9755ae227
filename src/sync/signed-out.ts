/**
 * Whether the person signed out on this device on purpose. A sign-out made offline never reaches the
 * server, so the session cookie stays valid there; this mark keeps the app from starting as that user again
 * from the old cookie (the session resume in account.ts). Signing in through the form clears it.
 * localStorage: one small flag that the page alone reads, per origin; where storage is refused it reads as
 * "not signed out".
 */
const KEY = 'fieldboard.signed-out';

export function signedOutOnPurpose(set?: boolean): boolean {
  try {
    if (set === true) localStorage.setItem(KEY, '1');
    else if (set === false) localStorage.removeItem(KEY);
    return localStorage.getItem(KEY) === '1';
  } catch {
    return false;
  }
}
