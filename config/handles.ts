/**
 * DESIGN.md: a handle is 1–15 of A–Z, a–z, 0–9 and _, unique regardless of case. One rule for
 * the users service, which owns handles, and for the auth server's sign-up page and the
 * gateway's profile route, which refuse a malformed one before calling users.
 */
export const HANDLE_PATTERN = /^[A-Za-z0-9_]{1,15}$/;
