package flow

import (
	"context"

	"github.com/sspr/sspr/internal/store"
)

// Message is an email, SMS or voice call to send.
type Message struct {
	Channel string // MethodEmail, MethodSMS or MethodVoice
	To      string // email address or E.164 number
	Subject string
	Body    string
	// Language is the BCP 47 tag the text is in (Texts: the translator's): a voice call is
	// spoken in it.
	Language string
}

// Sender queues a message for delivery (the outbox).
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// StepSender is a Sender whose messages a step can write itself, in the transaction that
// saves its session (store.StepWrite.Enqueue): a message then goes out only when its step was
// saved. Prepare returns the outbox row m becomes (checked, its body sealed); Queued is told
// once the step has written its messages, to deliver them at once.
type StepSender interface {
	Sender
	Prepare(m Message) (*store.Message, error)
	Queued()
}

// Client is who is asking: for throttles and audit.
type Client struct {
	IP string // the client's address, as the audit records it
	// ThrottleKey is what per-client limits count: the address for IPv4, the /64 (or the
	// configured prefix) for IPv6, so one attacker's many IPv6 addresses count as one client.
	// "" means IP.
	ThrottleKey string
	UserAgent   string
	// Lang is the language the user reads the pages in (BCP 47, "de"): the flow's messages
	// to the user are composed in it.
	Lang string
}
