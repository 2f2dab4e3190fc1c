package flow

import "context"

// Message is an email, SMS or voice call to send.
type Message struct {
	Channel string // MethodEmail, MethodSMS or MethodVoice
	To      string // email address or E.164 number
	Subject string
	Body    string
}

// Sender queues a message for delivery (the outbox).
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// Client is who is asking: for throttles and audit.
type Client struct {
	IP        string
	UserAgent string
}
