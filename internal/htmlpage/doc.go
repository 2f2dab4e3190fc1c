// Package htmlpage holds what the server-rendered sites share: the end-user pages (package web)
// and the administrators' console (package console).
//
//	Render(w, t, status, data)   executes t's "layout" into a buffer first, so that a template
//	                             error answers 500 instead of half a page
//	Cookie{Name, Path, Secure}   a session cookie: HttpOnly, SameSite=Strict, Secure over HTTPS;
//	                             Set, Clear, Value
//	Client(cfg, r)               who is asking (flow.Client): the address behind trusted proxies,
//	                             its throttle key (the IPv6 prefix), the user agent
//
// The forms' CSRF guard is package csrf.
package htmlpage
