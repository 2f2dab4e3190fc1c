// Package web serves the end-user pages: server-rendered (html/template), no external assets,
// every text from the message catalog (internal/i18n) in the request's language (i18n.go:
// ?lang= sets the sspr_lang cookie, then the cookie, Accept-Language, the default; a language
// switcher on every page; dir=rtl for Arabic), accessible (labels, autocomplete, focus, live
// regions, contrast).
//
// Routes (kind is reset or unlock):
//
//	GET  /{kind}            user name form
//	POST /{kind}            Flows.Start → session cookie → 303 /{kind}/verify        (padded)
//	GET  /{kind}/verify     methods (masked hints) or the code form for the pending one
//	POST /{kind}/send       Flows.SendCode → 303 /{kind}/verify                      (padded)
//	POST /{kind}/code       Flows.VerifyCode → 303 /{kind}/verify or /{kind}/complete
//	POST /{kind}/answers    Flows.VerifyAnswers (security questions) → 303 as /code  (padded)
//	GET  /{kind}/complete   new password form with the rules (reset) or unlock button
//	POST /{kind}/complete   Flows.Complete → 303 /{kind}/done
//	GET  /healthz, /static/ (sspr.css; sspr.js: the show-password toggle and the error summary's
//	     focus, progressive enhancement only)
//	GET  /branding/{name}-{hash}.{ext}  the brand's theme stylesheet, logo, favicon, extra CSS
//	     (branding.Brand.Handler: immutable, a year in caches)
//
// The registration portal (Config.Registration; session cookie sspr_register, path /register):
//
//	GET  /register                 sign-in form (user name, directory password)
//	POST /register                 Registration.SignIn → 303 /register/profile            (padded)
//	GET  /register/profile         authentication phone and email, questions, Finish / Looks good
//	POST /register/phone           SendPhoneCode → 303 /register/profile (the code form)
//	POST /register/phone/verify    VerifyPhone → 303 /register/profile?saved=phone
//	POST /register/email[/verify]  the same for the email address
//	GET  /register/questions       choose and answer Register questions
//	POST /register/questions       SetQuestions → 303 /register/profile?saved=questions
//	POST /register/confirm         Confirm (ends the session) → 303 /register/done
//	POST /register/signout         SignOut → 303 /register
//
// Changing a known password (Config.Change; no session):
//
//	GET  /change                   name, current password, new password twice, the rules first
//	POST /change                   Change.Change → 303 /change/done, or the form with the error (padded)
//
// Every page shows the brand (Config.Brand: logo or name, colours through the theme
// stylesheet, helpdesk, footer links) and never an inline style or script: the CSP is
// script-src 'self' and style-src 'self'.
//
// Every POST carries a CSRF token (HMAC of an HttpOnly SameSite=Strict cookie nonce) and, when
// the browser sends one, an Origin equal to the public URL's. Every response has CSP,
// Referrer-Policy no-referrer, X-Frame-Options DENY, and HSTS when served over TLS. The steps that
// could tell known names from unknown ones are padded to a response floor; Server-Timing reports
// the time spent before the padding.
package web
