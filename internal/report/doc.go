// Package report computes what administrators read: the readiness report (for every user, which
// reset methods work today without registration, and what to fix where none does), with totals
// and percentages of enabled users; and the reports of issue 10 item 5:
//
//   - registration coverage (Coverage): who registered what and when, who never registered;
//     never a value registered, a question or an answer;
//   - activity (Activity): reset, unlock and registration outcomes per day and method, from the
//     audit log (classify names the event types of internal/reset and internal/register);
//     finished days are counted once into store.DailyCount rows by UpdateDailyCounts (serve's
//     housekeeping), today is counted live;
//   - deliveries (Deliveries): the outbox per channel: sent, failed, queued, failed attempts,
//     latency from queueing to sending.
//
// TakeSnapshot stores the readiness totals once a day (store.Snapshot), with the reasons users
// are not ready (Reason*), for the dashboard's charts over time (internal/insight).
package report
