// Package console is the administrators' web console at /admin, mounted on the serve
// listener beside the end-user pages (package web), whose security headers (CSP without inline
// script or style, frame and referrer policy, HSTS) apply to it. Server-rendered
// (html/template), no JavaScript, no external assets: the shared stylesheet /static/sspr.css and
// the console's own /admin/static/console.css.
//
// Every text comes from the i18n catalog (console.* keys), in the language of the request as
// on the end-user pages (htmlpage.Language: ?lang=, the cookie, Accept-Language, the default),
// with the switcher on every page and <html lang dir> (Arabic right to left); dates in the
// configured zone. Data is shown as it is (names, numbers, audit event types, actors, details);
// report's and admin's English accounts are marked lang="en" translate="no".
//
// Sign-in is two factors, for members of configured directory groups only (Policy: readers,
// administrators), as Auth:
//
//	SignIn(name, password)  throttle per client IP → bind as the user (an unknown name binds a
//	                        DN that cannot exist) → console group membership in the directory
//	                        (administrators first; a group that cannot be checked grants
//	                        nothing) → a one-time code (flow.Codes) to authenticationEmail,
//	                        else authenticationPhone, else the first alternateEmails, else
//	                        mobilePhone, through the outbox → a pending session
//	                        A wrong password, an unknown name and a non-member get the same
//	                        page (padded to the response floor) and count as a failed proof
//	                        (reset.throttle.failedProofs per user and failedProofsIP).
//	VerifyCode(code)        attempt counted first → a new session token (kind "console"),
//	                        extended on each request by idleTimeout (15 min), never past
//	                        sessionLifetime; a wrong code is a failed proof
//
// Routes (every POST carries the CSRF token of an HttpOnly SameSite=Strict cookie; actions
// need the administrator role: a reader gets 403, audited as console.forbidden):
//
//	GET  /admin                          → /admin/dashboard or /admin/signin
//	GET  /admin/signin                   user name and password
//	POST /admin/signin                   Auth.SignIn → 303 /admin/signin/code        (padded)
//	GET  /admin/signin/code              the code form (the masked destination)
//	POST /admin/signin/code              Auth.VerifyCode → 303 /admin/dashboard      (padded)
//	POST /admin/signout                  ends the session
//	GET  /admin/dashboard                tiles: users, ready, registered, locked out, resets
//	                                     and unlocks in 7 / 30 days by outcome, success rate,
//	                                     outbox backlog, last sync
//	GET  /admin/users                    search and filters: readiness, reason, source,
//	                                     registered, locked; 50 per page (after=UPN); the
//	                                     readiness assessor (a read of every user) is reused
//	                                     for a minute and dropped by any action; the locks
//	                                     are one read (store Locked); users are read in
//	                                     keyset chunks (51 unfiltered; 1000 at a time under
//	                                     a filter on readiness, reason, registered or locked,
//	                                     which Go decides) until the page is full
//	GET  /admin/users/{upn}              fields, readiness, explain (report.Explainer), the
//	                                     registration (never questions or answers), recent
//	                                     events, administrators' actions
//	POST /admin/users/{upn}/fields       mobilePhone, officePhone, alternateEmails with the
//	                                     CLI's rules (admin.Service.Update)            admin
//	POST /admin/users/{upn}/unlock       directory unlock + sspr's failed-proof lock   admin
//	POST /admin/users/{upn}/reregister   removes authenticationPhone, authenticationEmail
//	                                     and the security questions, with the audit
//	                                     event, in one transaction (store.UsersTx
//	                                     ClearSecurityAnswers): all or nothing         admin
//	GET  /admin/audit                    filters: since, until, user, type, actor, outcome,
//	                                     clientIP (api.AuditQuery, as the CLI and the API);
//	                                     50 per page
//	GET  /admin/audit.csv, .json         the same filters, streamed (memory flat)
//	GET  /admin/sync                     the last runs
//	POST /admin/sync                     start a run (full=1: a full run)              admin
//	POST /admin/sync/approve             the newest run was held by the delete guard: run
//	                                     again with the deletes allowed                admin
//
// Every action answers 303 (POST-redirect-GET) to the user's page, or /admin/sync for the sync
// actions, with its status line in a short-lived signed cookie (sspr_console_flash) that the next
// page shows once and clears: a reload neither repeats the action nor its line. A refused change
// of fields (a value refused, a version conflict) shows the form again with its values (422, 409).
//
// Every console action is an audit event with the actor "console:<userPrincipalName>":
// console.signin (outcome codeSent, ok, wrongPassword, unknownName, notMember, wrongCode, ...),
// console.code.sent, console.signout, console.user.viewed, console.users.searched,
// console.audit.searched, console.audit.exported, and the actions (admin.user.updated for fields, console.user.unlocked,
// console.user.reregistrationRequired, console.sync.requested, console.sync.approved).
package console
