package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/sspr/sspr/internal/store"
	"github.com/sspr/sspr/internal/userview"
)

func newUserCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "user", Short: "Read users and their authentication data"}
	cmd.AddCommand(newUserGetCmd(g), newUserListCmd(g))
	return cmd
}

func newUserGetCmd(g *globals) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "get USERPRINCIPALNAME",
		Short: "Show one user",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := parseFormat(output, formatJSON, formatTable)
			if err != nil {
				return err
			}
			a, err := g.open(cmd.Context())
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
			if f == formatJSON {
				return writeJSON(cmd.OutOrStdout(), v)
			}
			rw, _ := newRowWriter(cmd.OutOrStdout(), formatTable, []string{"FIELD", "VALUE"})
			for i, col := range userview.Columns {
				_ = rw.Write([]string{col, v.Row()[i]})
			}
			return rw.Flush()
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "json", "json or table")
	return cmd
}

func newUserListCmd(g *globals) *cobra.Command {
	var output, source, search string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List users (like Get-MsolUser | Format-Table)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, err := parseFormat(output, formatTable, formatJSON, formatCSV)
			if err != nil {
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
			a, err := g.open(cmd.Context())
			if err != nil {
				return err
			}
			defer a.Close()
			out := cmd.OutOrStdout()
			if f == formatJSON {
				arr := &jsonArray{w: out}
				if err := a.store.ListUsers(cmd.Context(), filter, func(u store.User) error {
					return arr.Add(userview.FromStore(u))
				}); err != nil {
					return err
				}
				return arr.Close()
			}
			rw, err := newRowWriter(out, f, userview.Columns)
			if err != nil {
				return err
			}
			if err := a.store.ListUsers(cmd.Context(), filter, func(u store.User) error {
				return rw.Write(userview.FromStore(u).Row())
			}); err != nil {
				return err
			}
			return rw.Flush()
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "table", "table, json or csv")
	cmd.Flags().StringVar(&source, "source", "", "only users from this source: directory or cloud")
	cmd.Flags().StringVar(&search, "search", "", "only users whose userPrincipalName or displayName contains this")
	return cmd
}
