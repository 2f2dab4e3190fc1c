package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/sspr/sspr/internal/config"
	"github.com/sspr/sspr/internal/demo"
	"github.com/sspr/sspr/internal/secret"
	"github.com/sspr/sspr/internal/slapd"
	"github.com/sspr/sspr/internal/syncer"
)

func newDemoCmd() *cobra.Command {
	var dir, listen string
	var once, noSlapd bool
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Start a throwaway directory with sample users, sync them and print the readiness report",
		Long: `Starts a throwaway OpenLDAP on 127.0.0.1 seeded with ~20 sample users (phone numbers in many
formats, some broken), syncs them into an embedded SQLite store under --dir and prints the
readiness report. When slapd is not installed, the same users are read from the bundled LDIF
export instead. The demo keeps running (so you can try the other commands with the config it
wrote) until Ctrl-C, unless --once.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDemo(cmd, dir, listen, once, noSlapd)
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "sspr-demo", "working directory for the demo's store, directory and config (recreated)")
	cmd.Flags().BoolVar(&once, "once", false, "exit after printing the report")
	cmd.Flags().StringVar(&listen, "listen", "127.0.0.1:8080", "where the demo serves the reset pages")
	cmd.Flags().BoolVar(&noSlapd, "no-slapd", false, "read the sample LDIF export even when slapd is installed")
	return cmd
}

func runDemo(cmd *cobra.Command, dir, listen string, once, noSlapd bool) error {
	ctx := cmd.Context()
	out := cmd.OutOrStdout()
	dir, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	storePath := filepath.Join(dir, "sspr.db")
	cfgPath := filepath.Join(dir, "sspr.yaml")

	var cfgText string
	var srv *slapd.Server
	if slapd.Available() == nil && !noSlapd {
		srv, err = slapd.Start(ctx, slapd.Options{
			Dir:           filepath.Join(dir, "slapd"),
			Suffix:        demo.Suffix,
			AdminPassword: "demo-admin-password",
			LDIF:          [][]byte{demo.SampleLDIF},
			TLS:           true,
			PPolicy:       true, // the sample has a disabled (permanently locked) account
		})
		if err != nil {
			return fmt.Errorf("demo: start OpenLDAP: %w", err)
		}
		defer srv.Stop()
		pwFile := filepath.Join(dir, "bind-password")
		if err := os.WriteFile(pwFile, []byte(srv.AdminPassword+"\n"), 0o600); err != nil {
			return err
		}
		cfgText = demo.LiveConfig(storePath, srv.LDAPSURL, srv.AdminDN, pwFile, srv.CAFile)
		fmt.Fprintf(out, "demo directory: OpenLDAP at %s (pid %d), %d sample users under %s\n", srv.LDAPSURL, srv.PID, demo.Users, demo.BaseDN)
	} else {
		ldifPath := filepath.Join(dir, "sample.ldif")
		if err := os.WriteFile(ldifPath, demo.SampleLDIF, 0o640); err != nil {
			return err
		}
		cfgText = demo.FileConfig(storePath, ldifPath)
		fmt.Fprintf(out, "demo directory: slapd is not installed (apt-get install slapd), reading the sample as an LDIF export: %s\n", ldifPath)
	}
	secretPath := filepath.Join(dir, "secret")
	key, err := secret.Generate(secretPath)
	if err != nil {
		return err
	}
	cfgText += demo.Server(listen, secretPath, filepath.Join(dir, "outbox.jsonl"))
	if err := os.WriteFile(cfgPath, []byte(cfgText), 0o640); err != nil {
		return err
	}
	cfg, err := config.Load(cfgPath, func(string) string { return "" })
	if err != nil {
		return err
	}
	cfg.Log.Level = "warn" // the demo prints its own summary
	a, err := openApp(ctx, cfg, os.Stderr)
	if err != nil {
		return err
	}
	defer a.Close()
	fmt.Fprintf(out, "config: %s\n\n", cfgPath)
	if err := runSync(ctx, a, syncer.Options{}, out, false, true); err != nil {
		return err
	}
	fmt.Fprintln(out)
	if err := writeReadiness(cmd, a.store, a.cfg.Reset, formatTable, false); err != nil {
		return err
	}
	fmt.Fprintf(out, "\nTry: sspr -c %s user list\n     sspr -c %s user get carol -o table\n     sspr -c %s report readiness -o csv\n", cfgPath, cfgPath, cfgPath)
	if srv != nil {
		fmt.Fprintf(out, "     sspr -c %s sync --full --dry-run\n", cfgPath)
	}
	if once {
		return nil
	}
	return serve(ctx, a, key, serveOptions{out: out, ready: func(addr string) {
		fmt.Fprintf(out, "\nReset a password: open http://%s/reset and enter alice (or carol, victor, zoe).\n", addr)
		fmt.Fprintf(out, "Unlock an account: http://%s/unlock\n", addr)
		if srv != nil {
			fmt.Fprintf(out, "Register authentication data and security questions: http://%s/register\n"+
				"  (sign in as alice with Demo-Passw0rd-01; the sample's passwords are Demo-Passw0rd-01 to -21 in file order)\n", addr)
		}
		fmt.Fprintf(out, "The codes sspr sends are printed below (the console channel) and appended to %s.\n"+
			"Press Ctrl-C to stop the demo.\n\n", filepath.Join(dir, "outbox.jsonl"))
	}})
}
