package console_test

import (
	"strings"
	"testing"

	"github.com/sspr/sspr/internal/notify"
	"github.com/sspr/sspr/internal/notify/console"
)

func TestSend(t *testing.T) {
	tests := []struct {
		msg  notify.Message
		want string
	}{
		{notify.Message{Channel: "sms", To: "+14255550100", Body: "Your sspr code is 482913"},
			"┌─ sspr sms to +14255550100\n│ Your sspr code is 482913\n└─\n"},
		{notify.Message{Channel: "email", To: "alice@example.com", Subject: "Reset", Body: "Hello\r\n\r\nCode 482913\n"},
			"┌─ sspr email to alice@example.com\n│ Subject: Reset\n│\n│ Hello\n│ \n│ Code 482913\n└─\n"},
	}
	for _, tt := range tests {
		var b strings.Builder
		if err := console.New(&b).Send(t.Context(), tt.msg); err != nil {
			t.Fatal(err)
		}
		if b.String() != tt.want {
			t.Errorf("printed\n%q\nwant\n%q", b.String(), tt.want)
		}
	}
}
