// Package reminder sends password expiry reminders: a Runner, run every few minutes by
// `sspr serve` under its own lease, finds the enabled users whose password (User.PasswordExpiresAt,
// read by the sync) expires within the largest of Policy.DaysBefore and queues, through the
// outbox, one reminder per user, threshold and expiry, with a link to /change.
//
// Exactly once: before a reminder is queued, the store records it under the unique key (user,
// expiry, threshold) (store.Reminders.ClaimReminder, insert-if-absent); only the runner whose
// claim inserted the row queues it, so restarts and several instances on one PostgreSQL do not
// send it twice. A new password has a new expiry, so its reminders start afresh and those of the
// old one are never sent again. Should queueing fail after the claim, that reminder is lost
// (logged): at most once, never twice.
//
// When a run finds several thresholds reached at once (the feature was just enabled, the
// instance was down, quiet hours held it back), it sends only the nearest one: a user gets at
// most one reminder per run. Nothing is sent in quiet hours (Policy.QuietHours, in
// Policy.TimeZone), to disabled users, or to users whose password does not expire or has
// expired.
package reminder
