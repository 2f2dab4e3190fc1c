package flow

import (
	"context"
	"log/slog"

	"github.com/sspr/sspr/internal/store"
)

// MemberChecker tells whether a user is a member of a group, nested groups included (the
// writeback's directory connection).
type MemberChecker interface {
	IsMember(ctx context.Context, userDN, groupDN string) (bool, error)
}

// Privileged reports whether u gets the stricter policy (two methods, never questions), and
// why: AD adminCount=1 (synced) or a member of one of groups. When membership cannot be
// checked, the user is treated as privileged (fail closed).
func Privileged(ctx context.Context, dir MemberChecker, groups []string, u store.User, log *slog.Logger) Facts {
	if u.Privileged {
		return Facts{Privileged: true, Why: "adminCount=1 in the directory"}
	}
	for _, g := range groups {
		ok, err := dir.IsMember(ctx, u.DN, g)
		if err != nil {
			log.Warn("admin group check failed; applying the stricter policy", "group", g, "err", err)
			return Facts{Privileged: true, Why: "membership of " + g + " could not be checked"}
		}
		if ok {
			return Facts{Privileged: true, Why: "member of " + g}
		}
	}
	return Facts{}
}
