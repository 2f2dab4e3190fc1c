// Package webhook is a generic HTTP Channel: it POSTs each message as JSON to a URL, for SMS or
// voice gateways that are not Twilio-compatible (and for email relays, if one wants).
//
//	Send ──► POST {url}  {headerName}: {headerValue}
//	         {"channel":"sms","to":"+14255550100","body":"..."}
//	         voice adds "say" (digits spaced, said twice); email adds "subject"; every
//	         message in a known language adds "language" (BCP 47: "ar", "de")
//
// 2xx is delivered; 408, 429 and 5xx are retried; any other status is permanent
// (notify.Permanent). Each call times out after 10 s.
package webhook
