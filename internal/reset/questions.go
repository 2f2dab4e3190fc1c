package reset

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/sspr/sspr/internal/flow"
	"github.com/sspr/sspr/internal/questions"
	"github.com/sspr/sspr/internal/store"
)

// askQuestions draws the questions to ask (unless some are drawn and not yet answered: going
// back and forth never draws others) and makes them the pending proof.
func (s *Service) askQuestions(ctx context.Context, sess *store.Session, st *state, u *store.User) (View, error) {
	if len(st.Asked) == 0 {
		asked, err := s.drawQuestions(ctx, st, u)
		if err != nil {
			return View{}, err
		}
		st.Asked = asked
	}
	st.Pending = MethodQuestions
	if err := s.save(ctx, sess, st); err != nil {
		return View{}, err
	}
	return s.view(sess.Kind, st, u), nil
}

// drawQuestions draws AtReset questions at random from the user's registered ones (for a decoy
// flow, from questions derived from the name: the same name always has the same ones).
func (s *Service) drawQuestions(ctx context.Context, st *state, u *store.User) ([]string, error) {
	n := s.cfg.Policy.Questions.AtReset
	if st.Decoy || u == nil {
		return questions.Draw(s.decoyQuestions(st.UPN), n), nil
	}
	answers, err := s.st.SecurityAnswers(ctx, u.ID)
	if err != nil {
		return nil, fmt.Errorf("reset: security answers: %w", err)
	}
	var pool []string
	for _, a := range answers {
		if s.cfg.Questions.Has(a.QuestionKey) {
			pool = append(pool, a.QuestionKey)
		}
	}
	if len(pool) < n {
		s.log.Warn("too few of the user's security questions are still configured", "user", u.UserPrincipalName, "usable", len(pool), "asked", n)
		return nil, userErr(flow.KindProof, "questions.unavailable")
	}
	return questions.Draw(pool, n), nil
}

// decoyQuestions are the questions a name that matches nobody "registered": Register questions
// of the catalog, chosen by a keyed hash of the name.
func (s *Service) decoyQuestions(name string) []string {
	if qs := s.cfg.Decoys.drawQuestions(s.cfg.DecoyKey, name, s.cfg.Policy.Questions.Register, s.cfg.Questions.Has); qs != nil {
		return qs
	}
	mac := hmac.New(sha256.New, s.cfg.DecoyKey)
	mac.Write([]byte("questions:" + strings.ToLower(name)))
	var seed [32]byte
	copy(seed[:], mac.Sum(nil))
	return questions.DrawFrom(rand.New(rand.NewChaCha8(seed)), s.cfg.Questions.Keys(), s.cfg.Policy.Questions.Register)
}

// VerifyAnswers checks the answers to the questions asked, in the order View.Questions lists
// them. The attempt is counted (5 per hour per user, then locked) before any answer is checked;
// every answer is checked, right or wrong, so the time does not tell which was wrong. Wrong
// answers are a failed proof and draw other questions. Security questions count as one method.
func (s *Service) VerifyAnswers(ctx context.Context, token string, answers []string, c flow.Client) (View, error) {
	kind := ""
	v, err := s.verifyAnswers(ctx, token, answers, c, &kind)
	s.cfg.Metrics.Step(kind, "verify", MethodQuestions, err)
	return v, err
}

func (s *Service) verifyAnswers(ctx context.Context, token string, answers []string, c flow.Client, kind *string) (View, error) {
	sess, st, u, err := s.load(ctx, token)
	if err != nil {
		return View{}, err
	}
	*kind = sess.Kind
	now := s.now().UTC()
	if err := s.locked(ctx, st, c, now); err != nil {
		return View{}, err
	}
	if st.Pending != MethodQuestions || len(st.Asked) == 0 || slices.Contains(st.Verified, MethodQuestions) {
		return View{}, userErr(flow.KindProof, "send.unknownOption")
	}
	if len(answers) != len(st.Asked) || slices.ContainsFunc(answers, func(a string) bool { return questions.Normalize(a) == "" }) {
		return View{}, userErr(flow.KindProof, "questions.answerAll")
	}
	if err := flow.Enforce(ctx, s.st, st.Subject+":questions", s.cfg.Policy.Throttle.Questions, now); err != nil {
		s.audit(ctx, sess.Kind+".throttled", st, sess.UserID, c, map[string]string{"step": "questions"})
		return View{}, err
	}
	ok, err := s.checkAnswers(ctx, st, u, answers)
	if err != nil {
		return View{}, err
	}
	if !ok {
		s.audit(ctx, sess.Kind+".questions.failed", st, sess.UserID, c, nil)
		asked, err := s.drawQuestions(ctx, st, u)
		if err != nil {
			return View{}, err
		}
		st.Asked = asked
		if err := s.save(ctx, sess, st); err != nil {
			return View{}, err
		}
		if err := s.failedProof(ctx, sess, st, c, now); err != nil {
			return View{}, err
		}
		return View{}, userErr(flow.KindProof, "questions.wrong")
	}
	st.Verified = append(st.Verified, MethodQuestions)
	if k := destKey(flow.QuestionsDest); !slices.Contains(st.Proven, k) {
		st.Proven = append(st.Proven, k)
	}
	st.Pending, st.Asked = "", nil
	if err := s.save(ctx, sess, st); err != nil {
		return View{}, err
	}
	s.audit(ctx, sess.Kind+".questions.verified", st, sess.UserID, c, map[string]string{"method": MethodQuestions})
	return s.view(sess.Kind, st, u), nil
}

// checkAnswers verifies every answer against its hash. A decoy flow, and a question whose hash
// is missing, does the same work and fails.
func (s *Service) checkAnswers(ctx context.Context, st *state, u *store.User, answers []string) (bool, error) {
	hashes := map[string]string{}
	if !st.Decoy && u != nil {
		stored, err := s.st.SecurityAnswers(ctx, u.ID)
		if err != nil {
			return false, fmt.Errorf("reset: security answers: %w", err)
		}
		for _, a := range stored {
			hashes[a.QuestionKey] = a.Hash
		}
	}
	ok := !st.Decoy && u != nil
	for i, key := range st.Asked {
		phc, found := hashes[key]
		if !found {
			if err := s.cfg.Hasher.Burn(ctx, answers[i]); err != nil {
				return false, s.hashErr(err)
			}
			ok = false
			continue
		}
		match, err := s.cfg.Hasher.Verify(ctx, phc, answers[i])
		switch {
		case errors.Is(err, questions.ErrOtherPepper), errors.Is(err, questions.ErrMalformed):
			// Registered under another server secret, or damaged: this user cannot use
			// questions until they register again; say so in the log, not to the user.
			s.log.Warn("a security answer cannot be verified", "user", u.UserPrincipalName, "err", err)
			match = false
		case err != nil:
			return false, s.hashErr(err)
		}
		ok = ok && match
	}
	return ok, nil
}

func (s *Service) hashErr(err error) error {
	if errors.Is(err, questions.ErrBusy) {
		return userErr(flow.KindProof, "questions.busy")
	}
	return fmt.Errorf("reset: check answers: %w", err)
}
