package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"strings"

	"github.com/sspr/sspr/internal/audit"
	"github.com/sspr/sspr/internal/config"
	"github.com/sspr/sspr/internal/directory"
	dircsv "github.com/sspr/sspr/internal/directory/csv"
	"github.com/sspr/sspr/internal/directory/ldap"
	"github.com/sspr/sspr/internal/directory/ldif"
	"github.com/sspr/sspr/internal/phone"
	"github.com/sspr/sspr/internal/secret"
	"github.com/sspr/sspr/internal/store"
	"github.com/sspr/sspr/internal/store/postgres"
	"github.com/sspr/sspr/internal/store/sqlite"
	"github.com/sspr/sspr/internal/syncer"
)

const defaultConfigPath = "/etc/sspr/sspr.yaml"

// configPath is the --config flag, else $SSPR_CONFIG, else the default.
func (g *globals) path() string {
	if g.configPath != "" {
		return g.configPath
	}
	if p := os.Getenv("SSPR_CONFIG"); p != "" {
		return p
	}
	return defaultConfigPath
}

// load reads and validates the configuration file. Every error is a configuration error (exit
// status 2), a file that cannot be read included.
func (g *globals) load() (config.Config, error) {
	path := g.path()
	cfg, err := config.Load(path, os.Getenv)
	switch {
	case err == nil:
		return cfg, nil
	case errors.Is(err, fs.ErrNotExist):
		return cfg, configError{err: err, msg: fmt.Sprintf("%v (give the configuration file with --config FILE or $SSPR_CONFIG)", err)}
	default:
		return cfg, configError{err: err}
	}
}

// app is a loaded configuration with what the commands build from it.
type app struct {
	cfg   config.Config
	log   *slog.Logger
	store store.Store
	// syncMetrics, set by sspr serve, records the runs of every engine built (nil: none).
	syncMetrics *syncer.Metrics
}

// storeUse says whether a command may create the store it opens.
type storeUse int

const (
	// storeWrite: the command writes (sync, serve, user set, token create): a SQLite store that
	// does not exist yet is created.
	storeWrite storeUse = iota + 1
	// storeRead: the command only reads (user get, user list, report, sync runs, token list): a
	// SQLite store path that names no file is a configuration error (exit status 2) that names
	// the path, and nothing is created, so a mistyped path does not leave an empty store behind.
	storeRead
)

// open loads the configuration, sets up logging and opens the store, creating it if needed:
// for commands that write.
func (g *globals) open(ctx context.Context) (*app, error) { return g.openFor(ctx, storeWrite) }

// openExisting is open for commands that only read: it never creates the store.
func (g *globals) openExisting(ctx context.Context) (*app, error) { return g.openFor(ctx, storeRead) }

func (g *globals) openFor(ctx context.Context, use storeUse) (*app, error) {
	cfg, err := g.load()
	if err != nil {
		return nil, err
	}
	return newApp(ctx, cfg, os.Stderr, use)
}

// openApp opens the app of cfg for a command that writes.
func openApp(ctx context.Context, cfg config.Config, logTo io.Writer) (*app, error) {
	return newApp(ctx, cfg, logTo, storeWrite)
}

func newApp(ctx context.Context, cfg config.Config, logTo io.Writer, use storeUse) (*app, error) {
	a := &app{cfg: cfg, log: newLogger(cfg.Log, logTo)}
	st, err := openStore(ctx, cfg.StoreDSN(), a.log, use)
	if err != nil {
		return nil, err
	}
	a.store = st
	a.setAuditKey()
	return a, nil
}

// setAuditKey gives the store the audit chain's key, derived from the server secret, so that
// the events every command appends are chained with it. Without a readable secret the store
// keeps audit.Unkeyed, and `sspr audit verify` reports those events.
func (a *app) setAuditKey() {
	if a.cfg.Server.SecretFile == "" {
		return
	}
	key, err := secret.Load(a.cfg.Server.SecretFile)
	if err != nil {
		a.log.Warn("audit events are chained without the server secret: it cannot be read", "err", err)
		return
	}
	if s, ok := a.store.(interface{ SetAuditKey([]byte) }); ok {
		s.SetAuditKey(key.Derive(audit.Purpose))
	}
}

