package main

import (
	"fmt"
	"strings"

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
		newExplainCmd(g),
		newServeCmd(g),
		newTokenCmd(g),
		newAuditCmd(g),
		newDemoCmd(),
		newStoreCmd(g),
		newVersionCmd(),
		newHealthCmd(),
		newDocsCmd(),
	)
	completeUsers(root, g)
	strictUsage(root)
	return root
}

// strictUsage makes every mistake on the command line a usageError (exit status 2), where cobra
// returns plain errors (exit 1) or prints the help and succeeds (exit 0): an unknown command or
// flag, a bad flag value, a missing or extra argument, a missing required flag, and a command
// group (sspr user) run without one of its commands. Call it once the tree is complete.
func strictUsage(root *cobra.Command) {
	root.InitDefaultCompletionCmd() // cobra adds it at Execute otherwise, after this walk
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usagef("%v (usage: %s; see %s --help)", err, c.UseLine(), c.CommandPath())
	})
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			walk(sub)
		}
		if c.HasSubCommands() && !c.Runnable() {
			// cobra finds the subcommand before it runs this, so the args here are not one.
			c.Args = cobra.ArbitraryArgs
			if c.SuggestionsMinimumDistance <= 0 {
				c.SuggestionsMinimumDistance = 2 // cobra's default, which only its own message sets
			}
			c.RunE = func(c *cobra.Command, args []string) error {
				if len(args) > 0 {
					return usagef("unknown command %q for %q%s (see %s --help)",
						args[0], c.CommandPath(), didYouMean(c.SuggestionsFor(args[0])), c.CommandPath())
				}
				var names []string
				for _, sub := range c.Commands() {
					if sub.IsAvailableCommand() {
						names = append(names, sub.Name())
					}
				}
				return usagef("missing command: %s takes one of %s (see %s --help)", c.CommandPath(), strings.Join(names, ", "), c.CommandPath())
			}
			return
		}
		check := c.Args
		c.Args = func(c *cobra.Command, args []string) error {
			if check != nil {
				if err := check(c, args); err != nil {
					return usagef("%v (usage: %s)", err, c.UseLine())
				}
			}
			// cobra checks these after the arguments, with plain errors: check them first.
			if err := c.ValidateRequiredFlags(); err != nil {
				return usagef("%v (usage: %s)", err, c.UseLine())
			}
			if err := c.ValidateFlagGroups(); err != nil {
				return usagef("%v (usage: %s)", err, c.UseLine())
			}
			return nil
		}
	}
	walk(root)
}

func didYouMean(suggestions []string) string {
	if len(suggestions) == 0 {
		return ""
	}
	return fmt.Sprintf("; did you mean %q?", strings.Join(suggestions, `" or "`))
}
