// Package notify delivers sspr's one-time codes and notifications by email, SMS and voice call
// through an outbox: sending is inserting a queued message in the store; a worker delivers it
// with retries, records every attempt, and loses nothing when the process restarts.
//
//	web flow ──► Outbox.Send(Message) ──► validate (channel, To: email address | E.164)
//	          ──► Sealer: Body sealed (AES-256-GCM, key = HKDF-SHA-256(server secret,
//	              "sspr outbox v1"), bound to channel and To); To, Subject and Language
//	              (the tag the text is in; voice calls are spoken in it) stay clear
//	          ──► Queue.Enqueue (store.Outbox) ── status queued, due now
//	          ──► Worker.Notify() (or the next poll, every second)
//	   or   Outbox.Prepare(Message): validated and sealed the same, returned instead of
//	        queued: the reset's send step writes it with its session and code (one
//	        transaction, store.StepWrite.Enqueue), then wakes the worker
//
//	Worker.Run ──► ClaimMessages(now, lease 2 min, batch) ──► open Body ──► Channel.Send
//	           ──► RecordAttempt(duration, scrubbed error text):
//	                 ok                         → sent (the store wipes the body)
//	                 Permanent(err), no channel → failed at once
//	                 other error                → queued again after 5 s × 3ⁿ⁻¹ (±20 %, ≤ 30 min),
//	                                              failed after 8 attempts
//
// A worker that dies holding a lease leaves its messages to the next claim once the lease
// ends: delivery is at least once. Channels (subpackages, each with a Config and Validate):
// smtp (email), twilio (SMS and voice, Twilio-compatible REST), webhook (JSON POST), file
// (JSON lines, demos) and console (demos).
//
// Secrets: bodies are sealed at rest; error texts recorded and logged are scrubbed of the body,
// of any digit-bearing word of it (the code) and of the full destination; logs show the
// destination masked (+1 ••••••0100, a•••@example.com). Metrics: sspr_notify_messages_total
// {channel, result=sent|retry|failed} and sspr_notify_delivery_seconds{channel}; RegisterBacklog
// adds sspr_outbox_queued and sspr_outbox_oldest_age_seconds, read from the store at each scrape.
// WorkerOptions.Failed is told of every failed attempt (the administrators' notifications count
// them, package alert).
package notify
