package main

import (
	"context"

	"github.com/sspr/sspr/internal/admin"
	"github.com/sspr/sspr/internal/api"
	"github.com/sspr/sspr/internal/syncer"
)

// newAPI builds the administrators' REST API (/api/v1/) on the app's store. Sync runs it starts
// last at most as long as ctx (the server's lifetime).
func newAPI(ctx context.Context, a *app) (*api.API, error) {
	svc, st, err := a.admin()
	if err != nil {
		return nil, err
	}
	var sy api.Syncer
	if a.cfg.Directory.URL != "" || a.cfg.Directory.File != "" {
		sy = engineSyncer{a}
	}
	return api.New(st, svc, sy, api.Config{
		Context:  ctx,
		ClientIP: a.cfg.Server.ClientIP().Address,
		Log:      a.log,
		Policy:   a.cfg.Reset,
		Explain:  newExplainer(st, a.cfg, a.log, true).Explain,
	}), nil
}

var (
	_ api.Admin  = (*admin.Service)(nil)
	_ api.Syncer = engineSyncer{}
	_ api.Syncer = (*syncer.Engine)(nil)
	_ api.Store  = adminStore(nil)
)

// engineSyncer builds the sync engine for each run, as `sspr sync` does.
type engineSyncer struct{ a *app }

func (e engineSyncer) Run(ctx context.Context, opts syncer.Options) (syncer.Report, error) {
	eng, err := e.a.engine()
	if err != nil {
		return syncer.Report{}, err
	}
	return eng.Run(ctx, opts)
}
