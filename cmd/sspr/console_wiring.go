package main

import (
	"context"

	"github.com/sspr/sspr/internal/console"
	"github.com/sspr/sspr/internal/flow"
	"github.com/sspr/sspr/internal/i18n"
	"github.com/sspr/sspr/internal/secret"
	"github.com/sspr/sspr/internal/store"
	"github.com/sspr/sspr/internal/web"
)

// newConsole builds the administrators' console (/admin) when console.readers or
// console.administrators name a group. Sync runs it starts last at most as long as ctx.
func newConsole(ctx context.Context, a *app, key secret.Key, send flow.Sender, dir console.Directory, texts *i18n.Bundle) (*console.Server, error) {
	cfg := a.cfg
	svc, _, err := a.admin()
	if err != nil {
		return nil, err
	}
	st := a.store
	auth := console.NewAuth(st, send, dir, cfg.Console, cfg.Reset, key.Derive("console-code-mac"), key.Derive("decoy"), nil, a.log)
	var sy console.Syncer
	if cfg.Directory.URL != "" || cfg.Directory.File != "" {
		sy = engineSyncer{a}
	}
	return console.New(console.Config{
		Policy:        cfg.Console,
		Reset:         cfg.Reset,
		PublicURL:     cfg.Server.PublicURL,
		TLS:           cfg.Server.TLSCertFile != "",
		ClientIP:      cfg.Server.ClientIP(),
		CSRFKey:       key.Derive("console-csrf"),
		ResponseFloor: cfg.Reset.ResponseFloor,
		Context:       ctx,
		Explain:       newExplainer(a.store, cfg, a.log, true).Explain,
		Texts:         texts,
	}, auth, st, svc, dir, sy, a.log)
}

// mountConsole serves the console under /admin on the site, inside its security headers.
func mountConsole(site *web.Server, con *console.Server) {
	site.Handle(console.Prefix, con)
	site.Handle(console.Prefix+"/", con)
}

var (
	_ console.Store     = store.Store(nil)
	_ console.AuthStore = store.Store(nil)
	_ console.Directory = flowDirectory(nil)
	_ console.Syncer    = engineSyncer{}
)
