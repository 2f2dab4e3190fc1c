// Package alert tells administrators, by email through the outbox, what needs their attention:
//
//	trigger             incident (one message per incident, not per event)
//	privileged          a reset.done or unlock.done of a privileged user (details privileged=true):
//	                    each such event is its own incident
//	sync.failed         the latest sync run failed: the run of failed runs since the last other
//	sync.guard          or refused (the delete guard held) ends at the next run with another status
//	deliveries          more than Policy.DeliveryFailures failed delivery attempts in the last hour
//	                    (counted in the store by CountDeliveryFailure, from every instance)
//	lockouts            more than Policy.LockoutsPerHour lockouts (*.lockedOut events) in the last hour
//
// A Runner (run every minute by `sspr serve` under the "alerts" lease, so one instance at a time)
// evaluates the triggers. The state lives in the audit log, which every instance shares: an
// incident notified is an "alert.notified" audit event (details: incident, key); an incident of a
// threshold trigger that ended is an "alert.resolved" event. The runner reads the alert events of
// the last 7 days (Lookback) before it sends anything, and sends only what they do not record:
// a restart or another instance never sends an incident twice. An incident still open after
// Lookback is notified again. The message is queued, then recorded: should the record fail, the
// next run may queue it again (at least once).
//
// Messages name the user and the client IP of a privileged reset, the sync run's errors and
// counters, counts of failures: never a code, a password, an answer or a phone number. They are
// written from the catalog's alert.* texts by the Translator New is given: the configured
// default language, times in the configured zone.
package alert
