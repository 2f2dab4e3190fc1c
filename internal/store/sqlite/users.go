package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/sspr/sspr/internal/store"
)

// userColumns is the order in which scanUser reads a user.
const userColumns = `id, source, anchor, dn, user_principal_name, display_name,
	mobile_phone_raw, mobile_phone_number, mobile_phone_type, mobile_phone_problem,
	office_phone_raw, office_phone_number, office_phone_type, office_phone_problem,
	alternate_emails, account_enabled, privileged, authentication_phone, authentication_email,
	directory_fields, directory_mobile_phone, mobile_phone_overridden, fingerprint,
	security_questions_count, security_questions_registered_at, version, created_at, updated_at,
	password_expires_at, preferred_language`

type scanner interface{ Scan(dest ...any) error }

// scanUser reads one row of userColumns.
func scanUser(sc scanner) (store.User, error) {
	var (
		u                    store.User
		source, emails, flds string
		fp                   int64
		sqAt, pwExp          sql.NullInt64
		created, updated     int64
	)
	err := sc.Scan(&u.ID, &source, &u.Anchor, &u.DN, &u.UserPrincipalName, &u.DisplayName,
		&u.MobilePhone.Raw, &u.MobilePhone.Number, &u.MobilePhone.Type, &u.MobilePhone.Problem,
		&u.OfficePhone.Raw, &u.OfficePhone.Number, &u.OfficePhone.Type, &u.OfficePhone.Problem,
		&emails, &u.AccountEnabled, &u.Privileged, &u.AuthenticationPhone, &u.AuthenticationEmail,
		&flds, &u.DirectoryMobilePhone, &u.MobilePhoneOverridden, &fp,
		&u.SecurityQuestionsCount, &sqAt, &u.Version, &created, &updated, &pwExp, &u.PreferredLanguage)
	if err != nil {
		return store.User{}, err
	}
	u.Source = store.Source(source)
	if len(u.Anchor) == 0 {
		u.Anchor = nil
	}
	if u.AlternateEmails, err = decodeList(emails); err != nil {
		return store.User{}, fmt.Errorf("user %s: alternate_emails: %w", u.ID, err)
	}
	if u.DirectoryFields, err = decodeList(flds); err != nil {
		return store.User{}, fmt.Errorf("user %s: directory_fields: %w", u.ID, err)
	}
	u.Fingerprint = uint64(fp)
	if sqAt.Valid {
		t := fromMicros(sqAt.Int64)
		u.SecurityQuestionsRegisteredAt = &t
	}
	u.PasswordExpiresAt = timeOrNil(pwExp)
	u.CreatedAt = fromMicros(created)
	u.UpdatedAt = fromMicros(updated)
	return u, nil
}

// encodeList stores a string list as a JSON array.
func encodeList(l []string) (string, error) {
	if len(l) == 0 {
		return "[]", nil
	}
	// Fast path for the usual list of plain ASCII values (email addresses, field names).
	n := 1
	for _, s := range l {
		for i := 0; i < len(s); i++ {
			if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
				b, err := json.Marshal(l)
				return string(b), err
			}
		}
		n += len(s) + 3
	}
	var b strings.Builder
	b.Grow(n)
	b.WriteByte('[')
	for i, s := range l {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('"')
		b.WriteString(s)
		b.WriteByte('"')
	}
	b.WriteByte(']')
	return b.String(), nil
}

// decodeList reads encodeList's form; an empty list is nil.
func decodeList(s string) ([]string, error) {
	if s == "[]" || s == "" {
		return nil, nil
	}
	var l []string
	if err := json.Unmarshal([]byte(s), &l); err != nil {
		return nil, err
	}
	if len(l) == 0 {
		return nil, nil
	}
	return l, nil
}

// key is the case-insensitive form of a userPrincipalName or displayName.
func key(s string) string { return strings.ToLower(s) }

// UserByUPN finds a user by userPrincipalName, case-insensitively.
func (s *Store) UserByUPN(ctx context.Context, upn string) (store.User, error) {
	u, err := scanUser(s.readRow(ctx, qUserByUPN, key(upn)))
	if errors.Is(err, sql.ErrNoRows) {
		return store.User{}, fmt.Errorf("user %q: %w", upn, store.ErrNotFound)
	}
	if err != nil {
		return store.User{}, fmt.Errorf("user %q: %w", upn, err)
	}
	return u, nil
}

// where turns a filter into a WHERE clause and its arguments. Search uses instr on the
// lower-cased columns, so '%' and '_' in it are plain characters.
func where(f store.UserFilter, withAfter bool) (string, []any) {
	var (
		conds []string
		args  []any
	)
	if f.Source != "" {
		conds = append(conds, `source = ?`)
		args = append(args, string(f.Source))
	}
	if f.Search != "" {
		k := key(f.Search)
		conds = append(conds, `(instr(upn_key, ?) > 0 OR instr(display_name_key, ?) > 0)`)
		args = append(args, k, k)
	}
	if withAfter && f.AfterUPN != "" {
		conds = append(conds, `upn_key > ?`)
		args = append(args, key(f.AfterUPN))
	}
	if len(conds) == 0 {
		return "", nil
	}
	return ` WHERE ` + strings.Join(conds, ` AND `), args
}

// ListUsers calls fn for each matching user in userPrincipalName order (of the lower-cased form,
// byte by byte), reading rows as they come. fn runs while the query holds a reader connection.
func (s *Store) ListUsers(ctx context.Context, f store.UserFilter, fn func(store.User) error) error {
	w, args := where(f, true)
	q := `SELECT ` + userColumns + ` FROM users` + w + ` ORDER BY upn_key`
	if f.Limit > 0 {
		q += ` LIMIT ?`
		args = append(args, f.Limit)
	}
	rows, err := s.readRows(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return fmt.Errorf("list users: %w", err)
		}
		if err := fn(u); err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("list users: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("list users: %w", err)
	}
	return nil
}

// CountUsers counts the users ListUsers would return without a limit (Source, Search, AfterUPN).
func (s *Store) CountUsers(ctx context.Context, f store.UserFilter) (int, error) {
	w, args := where(f, true)
	var n int
	if err := s.readRow(ctx, `SELECT count(*) FROM users`+w, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count users: %w", err)
	}
	return n, nil
}
