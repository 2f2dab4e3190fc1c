package register

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/sspr/sspr/internal/flow"
	"github.com/sspr/sspr/internal/questions"
	"github.com/sspr/sspr/internal/store"
)

// SetQuestions replaces the user's security questions: exactly Register choices that pass
// questions.Catalog.Check (a *ProblemsError lists what does not), each answer normalized and
// hashed (Argon2id, its own salt, the pepper); only the hashes are stored. The audit event and
// the email say that the questions changed and how many there are, never which.
func (s *Service) SetQuestions(ctx context.Context, token string, choices []questions.Choice, c flow.Client) error {
	err := s.setQuestions(ctx, token, choices, c)
	s.cfg.Metrics.Step(flow.FlowRegister, "questions", flow.MethodQuestions, err)
	return err
}

func (s *Service) setQuestions(ctx context.Context, token string, choices []questions.Choice, c flow.Client) error {
	sess, st, u, err := s.load(ctx, token)
	if err != nil {
		return err
	}
	if !s.questionsEnabled(st) {
		return userErr(flow.KindInput, "register.questions.disabled")
	}
	if ps := s.cfg.Questions.Check(s.cfg.Reset.Questions.Register, choices); len(ps) > 0 {
		return &ProblemsError{Problems: ps}
	}
	answers := make([]store.SecurityAnswer, 0, len(choices))
	for _, ch := range choices {
		phc, err := s.cfg.Hasher.Hash(ctx, ch.Answer)
		if errors.Is(err, questions.ErrBusy) {
			return userErr(flow.KindInput, "questions.busy")
		}
		if err != nil {
			return fmt.Errorf("register: hash answer: %w", err)
		}
		answers = append(answers, store.SecurityAnswer{QuestionKey: ch.Key, Hash: phc})
	}
	now := s.now().UTC()
	if err := s.st.SetSecurityAnswers(ctx, u.ID, answers, now); err != nil {
		return fmt.Errorf("register: save security answers: %w", err)
	}
	s.audit(ctx, "register.questions.registered", u.UserPrincipalName, u.ID, c, map[string]string{"count": strconv.Itoa(len(answers))})
	l := lang(st, c)
	s.notify(ctx, l, u, s.texts().For(l).T("mail.registration.questions", len(answers)))
	s.outcome("questions", u, c)
	st.QuestionsDone = true
	return s.save(ctx, sess, st)
}
