package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/sspr/sspr/internal/store"
)

// validAnswers rejects answers the schema would not hold. A question twice is left to the unique
// index (ErrConflict).
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
	var registered any
	if len(answers) > 0 {
		registered = micros(at)
	}
	err := s.wr.writeMany(ctx, func(c wconn) error {
		res, err := c.exec(`UPDATE users SET security_questions_count = ?, security_questions_registered_at = ?
			WHERE id = ?`, len(answers), registered, userID)
		if err := oneRow(res, err, "user "+userID); err != nil {
			return err
		}
		if _, err := c.exec(`DELETE FROM security_answers WHERE user_id = ?`, userID); err != nil {
			return err
		}
		for i, a := range answers {
			_, err := c.exec(`INSERT INTO security_answers (user_id, position, question_key, hash)
				VALUES (?, ?, ?, ?)`, userID, i+1, a.QuestionKey, a.Hash)
			if isUniqueViolation(err) {
				return fmt.Errorf("question %q twice: %w", a.QuestionKey, store.ErrConflict)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("set security answers: %w", err)
	}
	return nil
}

// SecurityAnswers returns the user's answers in the order they were set; none when the user has
// not registered. ErrNotFound when there is no such user.
func (s *Store) SecurityAnswers(ctx context.Context, userID string) ([]store.SecurityAnswer, error) {
	rows, err := s.readRows(ctx, `SELECT question_key, hash FROM security_answers WHERE user_id = ? ORDER BY position`, userID)
	if err != nil {
		return nil, fmt.Errorf("security answers: %w", err)
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
		return nil, fmt.Errorf("security answers: %w", err)
	}
	if len(l) == 0 {
		var one int
		if err := s.readRow(ctx, `SELECT 1 FROM users WHERE id = ?`, userID).Scan(&one); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				err = store.ErrNotFound
			}
			return nil, fmt.Errorf("security answers: user %s: %w", userID, err)
		}
	}
	return l, nil
}

// QuestionSets returns each registered set of questions and how many users registered it.
func (s *Store) QuestionSets(ctx context.Context) (map[string]int, error) {
	rows, err := s.readRows(ctx, `SELECT user_id, question_key FROM security_answers ORDER BY user_id, question_key`)
	if err != nil {
		return nil, fmt.Errorf("question sets: %w", err)
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
		return nil, fmt.Errorf("question sets: %w", err)
	}
	return sets.Counts(), nil
}
