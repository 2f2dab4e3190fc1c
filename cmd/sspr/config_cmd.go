package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/sspr/sspr/internal/config"
)

func newConfigCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "config", Short: "Check the configuration"}
	cmd.AddCommand(&cobra.Command{
		Use:   "validate",
		Short: "Load and validate the configuration file; report every problem at once",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.load()
			if err != nil {
				return err
			}
			src := cfg.Directory.URL
			if src == "" {
				src = cfg.Directory.File
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: valid (directory %s %s, store %s)\n", g.path(), cfg.Directory.Type, src, config.RedactURL(cfg.Store))
			return nil
		},
	})
	return cmd
}
