// Package api is the administrators' REST API under /api/v1/: the same users, fields and rules as
// the CLI (`sspr user ...`), the readiness report and sync runs, for scripts and tools.
//
//	GET    /api/v1/openapi.json        the OpenAPI 3 document (no token needed)
//	GET    /api/v1/users               users:read   list; ?source= ?readiness=ready|notReady ?search= ?select= ?limit= ?after=
//	POST   /api/v1/users               users:write  create a user who is not in the directory (cloud user)
//	GET    /api/v1/users/{upn}         users:read   one user; ETag is the user's version
//	PATCH  /api/v1/users/{upn}         users:write  set fields (If-Match required); 422 lists every refused field
//	DELETE /api/v1/users/{upn}         users:write  delete a cloud user (If-Match required); directory users: 409
//	GET    /api/v1/reports/readiness   reports      who can reset today without registering, with totals
//	GET    /api/v1/reports/expiry      reports      users whose password expires within ?within= (default 14d)
//	GET    /api/v1/sync/runs           sync         recorded sync runs, newest first
//	POST   /api/v1/sync/runs           sync         run a sync now (waits up to Config.SyncWait, then 202)
//	GET    /api/v1/audit               audit:read   the audit log, newest first; ?since= ?until= ?user= ?type= ?actor= ?outcome= ?clientIP= ?limit=
//
// A request carries "Authorization: Bearer sspr_..." — a token made by `sspr token create`; only
// its SHA-256 is stored. Without a valid token: 401; outside the token's scopes: 403.
//
// Concurrency: every user has a version (the ETag "N"). PATCH and DELETE require If-Match with the
// version the client read (412 when the user changed since, 428 when If-Match is missing);
// "If-Match: *" is the explicit choice to overwrite whatever is there. A PATCH changes only the
// fields it names, in one transaction with its audit events (package admin).
//
// Errors have one shape: {"error": {"code": "...", "message": "...", "fields": [{"field",
// "code", "message"}]}} with stable codes (see errorCodes). Security answers and the chosen
// questions are never in any response: only securityQuestionsRegistered, ...Count, ...RegisteredAt.
package api
