// Package resetpages drives sspr's reset pages as one browser does, for the benchmarks under
// scripts/ (resetbench, peerbench): its own cookies, no redirect followed, the CSRF token of
// its session (read from GET /reset) sent with every form.
//
//	b, _ := resetpages.New(base, client, nil) // GET /reset: the session and its CSRF token
//	b.Start(name)                              // POST /reset → GET /reset/verify → POST /reset/send
//	b.Do("POST", "/reset/code", url.Values{"option": {"sms"}, "code": {code}})
package resetpages
