package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sspr/sspr/internal/store"
)

// userColumns is the order in which scanUser reads a user.
const userColumns = `id::text, source, anchor, dn, user_principal_name, display_name,
	mobile_phone_raw, mobile_phone_number, mobile_phone_type, mobile_phone_problem,
	office_phone_raw, office_phone_number, office_phone_type, office_phone_problem,
	alternate_emails, account_enabled, privileged, authentication_phone, authentication_email,
	directory_fields, directory_mobile_phone, mobile_phone_overridden, fingerprint,
	security_questions_count, security_questions_registered_at, version, created_at, updated_at,
	password_expires_at, preferred_language`

// scanUser reads one row of userColumns.
func scanUser(row pgx.Row) (store.User, error) {
	var (
		u                store.User
		source           string
		fp               int64
		sqAt, pwExp      *time.Time
		created, updated time.Time
	)
	err := row.Scan(&u.ID, &source, &u.Anchor, &u.DN, &u.UserPrincipalName, &u.DisplayName,
		&u.MobilePhone.Raw, &u.MobilePhone.Number, &u.MobilePhone.Type, &u.MobilePhone.Problem,
		&u.OfficePhone.Raw, &u.OfficePhone.Number, &u.OfficePhone.Type, &u.OfficePhone.Problem,
		&u.AlternateEmails, &u.AccountEnabled, &u.Privileged, &u.AuthenticationPhone, &u.AuthenticationEmail,
		&u.DirectoryFields, &u.DirectoryMobilePhone, &u.MobilePhoneOverridden, &fp,
		&u.SecurityQuestionsCount, &sqAt, &u.Version, &created, &updated, &pwExp, &u.PreferredLanguage)
	if err != nil {
		return store.User{}, err
	}
	u.Source = store.Source(source)
	if len(u.Anchor) == 0 {
		u.Anchor = nil
	}
	if len(u.AlternateEmails) == 0 {
		u.AlternateEmails = nil
	}
	if len(u.DirectoryFields) == 0 {
		u.DirectoryFields = nil
	}
	u.Fingerprint = uint64(fp)
	if sqAt != nil {
		t := sqAt.UTC()
		u.SecurityQuestionsRegisteredAt = &t
	}
	if pwExp != nil {
		t := pwExp.UTC()
		u.PasswordExpiresAt = &t
	}
	u.CreatedAt, u.UpdatedAt = created.UTC(), updated.UTC()
	return u, nil
}

// key is the case-insensitive form of a userPrincipalName or displayName, computed here rather
// than by the database so that both backends (and every database locale) agree.
func key(s string) string { return strings.ToLower(s) }

// list is a text[] value: never NULL.
func list(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}

// UserByUPN finds a user by userPrincipalName, case-insensitively.
func (s *Store) UserByUPN(ctx context.Context, upn string) (store.User, error) {
	u, err := scanUser(s.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE upn_key = $1`, key(upn)))
	if errors.Is(err, pgx.ErrNoRows) {
		return store.User{}, fmt.Errorf("user %q: %w", upn, store.ErrNotFound)
	}
	if err != nil {
		return store.User{}, fmt.Errorf("user %q: %w", upn, withCtx(ctx, err))
	}
	return u, nil
}

// where turns a filter into a WHERE clause and its arguments. Search uses strpos on the
// lower-cased columns, so '%' and '_' in it are plain characters.
func where(f store.UserFilter) (string, []any) {
	var (
		conds []string
		args  []any
	)
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if f.Source != "" {
		conds = append(conds, `source = `+arg(string(f.Source)))
	}
	if f.Search != "" {
		p := arg(key(f.Search))
		conds = append(conds, `(strpos(upn_key, `+p+`) > 0 OR strpos(display_name_key, `+p+`) > 0)`)
	}
	if f.AfterUPN != "" {
		conds = append(conds, `upn_key > `+arg(key(f.AfterUPN)))
	}
	if len(conds) == 0 {
		return "", nil
	}
	return ` WHERE ` + strings.Join(conds, ` AND `), args
}

// ListUsers calls fn for each matching user in userPrincipalName order (of the lower-cased form,
// byte by byte), reading rows as they come. fn runs while the query holds a pooled connection.
func (s *Store) ListUsers(ctx context.Context, f store.UserFilter, fn func(store.User) error) error {
	w, args := where(f)
	q := `SELECT ` + userColumns + ` FROM users` + w + ` ORDER BY upn_key`
	if f.Limit > 0 {
		q += ` LIMIT ` + strconv.Itoa(f.Limit)
	}
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("list users: %w", withCtx(ctx, err))
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
		return fmt.Errorf("list users: %w", withCtx(ctx, err))
	}
	return nil
}

// CountUsers counts the users ListUsers would return without a limit (Source, Search, AfterUPN).
func (s *Store) CountUsers(ctx context.Context, f store.UserFilter) (int, error) {
	w, args := where(f)
	var n int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM users`+w, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count users: %w", withCtx(ctx, err))
	}
	return n, nil
}
