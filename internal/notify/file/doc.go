// Package file is a Channel that appends each message as one JSON line to a file, for demos
// and tests:
//
//	{"time":"2026-03-14T09:26:53Z","channel":"sms","to":"+14255550100","subject":"","body":"Your code is 482913","language":"en"}
//
// "id" (the idempotency key) and "language" (the text's tag) are there when known.
//
// The file holds codes in clear: it is created with mode 0600 and is no place for production.
package file
