// Package web serves the end-user pages: server-rendered (html/template), no external assets,
// every text from a message catalog (i18n.go), accessible (labels, autocomplete, focus, live
// regions, contrast).
//
// Routes (kind is reset or unlock):
//
//	GET  /{kind}            user name form
//	POST /{kind}            Flows.Start → session cookie → 303 /{kind}/verify        (padded)
//	GET  /{kind}/verify     methods (masked hints) or the code form for the pending one
//	POST /{kind}/send       Flows.SendCode → 303 /{kind}/verify                      (padded)
//	POST /{kind}/code       Flows.VerifyCode → 303 /{kind}/verify or /{kind}/complete
//	GET  /{kind}/complete   new password form with the rules (reset) or unlock button
//	POST /{kind}/complete   Flows.Complete → 303 /{kind}/done
//	GET  /healthz, /static/
//
// Every POST carries a CSRF token (HMAC of an HttpOnly SameSite=Strict cookie nonce) and, when
// the browser sends one, an Origin equal to the public URL's. Every response has CSP,
// Referrer-Policy no-referrer, X-Frame-Options DENY, and HSTS when served over TLS. The steps that
// could tell known names from unknown ones are padded to a response floor; Server-Timing reports
// the time spent before the padding.
package web
