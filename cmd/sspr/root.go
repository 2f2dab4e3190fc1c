package main

import (
	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// globals are the flags every subcommand shares.
type globals struct {
	configPath string
}

func newRootCmd() *cobra.Command {
	g := &globals{}
	root := &cobra.Command{
		Use:   "sspr",
		Short: "Self-service password reset for Active Directory, Samba AD and OpenLDAP users",
		Long: `sspr lets users reset a forgotten password without registering first: it synchronizes
their contact data (mobile → mobilePhone, telephoneNumber → officePhone) from the directory,
normalizes phone numbers to +CC NUMBER, and reports who can reset today and what to fix.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       version,
	}
	root.PersistentFlags().StringVarP(&g.configPath, "config", "c", "",
		"configuration file (default $SSPR_CONFIG, else /etc/sspr/sspr.yaml)")
	root.AddCommand(
		newConfigCmd(g),
		newSyncCmd(g),
		newUserCmd(g),
		newReportCmd(g),
		newServeCmd(g),
		newTokenCmd(g),
		newDemoCmd(),
	)
	return root
}
