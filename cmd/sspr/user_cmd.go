package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sspr/sspr/internal/flow"
	"github.com/sspr/sspr/internal/report"
	"github.com/sspr/sspr/internal/store"
	"github.com/sspr/sspr/internal/userview"
)

func newUserCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "user", Short: "Read and set users and their authentication data"}
	cmd.AddCommand(newUserGetCmd(g), newUserListCmd(g),
		newUserSetCmd(g), newUserCreateCmd(g), newUserDeleteCmd(g), newUserImportCmd(g))
	return cmd
}

func newUserGetCmd(g *globals) *cobra.Command {
	var output, sel string
	cmd := &cobra.Command{
		Use:   "get USERPRINCIPALNAME",
		Short: "Show one user (like Get-MsolUser -UserPrincipalName ... | select MobilePhone)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := parseFormat(output, formatJSON, formatTable, formatCSV)
			if err != nil {
				return err
			}
			fields, err := userview.ParseSelect(sel)
			if err != nil {
				return usagef("--select: %v", err)
			}
			a, err := g.openExisting(cmd.Context())
			if err != nil {
				return err
			}
			defer a.Close()
			u, err := a.store.UserByUPN(cmd.Context(), args[0])
			if errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("no user %q", args[0])
			}
			if err != nil {
				return err
			}
			v := userview.FromStore(u)
			switch {
			case f == formatJSON && sel == "":
				return writeJSON(cmd.OutOrStdout(), v)
			case f == formatJSON:
				return writeJSON(cmd.OutOrStdout(), v.Select(fields))
			case f == formatCSV:
				rw, err := newRowWriter(cmd.OutOrStdout(), formatCSV, fields)
				if err != nil {
					return err
				}
				_ = rw.Write(v.Cells(fields))
				return rw.Flush()
			}
			rw, _ := newRowWriter(cmd.OutOrStdout(), formatTable, []string{"FIELD", "VALUE"})
			for _, col := range fields {
				_ = rw.Write([]string{col, v.Cell(col)})
			}
			return rw.Flush()
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "json", "json, table or csv")
	cmd.Flags().StringVar(&sel, "select", "", "only these fields, comma-separated (e.g. mobilePhone,officePhone)")
	return cmd
}

func newUserListCmd(g *globals) *cobra.Command {
	var output, source, search, readiness, sel string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List users (like Get-MsolUser | select DisplayName,MobilePhone | Format-Table)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, err := parseFormat(output, formatTable, formatJSON, formatCSV)
			if err != nil {
				return err
			}
			fields, err := userview.ParseSelect(sel)
			if err != nil {
				return usagef("--select: %v", err)
			}
			if err := checkReadiness(readiness); err != nil {
				return err
			}
			filter := store.UserFilter{Search: search}
			switch source {
			case "":
			case string(store.SourceDirectory), string(store.SourceCloud):
				filter.Source = store.Source(source)
			default:
				return usagef("--source %s: use directory or cloud", source)
			}
			a, err := g.openExisting(cmd.Context())
			if err != nil {
				return err
			}
			defer a.Close()
			keep, err := readinessFilter(cmd.Context(), a.store, a.cfg.Reset, readiness)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			bw := bufio.NewWriterSize(out, 64<<10)
			defer bw.Flush()
			if f == formatJSON {
				arr := &jsonArray{w: bw}
				if err := a.store.ListUsers(cmd.Context(), filter, func(u store.User) error {
					if !keep(u) {
						return nil
					}
					if sel == "" {
						return arr.Add(userview.FromStore(u))
					}
					return arr.Add(userview.FromStore(u).Select(fields))
				}); err != nil {
					return err
				}
				if err := arr.Close(); err != nil {
					return err
				}
				return bw.Flush()
			}
			rw, err := newRowWriter(bw, f, fields)
			if err != nil {
				return err
			}
			if err := a.store.ListUsers(cmd.Context(), filter, func(u store.User) error {
				if !keep(u) {
					return nil
				}
				return rw.Write(userview.FromStore(u).Cells(fields))
			}); err != nil {
				return err
			}
			if err := rw.Flush(); err != nil {
				return err
			}
			return bw.Flush()
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "table", "table, json or csv")
	cmd.Flags().StringVar(&source, "source", "", "only users from this source: directory or cloud")
	cmd.Flags().StringVar(&search, "search", "", "only users whose userPrincipalName or displayName contains this")
	cmd.Flags().StringVar(&readiness, "readiness", "", "only users who can (ready) or cannot (not-ready) reset today without registering")
	cmd.Flags().StringVar(&sel, "select", "", "only these fields, comma-separated (e.g. displayName,userPrincipalName,mobilePhone)")
	return cmd
}

// checkReadiness validates --readiness before anything is opened.
func checkReadiness(v string) error {
	switch strings.ToLower(v) {
	case "", "ready", "not-ready", "notready":
		return nil
	}
	return usagef("--readiness %s: use ready or not-ready", v)
}

// readinessFilter is --readiness: which users to keep by whether they can reset today, under
// the configured policy (flow.Methods, as the readiness report).
func readinessFilter(ctx context.Context, st report.Lister, p flow.Policy, v string) (func(store.User) bool, error) {
	if err := checkReadiness(v); err != nil {
		return nil, err
	}
	if v == "" {
		return func(store.User) bool { return true }, nil
	}
	want := strings.EqualFold(v, "ready")
	a, err := report.NewAssessor(ctx, st, p)
	if err != nil {
		return nil, err
	}
	return func(u store.User) bool { return a.Assess(u).Ready == want }, nil
}
