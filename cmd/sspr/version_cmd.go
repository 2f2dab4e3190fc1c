package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print sspr's version, the Go version it was built with and the modules it contains",
		Long: `Prints sspr's version (set at build time; make build stamps git describe), the Go release
and platform, the build settings that matter (CGO_ENABLED, -trimpath, the VCS revision when
recorded) and every module compiled in, with its version and checksum: what a security advisory
about a dependency needs checked.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			bi, _ := debug.ReadBuildInfo()
			return writeVersion(cmd.OutOrStdout(), version, bi)
		},
	}
}

// writeVersion prints the version report; bi is nil when the binary carries no build
// information.
func writeVersion(w io.Writer, v string, bi *debug.BuildInfo) error {
	if v == "dev" && bi != nil && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		v = bi.Main.Version // go install module@version stamps the module's version
	}
	fmt.Fprintf(w, "sspr %s\n", v)
	fmt.Fprintf(w, "go %s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	if bi == nil {
		_, err := fmt.Fprintln(w, "(no build information in this binary)")
		return err
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "CGO_ENABLED", "-trimpath", "vcs.revision", "vcs.time", "vcs.modified", "GOAMD64", "GOARM64":
			fmt.Fprintf(w, "build %s=%s\n", s.Key, s.Value)
		}
	}
	for _, m := range bi.Deps {
		line := fmt.Sprintf("dep %s %s", m.Path, m.Version)
		if m.Replace != nil {
			line += fmt.Sprintf(" => %s %s", m.Replace.Path, m.Replace.Version)
		}
		if m.Sum != "" {
			line += " " + m.Sum
		}
		fmt.Fprintln(w, line)
	}
	return nil
}