func (a *app) Close() error { return a.store.Close() }

func newLogger(c config.Log, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(c.Level))
	opts := &slog.HandlerOptions{Level: level}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func openStore(ctx context.Context, url string, log *slog.Logger, use storeUse) (store.Store, error) {
	kind, target, err := config.ParseStore(url)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	switch kind {
	case config.StoreSQLite:
		opts := []sqlite.Option{sqlite.WithLogger(log)} // creates a missing folder 0700
		if use == storeRead {
			opts = append(opts, sqlite.MustExist())
		}
		st, err := sqlite.Open(ctx, target, opts...)
		if use == storeRead && errors.Is(err, fs.ErrNotExist) {
			return nil, configError{err: err, msg: fmt.Sprintf(
				"store: no store at %s: this command only reads, so it does not create one (check the store setting, or run sspr sync first)", target)}
		}
		if err != nil {
			return nil, fmt.Errorf("store: open %s: %w", target, err)
		}
		return st, nil
	default:
		st, err := postgres.Open(ctx, target)
		if err != nil {
			return nil, fmt.Errorf("store: open postgres: %w", err)
		}
		return st, nil
	}
}

// newReader builds the directory reader the configuration names.
func newReader(d config.Directory) (directory.Reader, error) {
	schema := directory.Schema{Kind: d.Type, Mapping: d.Mapping}
	if d.File != "" {
		if d.FileFormat == "csv" {
			return dircsv.New(d.File, schema, dircsv.Options{ObjectClass: d.ObjectClass}), nil
		}
		return ldif.New(d.File, schema, ldif.Options{ObjectClass: d.ObjectClass}), nil
	}
	r, err := ldap.New(ldap.Config{
		Kind:             d.Type,
		Endpoint:         d.Endpoint,
		BaseDNs:          d.BaseDNs,
		Filter:           d.Filter,
		Group:            d.Group,
		Mapping:          d.Mapping,
		PageSize:         d.PageSize,
		PasswordPolicyDN: d.PasswordPolicyDN,
	})
	if err != nil {
		return nil, fmt.Errorf("directory: %w", err)
	}
	return r, nil
}

func (a *app) engine() (*syncer.Engine, error) { return a.engineLogging(a.log) }

// engineLogging is engine with another logger (the sync command prints its own summary, so its
// engine logs only warnings).
func (a *app) engineLogging(log *slog.Logger) (*syncer.Engine, error) {
	r, err := newReader(a.cfg.Directory)
	if err != nil {
		return nil, err
	}
	n, err := phone.NewNormalizer(a.cfg.Phone.DefaultRegion)
	if err != nil {
		return nil, fmt.Errorf("phone: %w", err)
	}
	return syncer.New(a.store, r, n, syncer.Config{
		DeleteThreshold:     a.cfg.Sync.DeleteThreshold,
		OwnsAlternateEmails: a.cfg.Directory.Mapping.AlternateEmails != "",
		DefaultRegion:       strings.ToUpper(a.cfg.Phone.DefaultRegion),
		OnContactChange:     a.contactNotices(),
		Metrics:             a.syncMetrics,
	}, log), nil
}

// warnOnly passes on warnings and errors only.
type warnOnly struct{ slog.Handler }

func (w warnOnly) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelWarn && w.Handler.Enabled(ctx, l)
}
func (w warnOnly) WithAttrs(as []slog.Attr) slog.Handler { return warnOnly{w.Handler.WithAttrs(as)} }
func (w warnOnly) WithGroup(name string) slog.Handler    { return warnOnly{w.Handler.WithGroup(name)} }
