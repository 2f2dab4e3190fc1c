package writeback

import (
	"context"
	"errors"
	"fmt"
	"strings"

	goldap "github.com/go-ldap/ldap/v3"

	"github.com/sspr/sspr/internal/directory"
)

// OIDInChain is AD's LDAP_MATCHING_RULE_IN_CHAIN: member/memberOf followed transitively.
const OIDInChain = "1.2.840.113556.1.4.1941"

// maxGroups bounds the groups IsMember visits on OpenLDAP (a runaway nesting is an error,
// never an endless walk).
const maxGroups = 1000

// IsMember reports whether userDN is a member of groupDN, directly or through nested groups.
// AD/Samba: one base search of the user with the in-chain matching rule on memberOf.
// OpenLDAP: walks up from the user, searching the groups whose member or uniqueMember holds
// the user, then the groups holding those, ... (each group once) until groupDN is found.
func (d *Directory) IsMember(ctx context.Context, userDN, groupDN string) (bool, error) {
	const op = "is member"
	want, err := goldap.ParseDN(groupDN)
	if err != nil || groupDN == "" {
		return false, newErr(op, ReasonFailed, fmt.Errorf("group DN %q: %v", groupDN, err))
	}
	if _, err := goldap.ParseDN(userDN); err != nil || userDN == "" {
		return false, newErr(op, ReasonFailed, fmt.Errorf("user DN %q: %v", userDN, err))
	}
	ctx, cancel := d.bound(ctx)
	defer cancel()
	c, err := d.connect(ctx, op)
	if err != nil {
		return false, err
	}
	defer c.close()
	if d.cfg.Kind == directory.ActiveDirectory {
		filter := "(memberOf:" + OIDInChain + ":=" + goldap.EscapeFilter(groupDN) + ")"
		res, err := c.Search(goldap.NewSearchRequest(userDN, goldap.ScopeBaseObject, goldap.NeverDerefAliases,
			1, 0, false, filter, []string{"1.1"}, nil))
		if err != nil {
			return false, classify(ctx, op, fmt.Sprintf("search %q for %s", userDN, filter), err, nil)
		}
		return len(res.Entries) > 0, nil
	}
	return d.walkUp(ctx, c, userDN, want)
}

func (d *Directory) walkUp(ctx context.Context, c *conn, userDN string, want *goldap.DN) (bool, error) {
	const op = "is member"
	bases, err := namingContexts(c)
	if err != nil {
		return false, classify(ctx, op, "read the rootDSE's namingContexts", err, nil)
	}
	seen := map[string]bool{strings.ToLower(userDN): true}
	queue := []string{userDN}
	for len(queue) > 0 {
		dn := queue[0]
		queue = queue[1:]
		v := goldap.EscapeFilter(dn)
		filter := "(|(member=" + v + ")(uniqueMember=" + v + "))"
		for _, base := range bases {
			res, err := c.SearchWithPaging(goldap.NewSearchRequest(base, goldap.ScopeWholeSubtree, goldap.NeverDerefAliases,
				0, 0, false, filter, []string{"1.1"}, nil), 500)
			if err != nil {
				return false, classify(ctx, op, fmt.Sprintf("search %q for %s", base, filter), err, nil)
			}
			for _, e := range res.Entries {
				g, err := goldap.ParseDN(e.DN)
				if err != nil {
					continue
				}
				if g.EqualFold(want) {
					return true, nil
				}
				key := strings.ToLower(e.DN)
				if seen[key] {
					continue // a cycle, or a group reached twice
				}
				seen[key] = true
				if len(seen) > maxGroups {
					return false, newErr(op, ReasonFailed, fmt.Errorf("more than %d nested groups above %q", maxGroups, userDN))
				}
				queue = append(queue, e.DN)
			}
		}
	}
	return false, nil
}

// namingContexts lists the server's naming contexts (the search bases for groups).
func namingContexts(c *conn) ([]string, error) {
	res, err := c.Search(goldap.NewSearchRequest("", goldap.ScopeBaseObject, goldap.NeverDerefAliases, 0, 0, false,
		"(objectClass=*)", []string{"namingContexts"}, nil))
	if err != nil {
		return nil, err
	}
	if len(res.Entries) == 1 {
		if nc := res.Entries[0].GetAttributeValues("namingContexts"); len(nc) > 0 {
			return nc, nil
		}
	}
	return nil, errors.New("the rootDSE lists no namingContexts")
}
