package main

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/sspr/sspr/internal/api"
	"github.com/sspr/sspr/internal/store"
)

// Audit event types of token administration.
const (
	eventTokenCreated = "admin.token.created"
	eventTokenRevoked = "admin.token.revoked"
)

func newTokenCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "token",
		Short: "API tokens for the REST API (/api/v1/)",
		Long: `Bearer tokens for the administrators' REST API. A token is shown once, when it is created;
sspr keeps only its SHA-256. Scopes: users:read (list and read users), users:write (set fields,
create and delete cloud users), sync (list sync runs, start one), reports (readiness report), audit:read (read the audit log).`,
	}
	cmd.AddCommand(newTokenCreateCmd(g), newTokenListCmd(g), newTokenRevokeCmd(g))
	return cmd
}

func newTokenCreateCmd(g *globals) *cobra.Command {
	var name, output string
	var scopes []string
	cmd := &cobra.Command{
		Use:   "create --name NAME --scope SCOPE[,SCOPE]",
		Short: "Create a token and print it once",
		Example: `  sspr token create --name helpdesk --scope users:read,users:write
  curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8080/api/v1/users?select=mobilePhone`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, err := parseFormat(output, formatTable, formatJSON)
			if err != nil {
				return err
			}
			secret, tok, err := api.NewToken(name, scopes, time.Now())
			if errors.Is(err, api.ErrBadToken) {
				return usagef("%v", err)
			}
			if err != nil {
				return err
			}
			a, err := g.open(cmd.Context())
			if err != nil {
				return err
			}
			defer a.Close()
			_, st, err := a.admin()
			if err != nil {
				return err
			}
			if err := st.CreateToken(cmd.Context(), &tok); err != nil {
				if errors.Is(err, store.ErrConflict) {
					return fmt.Errorf("a token named %q exists: revoke it first (sspr token revoke %s) or choose another name", name, name)
				}
				return err
			}
			if err := st.AppendAudit(cmd.Context(), &store.AuditEvent{Type: eventTokenCreated, Actor: cliActor().Name,
				Details: map[string]string{"name": tok.Name, "scopes": strings.Join(tok.Scopes, ",")}}); err != nil {
				return err
			}
			if f == formatJSON {
				return writeJSON(cmd.OutOrStdout(), map[string]any{"name": tok.Name, "scopes": tok.Scopes, "token": secret})
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "token %q (%s) created; it is shown only now:\n", tok.Name, strings.Join(tok.Scopes, ", "))
			fmt.Fprintln(cmd.OutOrStdout(), secret)
			return nil
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "a name for the token, recorded in the audit log of each change made with it (required)")
	cmd.Flags().StringSliceVar(&scopes, "scope", nil, "users:read, users:write, sync, reports, audit:read (repeatable or comma-separated; required)")
	cmd.Flags().StringVarP(&output, "output", "o", "table", "table (the token alone on stdout) or json")
	_ = cmd.MarkFlagRequired("name")
	_ = cmd.MarkFlagRequired("scope")
	return cmd
}

func newTokenListCmd(g *globals) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List tokens: name, scopes, created, last used, revoked",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, err := parseFormat(output, formatTable, formatJSON)
			if err != nil {
				return err
			}
			a, err := g.openExisting(cmd.Context())
			if err != nil {
				return err
			}
			defer a.Close()
			_, st, err := a.admin()
			if err != nil {
				return err
			}
			toks, err := st.ListTokens(cmd.Context())
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if f == formatJSON {
				type tokenJSON struct {
					Name       string     `json:"name"`
					Scopes     []string   `json:"scopes"`
					CreatedAt  time.Time  `json:"createdAt"`
					LastUsedAt *time.Time `json:"lastUsedAt"`
					RevokedAt  *time.Time `json:"revokedAt"`
				}
				l := make([]tokenJSON, 0, len(toks))
				for _, t := range toks {
					l = append(l, tokenJSON{t.Name, t.Scopes, t.CreatedAt, t.LastUsedAt, t.RevokedAt})
				}
				return writeJSON(out, l)
			}
			rw, _ := newRowWriter(out, formatTable, []string{"NAME", "SCOPES", "CREATED", "LAST USED", "REVOKED"})
			when := func(t *time.Time) string {
				if t == nil {
					return ""
				}
				return t.Local().Format(time.DateTime)
			}
			for _, t := range toks {
				_ = rw.Write([]string{t.Name, strings.Join(t.Scopes, ","), when(&t.CreatedAt), when(t.LastUsedAt), when(t.RevokedAt)})
			}
			return rw.Flush()
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "table", "table or json")
	return cmd
}

func newTokenRevokeCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "revoke NAME",
		Short: "Revoke a token: it stops working at once",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := g.open(cmd.Context())
			if err != nil {
				return err
			}
			defer a.Close()
			_, st, err := a.admin()
			if err != nil {
				return err
			}
			if err := st.RevokeToken(cmd.Context(), args[0], time.Now()); err != nil {
				if errors.Is(err, store.ErrNotFound) {
					return fmt.Errorf("no token named %q (sspr token list)", args[0])
				}
				return err
			}
			if err := st.AppendAudit(cmd.Context(), &store.AuditEvent{Type: eventTokenRevoked, Actor: cliActor().Name,
				Details: map[string]string{"name": args[0]}}); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "token %q revoked\n", args[0])
			return nil
		},
	}
}
