package main

import (
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/sspr/sspr/internal/config"
	"github.com/sspr/sspr/internal/flow"
	"github.com/sspr/sspr/internal/report"
	"github.com/sspr/sspr/internal/store"
)

func newExplainCmd(g *globals) *cobra.Command {
	var output string
	var noDirectory bool
	cmd := &cobra.Command{
		Use:   "explain UPN",
		Short: "What happens if this user starts a password reset now, step by step",
		Long: `explain tells, in the order the reset flow runs, what happens if the user starts a reset now:
in scope, enabled, privileged (and why), every value read from the directory and how it was
normalized, the methods that yields and which the policy allows, throttles, registration state
(never the questions). It applies the same rule as the flow (flow.Methods). Membership of
reset.adminGroups is checked in the directory unless --no-directory is given.
Exit status 1 when the name matches no user.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := parseFormat(output, formatText, formatJSON)
			if err != nil {
				return err
			}
			a, err := g.openExisting(cmd.Context())
			if err != nil {
				return err
			}
			defer a.Close()
			e := newExplainer(a.store, a.cfg, a.log, !noDirectory)
			x, err := e.Explain(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if f == formatJSON {
				return writeJSON(cmd.OutOrStdout(), x)
			}
			return x.WriteText(cmd.OutOrStdout())
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "text", "text or json")
	cmd.Flags().BoolVar(&noDirectory, "no-directory", false, "do not ask the directory about reset.adminGroups membership")
	return cmd
}

// newExplainer wires report.Explainer: the policy, and the directory for admin-group checks
// when one is configured (an export file has none).
func newExplainer(st store.Store, cfg config.Config, log *slog.Logger, useDirectory bool) report.Explainer {
	e := report.Explainer{Store: st, Policy: cfg.Reset}
	if useDirectory && cfg.Directory.URL != "" && len(cfg.Reset.AdminGroups) > 0 {
		if dir, err := newWriteback(cfg); err == nil {
			e.Dir = dir
		} else {
			log.Warn("explain: no directory connection; admin groups not checked", "err", err)
		}
	}
	return e
}

var _ flow.MemberChecker = flowDirectory(nil)

// formatText is -o text: prose for people (explain).
const formatText format = "text"
