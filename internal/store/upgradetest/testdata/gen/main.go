package main

import (
	"bytes"
	"context"
	"log"
	"os"
	"time"

	"github.com/sspr/sspr/internal/store"
	"github.com/sspr/sspr/internal/store/postgres"
	"github.com/sspr/sspr/internal/store/sqlite"
)

func main() {
	ctx := context.Background()
	var s store.Store
	var err error
	if os.Args[1] == "sqlite" {
		s, err = sqlite.Open(ctx, os.Args[2])
	} else {
		s, err = postgres.Open(ctx, os.Args[2])
	}
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	t0 := time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
	alice, err := s.UserByUPN(ctx, "alice")
	if err != nil {
		log.Fatal(err)
	}
	if err := s.SetSecurityAnswers(ctx, alice.ID, []store.SecurityAnswer{
		{QuestionKey: "firstPet", Hash: "$argon2id$v=19$m=65536,t=3,p=2$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g"},
		{QuestionKey: "birthCity", Hash: "$argon2id$v=19$m=65536,t=3,p=2$c2FsdDJzYWx0MnM$aGFzaDJoYXNoMmhhc2gyaGFzaDJoYXNoMmhhc2gyaA"},
	}, t0); err != nil {
		log.Fatal(err)
	}
	if err := s.Update(ctx, func(tx store.UsersTx) error {
		u := store.User{Source: store.SourceCloud, UserPrincipalName: "contractor@contoso.com", DisplayName: "Cloud Contractor",
			AlternateEmails: []string{"contractor@example.org"}, AccountEnabled: true, AuthenticationEmail: "contractor@example.org"}
		if err := tx.CreateUser(ctx, &u); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, &store.AuditEvent{Time: t0, Type: "admin.user.created", Actor: "cli:root", UserID: u.ID,
			UserPrincipalName: u.UserPrincipalName, Details: map[string]string{"source": "cloud"}})
	}); err != nil {
		log.Fatal(err)
	}
	if err := s.CreateToken(ctx, &store.Token{Name: "monitoring", Scopes: []string{"reports"}, Hash: bytes.Repeat([]byte{0xab}, 32), CreatedAt: t0}); err != nil {
		log.Fatal(err)
	}
	if err := s.Enqueue(ctx, &store.Message{Channel: "email", To: "alice.anderson@example.net", Subject: "Your password was changed",
		Body: []byte("sealed"), NextAttemptAt: t0.Add(100 * 365 * 24 * time.Hour)}); err != nil {
		log.Fatal(err)
	}
	if err := s.Lock(ctx, "user:"+alice.ID, t0.Add(100*365*24*time.Hour)); err != nil {
		log.Fatal(err)
	}
	if _, err := s.Hit(ctx, "ip:192.0.2.9", t0, t0.Add(-time.Hour)); err != nil {
		log.Fatal(err)
	}
}
