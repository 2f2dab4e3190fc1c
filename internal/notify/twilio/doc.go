// Package twilio is the SMS and voice Channel for Twilio's REST API and compatible providers.
//
//	Send(sms)   ──► POST {baseURL}/2010-04-01/Accounts/{sid}/Messages.json  To, From | MessagingServiceSid, Body
//	Send(voice) ──► POST {baseURL}/2010-04-01/Accounts/{sid}/Calls.json     To, From, Twiml <Say> (digits spaced, said twice)
//
// A call is spoken in its message's language (SayLanguage: en-US, de-DE, fr-FR, es-ES, arb for
// Arabic), else in the configured voiceLanguage; an SMS carries no language.
//
// HTTP Basic authentication with the account SID and auth token. 2xx is delivered; 408, 429 and
// 5xx are retried; any other status is permanent (notify.Permanent) and its error names the
// provider's error code and message.
package twilio
