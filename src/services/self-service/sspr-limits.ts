/** SSPR lockout and send limits (SPEC section 7: Entra's figures, OpenSSPR's defaults). */
export const ssprLimits = {
  /** 5 failed verifications (codes, questions) within 1 hour block the user. */
  verificationFailures: 5,
  verificationWindowMs: 60 * 60_000,
  /** 5 failed identity checks (a typed phone number that does not match) within 24 hours block the user. */
  identityFailures: 5,
  identityWindowMs: 24 * 60 * 60_000,
  /** More than 10 emails within 10 minutes block the user. */
  emailsPerWindow: 10,
  emailWindowMs: 10 * 60_000,
  /** A block lasts 24 hours. */
  blockMs: 24 * 60 * 60_000,
  /** Per-destination and per-IP send limits protect the SMS budget. */
  sendsPerDestination: 5,
  sendsPerAddress: 30,
  sendWindowMs: 60 * 60_000,
} as const;
