package flow

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"strings"

	"github.com/sspr/sspr/internal/store"
)

// NameKey is the throttle subject's key of a typed name that matches nobody: an HMAC of the
// name, case-folded, so that the store never holds the names people typed ("n:"+NameKey).
// The reset, registration and change flows use the same key, so a name counts once.
func NameKey(key []byte, name string) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte("throttle:" + strings.ToLower(name)))
	return hex.EncodeToString(mac.Sum(nil)[:16])
}

// NotifyByEmail queues one email to each address the user is known by (authentication
// email, then the directory's addresses, each once); phones are never messaged. The body
// must never hold a password or a code; lang is the tag it is written in (Texts.Lang).
// Failures to queue are logged.
func NotifyByEmail(ctx context.Context, send Sender, log *slog.Logger, u store.User, lang, subject, body string) {
	seen := map[string]bool{}
	for _, to := range append([]string{u.AuthenticationEmail}, u.AlternateEmails...) {
		if to == "" || seen[strings.ToLower(to)] {
			continue
		}
		seen[strings.ToLower(to)] = true
		if err := send.Send(ctx, Message{Channel: MethodEmail, To: to, Subject: subject, Body: body, Language: lang}); err != nil {
			log.Error("queue notification", "err", err)
		}
	}
}
