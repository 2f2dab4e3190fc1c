// Package smtp is the email Channel: it delivers outbox messages to an SMTP relay.
//
//	Send(email message) ──► dial host:port (ctx deadline) ──► implicit TLS | STARTTLS | none
//	    (loopback only) ──► EHLO ──► AUTH PLAIN (TLS only) ──► MAIL FROM ──► RCPT TO ──►
//	    DATA: RFC 5322 headers + multipart/alternative (plain text, then HTML in the brand's
//	    look: inline styles, no image unless branding.mailLogo; quoted-printable UTF-8) ──► QUIT
//
// Replies 5xx are permanent (notify.Permanent: the worker fails the message at once), 4xx and
// network errors are retried. The client is the standard library's net/smtp; the tests run
// against an in-process github.com/emersion/go-smtp server with STARTTLS, implicit TLS and AUTH.
package smtp
