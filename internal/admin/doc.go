// Package admin is the one implementation of administrative changes to users, shared by the
// CLI (`sspr user set|create|delete|import`) and the REST API (PATCH, POST, DELETE). Each entry
// point runs in one store transaction (store.Updates.Update) with its audit events inside it, so a
// change is applied completely, with its audit trail, or not at all:
//
//	Update(upn, Change)  read the user → check If-Match version → plan → validate → UpdateUser → audit per field
//	Create(upn, Change)  plan on a new cloud user → CreateUser → audit
//	Delete(upn)          refuse directory users (the sync owns them) → DeleteUser → audit
//	Import(rows, apply)  plan every row in one transaction; write only with apply and no invalid row
//
// The rules, from the reference document ("deploy SSPR without registration"):
//
//   - officePhone cannot be set for a user synchronized from the directory ("Office Phone - Can
//     only be set if not synchronizing with an on-premises directory"); nor can any other field the
//     directory owns (displayName, accountEnabled, and alternateEmails when it is mapped).
//   - mobilePhone of a directory user may be set: it is kept as an administrator's override
//     (store.User.MobilePhoneOverridden) until the directory's own mobile value changes; the sync
//     engine's merge applies that rule. Setting it to the directory's value ends the override.
//   - Phones are normalized exactly as the sync does (phone.Normalizer with phone.defaultRegion);
//     an invalid value is refused with phone.Error's message, which quotes it. Emails are checked
//     with internal/email.
//   - A value equal to what the user's JSON shows (after normalization for phones) is no change:
//     a CSV export imported again, or a GET document sent back as a PATCH, changes nothing.
//
// Audit events carry the actor ("cli:<os user>", "admin:<token name>"), the user, the field and
// the old and new values masked (phone.Mask, email.Mask).
package admin
