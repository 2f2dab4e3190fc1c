// Package csrf guards HTML forms against cross-site requests, the scheme of the end-user pages
// (package web) and the administrators' console (package console):
//
//	Token(w, r)  a random nonce in an HttpOnly SameSite=Strict cookie (set when missing); the
//	             form carries HMAC(key, nonce), which a cross-site page can neither read nor
//	             compute
//	Check(r)     Sec-Fetch-Site same-origin, none or absent; an Origin (when sent and not
//	             "null") equal to the site's; the form's "csrf" value equal to the cookie's
//	             HMAC, compared in constant time
//
// With Referrer-Policy no-referrer, browsers send "Origin: null" even for same-origin forms, so
// null alone proves nothing either way.
package csrf
