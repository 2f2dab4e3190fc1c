package main

import (
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/sspr/sspr/internal/config"
	"github.com/sspr/sspr/internal/store"
)

// Shell completion of user names, for every command whose first argument is a user.
const (
	// maxUserCompletions bounds the names offered at once: a prefix narrows them.
	maxUserCompletions = 200
	// userCompletionTimeout bounds the whole lookup, so that a slow store never hangs the shell.
	userCompletionTimeout = 2 * time.Second
)

// completeUsers gives every command of the tree whose first argument is a user (its Use says
// "NAME USERPRINCIPALNAME" or "NAME UPN") shell completion of the userPrincipalNames in the store.
func completeUsers(c *cobra.Command, g *globals) {
	for _, sub := range c.Commands() {
		completeUsers(sub, g)
	}
	if f := strings.Fields(c.Use); len(f) > 1 && (f[1] == "USERPRINCIPALNAME" || f[1] == "UPN") && c.ValidArgsFunction == nil {
		c.ValidArgsFunction = g.userNames
	}
}

// userNames completes the first argument with the userPrincipalNames that start with what is
// typed (case-insensitively), each described by its display name. It fails quietly, offering
// nothing, when the configuration or the store cannot be read (another user's shell, no store
// yet, a database that does not answer): completion never prints an error into the command line.
// The store is opened as by the commands that only read: nothing is created.
func (g *globals) userNames(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, cancel := context.WithTimeout(ctx, userCompletionTimeout)
	defer cancel()
	names, _ := g.lookupUserNames(ctx, toComplete, maxUserCompletions)
	return names, cobra.ShellCompDirectiveNoFileComp
}

var errEnoughNames = errors.New("enough names")

func (g *globals) lookupUserNames(ctx context.Context, prefix string, limit int) ([]cobra.Completion, error) {
	cfg, err := config.Load(g.path(), os.Getenv)
	if err != nil {
		return nil, err
	}
	a, err := newApp(ctx, cfg, io.Discard, storeRead)
	if err != nil {
		return nil, err
	}
	defer a.Close()
	var out []cobra.Completion
	lower := strings.ToLower(prefix)
	err = a.store.ListUsers(ctx, store.UserFilter{Search: prefix}, func(u store.User) error {
		if !strings.HasPrefix(strings.ToLower(u.UserPrincipalName), lower) {
			return nil
		}
		out = append(out, cobra.CompletionWithDesc(u.UserPrincipalName, oneLine(u.DisplayName)))
		if len(out) >= limit {
			return errEnoughNames
		}
		return nil
	})
	if err != nil && !errors.Is(err, errEnoughNames) {
		return out, err
	}
	return out, nil
}

// oneLine keeps a directory value from breaking the completion protocol (one candidate per
// line, a tab before the description): control characters become spaces.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return ' '
		}
		return r
	}, s)
}
