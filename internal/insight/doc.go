// Package insight computes the administrators' dashboard (issue 10 item 2) as typed data for
// the console (internal/console) to render: Tiles (users in scope, ready today, registered,
// resets and unlocks in the last 7 and 30 days, success rate, locked out now, outbox backlog,
// last sync) and the series of its charts (readiness and registration coverage per day,
// reset and unlock outcomes per day, methods used and failing, why users are not ready, sync
// runs). Charts turns them into internal/chart charts with the caller's (translated) words.
//
// Nothing here scans the users or the whole audit log: the figures come from what serve's
// housekeeping keeps (report.TakeSnapshot once a day, report.UpdateDailyCounts for the days
// that are over), today's events counted live, and a few small store reads:
//
//	Dashboard(ctx, st, now)
//	  ListSnapshots(window)          readiness, coverage, reasons, the user tiles
//	  report.Activity(window)        stored daily counts; today from the audit log and outbox
//	  ActiveLocks(now), OutboxBacklog, ListRuns(30)
package insight
