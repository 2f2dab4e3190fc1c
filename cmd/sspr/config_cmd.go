package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/sspr/sspr/internal/config"
	"github.com/sspr/sspr/internal/notify/smtp"
	"github.com/sspr/sspr/internal/store"
	"github.com/sspr/sspr/internal/store/postgres"
	"github.com/sspr/sspr/internal/store/sqlite"
)

// checkTimeout bounds each connection check that has no timeout of its own (store, SMTP).
const checkTimeout = 20 * time.Second

func newConfigCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "config", Short: "Check the configuration"}
	var connect bool
	validate := &cobra.Command{
		Use:   "validate",
		Short: "Check that the configuration has everything sspr serve needs; --connect also tests the store, the directory and SMTP",
		Long: `Loads the configuration and reports every problem at once, each with its key path:
unknown keys, invalid values, unreadable secret files, a server secret shorter than 32 bytes,
a public URL that is not https (http only towards the loopback), a reset method without a
delivery channel, incomplete SMTP, Twilio or webhook settings. Warnings (a secret file others
may read) are printed and do not fail. Exit status 2 when the configuration has a problem.

With --connect it then tests each connection and prints a PASS or FAIL line for each: the
store is opened (a SQLite file that does not exist fails; none is created), the directory is
bound as the service account and one entry in scope is read, and an SMTP session is opened up
to authentication (EHLO, STARTTLS or TLS, AUTH) without sending anything. Exit status 1 when a
check fails.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.load()
			if err != nil {
				return err
			}
			problems, warnings := cfg.CheckServe()
			for _, w := range warnings {
				fmt.Fprintln(cmd.ErrOrStderr(), "warning:", w)
			}
			if len(problems) > 0 {
				return &config.Error{File: g.path(), Problems: problems}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: valid (%s)\n", g.path(), cfg.Describe())
			if !connect {
				return nil
			}
			return connectChecks(cmd.Context(), cfg, cmd.OutOrStdout())
		},
	}
	validate.Flags().BoolVar(&connect, "connect", false, "also open the store, bind to the directory and open an SMTP session (nothing is sent or written)")
	cmd.AddCommand(validate)
	return cmd
}

// check is one connection test: what it tests and how.
type check struct {
	name string
	run  func(ctx context.Context) (string, error) // what passed, or why not
}

// connectChecks runs every connection test the configuration calls for and prints one line
// each; the error says how many failed.
func connectChecks(ctx context.Context, cfg config.Config, out io.Writer) error {
	checks := []check{{"store", func(ctx context.Context) (string, error) { return checkStore(ctx, cfg.StoreDSN()) }}}
	if cfg.Directory.URL != "" {
		checks = append(checks, check{"directory", func(ctx context.Context) (string, error) { return checkDirectory(ctx, cfg.Directory) }})
	} else {
		checks = append(checks, check{"directory", func(context.Context) (string, error) { return checkExport(cfg.Directory.File) }})
	}
	if s := cfg.Notify.Email.SMTP; s != nil {
		checks = append(checks, check{"notify.email.smtp", func(ctx context.Context) (string, error) { return checkSMTP(ctx, *s) }})
	}
	failed := 0
	for _, c := range checks {
		what, err := c.run(ctx)
		if err != nil {
			failed++
			// One line per check: a multi-line error (pgx's) is joined.
			fmt.Fprintf(out, "FAIL %s: %s\n", c.name, strings.Join(strings.Fields(err.Error()), " "))
			continue
		}
		fmt.Fprintf(out, "PASS %s: %s\n", c.name, what)
	}
	for name, ch := range map[string]config.NotifyChannel{"email": cfg.Notify.Email, "sms": cfg.Notify.SMS, "voice": cfg.Notify.Voice} {
		switch {
		case ch.Twilio != nil:
			fmt.Fprintf(out, "SKIP notify.%s.twilio: not tested (any request would send a message)\n", name)
		case ch.Webhook != nil:
			fmt.Fprintf(out, "SKIP notify.%s.webhook: not tested (any request would send a message)\n", name)
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d connection checks failed", failed, len(checks))
	}
	return nil
}

// checkStore opens the store without creating it and counts its users.
func checkStore(ctx context.Context, raw string) (string, error) {
	kind, target, err := config.ParseStore(raw)
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(ctx, checkTimeout)
	defer cancel()
	var st store.Store
	switch kind {
	case config.StoreSQLite:
		fi, err := os.Stat(target)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return "", fmt.Errorf("no SQLite store at %s (nothing was created): check the store setting, or run sspr sync to create it", target)
		case err != nil:
			return "", fmt.Errorf("SQLite store %s: %w", target, err)
		case fi.IsDir():
			return "", fmt.Errorf("SQLite store %s is a directory, not a database file", target)
		}
		s, err := sqlite.Open(ctx, target)
		if err != nil {
			return "", fmt.Errorf("cannot open the SQLite store %s: %w", target, err)
		}
		st = s
	default:
		s, err := postgres.Open(ctx, target)
		if err != nil {
			return "", fmt.Errorf("cannot reach the PostgreSQL store at %s: %w", pgHost(target), err)
		}
		st = s
	}
	defer st.Close()
	n, err := st.CountUsers(ctx, store.UserFilter{})
	if err != nil {
		return "", fmt.Errorf("store %s opened, but reading it failed: %w", config.RedactURL(raw), err)
	}
	return fmt.Sprintf("%s opened, %d users", config.RedactURL(raw), n), nil
}

// pgHost is the host:port of a postgres URL, for a message without the password.
func pgHost(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && u.Host != "" {
		return u.Host
	}
	return "(dsn)"
}

// checkDirectory binds as the service account and reads one entry in scope.
func checkDirectory(ctx context.Context, d config.Directory) (string, error) {
	r, err := newReader(d)
	if err != nil {
		return "", err
	}
	p, ok := r.(interface {
		Probe(context.Context) (string, error)
	})
	if !ok {
		return "", errors.New("this directory reader cannot be tested")
	}
	dn, err := p.Probe(ctx)
	if err != nil {
		return "", err
	}
	if dn == "" {
		return "", fmt.Errorf("bound to %s as %s, but no entry is in scope: check directory.baseDNs and directory.filter", d.URL, d.BindDN)
	}
	return fmt.Sprintf("bound to %s as %s, read %s", d.URL, d.BindDN, dn), nil
}

// checkExport opens the export file the directory is read from.
func checkExport(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("export file: %w", err)
	}
	defer f.Close()
	return "export file " + path + " is readable", nil
}

// checkSMTP opens a session up to authentication and quits without sending.
func checkSMTP(ctx context.Context, c smtp.Config) (string, error) {
	ch, err := smtp.New(c)
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(ctx, checkTimeout)
	defer cancel()
	if err := ch.Check(ctx); err != nil {
		return "", err
	}
	c = c.WithDefaults()
	what := fmt.Sprintf("%s:%d (tls: %s)", c.Host, c.Port, c.TLS)
	if c.Username != "" {
		what += ", authenticated as " + c.Username
	}
	return what + "; nothing sent", nil
}
