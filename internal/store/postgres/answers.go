package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sspr/sspr/internal/store"
)

// validAnswers rejects answers the schema would not hold. A question twice is left to the unique
// constraint (ErrConflict).
func validAnswers(answers []store.SecurityAnswer) error {
	for i, a := range answers {
		switch {
		case a.QuestionKey == "":
			return fmt.Errorf("answer %d: empty question key", i+1)
		case a.Hash == "":
			return fmt.Errorf("answer %d (%s): empty hash", i+1, a.QuestionKey)
		}
	}
	return nil
}

// SetSecurityAnswers replaces the user's answers, in order, and sets the user's security
// questions' count and registration date (NULL when answers is empty), in one transaction. The
// user's Version and UpdatedAt stay. ErrNotFound when there is no such user, ErrConflict when a
// question comes twice (nothing is changed then).
func (s *Store) SetSecurityAnswers(ctx context.Context, userID string, answers []store.SecurityAnswer, at time.Time) error {
	if err := validAnswers(answers); err != nil {
		return fmt.Errorf("set security answers: %w", err)
	}
	uid, err := parseUserID(userID)
	if err != nil {
		return fmt.Errorf("set security answers: %w", err)
	}
	var registered *time.Time
	if len(answers) > 0 {
		t := ts(at)
		registered = &t
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE users SET security_questions_count = $1, security_questions_registered_at = $2
			WHERE id = $3`, len(answers), registered, uid)
		if err := oneRow(ctx, tag, err, "user "+userID); err != nil {
			return err
		}
		b := &pgx.Batch{}
		b.Queue(`DELETE FROM security_answers WHERE user_id = $1`, uid)
		for i, a := range answers {
			b.Queue(`INSERT INTO security_answers (user_id, position, question_key, hash) VALUES ($1, $2, $3, $4)`,
				uid, i+1, a.QuestionKey, a.Hash)
		}
		return tx.SendBatch(ctx, b).Close()
	})
	if isUniqueViolation(err) {
		return fmt.Errorf("set security answers: a question comes twice: %w", store.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("set security answers: %w", withCtx(ctx, err))
	}
	return nil
}

// SecurityAnswers returns the user's answers in the order they were set; none when the user has
// not registered. ErrNotFound when there is no such user.
func (s *Store) SecurityAnswers(ctx context.Context, userID string) ([]store.SecurityAnswer, error) {
	uid, err := parseUserID(userID)
	if err != nil {
		return nil, fmt.Errorf("security answers: %w", err)
	}
	rows, err := s.pool.Query(ctx, `SELECT question_key, hash FROM security_answers WHERE user_id = $1 ORDER BY position`, uid)
	if err != nil {
		return nil, fmt.Errorf("security answers: %w", withCtx(ctx, err))
	}
	defer rows.Close()
	var l []store.SecurityAnswer
	for rows.Next() {
		var a store.SecurityAnswer
		if err := rows.Scan(&a.QuestionKey, &a.Hash); err != nil {
			return nil, fmt.Errorf("security answers: %w", err)
		}
		l = append(l, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("security answers: %w", withCtx(ctx, err))
	}
	if len(l) == 0 {
		var exists bool
		if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users WHERE id = $1)`, uid).Scan(&exists); err != nil {
			return nil, fmt.Errorf("security answers: %w", withCtx(ctx, err))
		}
		if !exists {
			return nil, fmt.Errorf("security answers: user %s: %w", userID, store.ErrNotFound)
		}
	}
	return l, nil
}

// QuestionSets returns each registered set of questions and how many users registered it.
func (s *Store) QuestionSets(ctx context.Context) (map[string]int, error) {
	rows, err := s.pool.Query(ctx, `SELECT user_id, question_key FROM security_answers ORDER BY user_id, question_key`)
	if err != nil {
		return nil, fmt.Errorf("question sets: %w", withCtx(ctx, err))
	}
	defer rows.Close()
	sets := store.NewQuestionSets()
	for rows.Next() {
		var user, key string
		if err := rows.Scan(&user, &key); err != nil {
			return nil, fmt.Errorf("question sets: %w", err)
		}
		sets.Add(user, key)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("question sets: %w", withCtx(ctx, err))
	}
	return sets.Counts(), nil
}
