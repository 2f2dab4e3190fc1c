package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

func newDocsCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "docs", Short: "Generate documentation from the commands"}
	cmd.AddCommand(&cobra.Command{
		Use:   "man DIR",
		Short: "Write a man page per command (sspr.1, sspr-user-get.1, ...) into DIR",
		Long: `Writes one man page (section 1) per command into DIR, creating it: sspr.1, sspr-user.1,
sspr-user-get.1 and so on, from the same text as --help. Install them with
install -m 644 DIR/*.1 /usr/local/share/man/man1/. The pages' date is SOURCE_DATE_EPOCH when set
(reproducible builds), else today.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := args[0]
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return fmt.Errorf("docs: %w", err)
			}
			root := cmd.Root()
			root.DisableAutoGenTag = true
			header := &doc.GenManHeader{Title: "SSPR", Section: "1", Source: "sspr " + version, Manual: "sspr manual"}
			if err := doc.GenManTree(root, header, dir); err != nil {
				return fmt.Errorf("docs: %w", err)
			}
			n, _ := filepath.Glob(filepath.Join(dir, "*.1"))
			fmt.Fprintf(cmd.OutOrStdout(), "%d man pages in %s\n", len(n), dir)
			return nil
		},
	})
	return cmd
}
