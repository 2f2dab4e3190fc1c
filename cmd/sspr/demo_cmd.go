package main

import (
	"fmt"
	"net"
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
		Long: `Starts a throwaway OpenLDAP on 127.0.0.1 seeded with 21 sample users (phone numbers in many
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
	// A busy port is said before anything else happens, with the way out.
	var pre net.Listener
	if !once {
		ln, err := net.Listen("tcp", listen)
		if err != nil {
			return usagef("%s is not free (%v): pick another address with make demo LISTEN=127.0.0.1:8081 (or sspr demo --listen 127.0.0.1:8081)", listen, err)
		}
		pre = ln
	}
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
	// Security questions, as the banner below promises (registered at /register).
	cfgText += "reset:\n  methods: [email, sms, voice, questions]\n"
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
	// The commands to try, as they can be typed here: the binary as it was started (bin/sspr
	// from make demo), not a bare "sspr" that may not be on PATH.
	self := os.Args[0]
	fmt.Fprintf(out, "\nTry: %[1]s -c %[2]s user list\n     %[1]s -c %[2]s user get carol -o table\n     %[1]s -c %[2]s report readiness -o csv\n     %[1]s -c %[2]s explain heidi\n", self, cfgPath)
	if srv != nil {
		fmt.Fprintf(out, "     %s -c %s sync --full --dry-run\n", self, cfgPath)
	}
	if once {
		return nil
	}
	pre.Close() // serve opens it again at once
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
