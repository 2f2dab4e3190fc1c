package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/spf13/cobra"

	"github.com/sspr/sspr/internal/config"
	"github.com/sspr/sspr/internal/store/sqlite"
	"github.com/sspr/sspr/internal/store/storecopy"
)

func newStoreCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "store",
		Short: "Migrate, back up, restore or copy the store",
	}
	cmd.AddCommand(newStoreMigrateCmd(g), newStoreBackupCmd(g), newStoreRestoreCmd(g), newStoreCopyCmd())
	return cmd
}

func newStoreMigrateCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "migrate",
		Short: "Apply the schema migrations the store lacks (every command also does at start) and print the schema version before and after",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.load()
			if err != nil {
				return err
			}
			return storeMigrate(cmd.Context(), cfg, cmd.OutOrStdout())
		},
	}
}

func storeMigrate(ctx context.Context, cfg config.Config, out io.Writer) error {
	kind, target, err := config.ParseStore(cfg.Store)
	if err != nil {
		return configError{err: err}
	}
	version := func() (int, error) {
		if kind == config.StoreSQLite {
			v, _, err := sqlite.SchemaVersion(ctx, target)
			if errors.Is(err, fs.ErrNotExist) {
				return 0, nil
			}
			return v, err
		}
		return postgresSchemaVersion(ctx, cfg.StoreDSN())
	}
	before, err := version()
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	a, err := openApp(ctx, cfg, os.Stderr) // opening migrates
	if err != nil {
		return err
	}
	if err := a.Close(); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	after, err := version()
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if before == after {
		fmt.Fprintf(out, "%s: schema version %d, up to date\n", config.RedactURL(cfg.Store), after)
		return nil
	}
	fmt.Fprintf(out, "%s: schema version %d → %d\n", config.RedactURL(cfg.Store), before, after)
	return nil
}

// postgresSchemaVersion is the highest migration applied to the database (0: none).
func postgresSchemaVersion(ctx context.Context, dsn string) (int, error) {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return 0, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var v int
	err = conn.QueryRow(ctx, `SELECT CASE WHEN to_regclass('schema_migrations') IS NULL THEN 0
		ELSE (SELECT coalesce(max(version), 0) FROM schema_migrations) END`).Scan(&v)
	return v, err
}

// sqliteOnly returns the SQLite store's path, or a configuration error that says what to do
// with PostgreSQL instead.
func sqliteOnly(cfg config.Config, what, instead string) (string, error) {
	kind, target, err := config.ParseStore(cfg.Store)
	if err != nil {
		return "", configError{err: err}
	}
	if kind != config.StoreSQLite {
		return "", configError{msg: fmt.Sprintf("store %s works on a SQLite store; this one is PostgreSQL (%s): %s",
			what, config.RedactURL(cfg.Store), instead)}
	}
	return target, nil
}

const pgDumpHelp = "back it up with pg_dump, as any database: PGPASSFILE or PGPASSWORD from storePasswordFile, then " +
	"pg_dump --format=custom --file=sspr.dump 'postgres://USER@HOST/DB?sslmode=verify-full&sslrootcert=CA' (see \"Backups\" in the README)"

const pgRestoreHelp = "restore a pg_dump backup with pg_restore --clean --if-exists --no-owner --dbname='postgres://USER@HOST/DB' sspr.dump, " +
	"every sspr instance stopped (see \"Backups\" in the README)"

func newStoreBackupCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "backup FILE",
		Short: "Write a consistent copy of the SQLite store to FILE while sspr runs (PostgreSQL: pg_dump)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := g.load()
			if err != nil {
				return err
			}
			path, err := sqliteOnly(cfg, "backup", pgDumpHelp)
			if err != nil {
				return err
			}
			start := time.Now()
			info, err := sqlite.Backup(cmd.Context(), path, args[0])
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "backup of %s written to %s in %s: %d bytes, schema version %d, %d commits\n"+
				"restore: stop sspr, run sspr store restore %s, start sspr\n",
				path, args[0], time.Since(start).Round(time.Millisecond), info.Bytes, info.SchemaVersion, info.Commits, args[0])
			return nil
		},
	}
}

func newStoreRestoreCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "restore FILE",
		Short: "Put a backup from sspr store backup in place as the SQLite store; sspr must be stopped",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := g.load()
			if err != nil {
				return err
			}
			path, err := sqliteOnly(cfg, "restore", pgRestoreHelp)
			if err != nil {
				return err
			}
			info, err := sqlite.Restore(cmd.Context(), args[0], path)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s restored from %s: schema version %d, %d commits; "+
				"what was written after the backup is gone, and messages queued since then may be sent again\n",
				path, args[0], info.SchemaVersion, info.Commits)
			return nil
		},
	}
}

func newStoreCopyCmd() *cobra.Command {
	var from, to, toPasswordFile string
	var force, allowInsecure bool
	cmd := &cobra.Command{
		Use:   "copy --from sqlite:///PATH --to postgres://USER@HOST/DB",
		Short: "Copy every table of a SQLite store into a PostgreSQL database and verify the counts; sspr must be stopped",
		Long: `Copy every table of a SQLite store into a PostgreSQL database (which must exist, with its
role; the schema is created), in one transaction, then compare the rows of every table on both
sides and commit only when they agree. A target that holds rows is refused unless --force, which
empties it first. The password of the target comes from --to-password-file or
$SSPR_STORE_PASSWORD_FILE, never the URL; a target on another host needs
sslmode=verify-full&sslrootcert=CA unless --to-allow-insecure. Afterwards point store: at the
target (and storePasswordFile at the password) and start sspr.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fk, src, err := config.ParseStore(from)
			if err != nil || fk != config.StoreSQLite {
				return usagef("--from: want the SQLite store, sqlite:///path/to/sspr.db (%v)", err)
			}
			tk, _, err := config.ParseStore(to)
			if err != nil || tk != config.StorePostgres {
				return usagef("--to: want a PostgreSQL database, postgres://user@host/db (%v)", err)
			}
			dsn, err := config.StoreURL(to, toPasswordFile, allowInsecure, os.Getenv)
			if err != nil {
				return configError{err: err}
			}
			errOut := cmd.ErrOrStderr()
			res, err := storecopy.SQLiteToPostgres(cmd.Context(), src, dsn, storecopy.Options{Force: force,
				Progress: func(table string, n int64) { fmt.Fprintf(errOut, "copied %s: %d rows\n", table, n) }})
			if len(res.Tables) > 0 {
				w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
				fmt.Fprintln(w, "TABLE\tSOURCE\tTARGET\tTIME")
				for _, c := range res.Tables {
					fmt.Fprintf(w, "%s\t%d\t%d\t%s\n", c.Table, c.Source, c.Target, c.Duration.Round(time.Millisecond))
				}
				w.Flush()
			}
			if errors.Is(err, storecopy.ErrNotEmpty) {
				return configError{err: err}
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "copied %s to %s in %s; every table's rows counted on both sides\n",
				from, config.RedactURL(to), res.Duration.Round(time.Millisecond))
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&from, "from", "", "the SQLite store: sqlite:///path/to/sspr.db")
	f.StringVar(&to, "to", "", "the PostgreSQL database: postgres://user@host/db?sslmode=verify-full&sslrootcert=/etc/sspr/pg-ca.pem")
	f.StringVar(&toPasswordFile, "to-password-file", "", "file holding the target's password (default $SSPR_STORE_PASSWORD_FILE)")
	f.BoolVar(&allowInsecure, "to-allow-insecure", false, "allow a target on another host without sslmode=verify-full (tests only)")
	f.BoolVar(&force, "force", false, "empty a target that holds rows, then copy")
	cmd.MarkFlagRequired("from")
	cmd.MarkFlagRequired("to")
	return cmd
}
