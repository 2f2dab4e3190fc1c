package console

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/sspr/sspr/internal/store"
	"github.com/sspr/sspr/internal/syncer"
)

// syncPath is where the sync actions lead: the runs, the one just started among them once it
// is recorded, and the approval of a held run.
const syncPath = Prefix + "/sync"

type syncData struct {
	Runs    []store.SyncRun
	CanSync bool
	Running bool
	// Held: the newest run was refused by the accidental-delete guard; an administrator may
	// approve it (a run that allows the deletes).
	Held bool
}

func (s *Server) syncPage(w http.ResponseWriter, r *http.Request, a *Admin) {
	runs, err := s.st.ListRuns(r.Context(), 20)
	if err != nil {
		s.fail(w, r, a, err)
		return
	}
	s.syncMu.Lock()
	running := s.syncing
	s.syncMu.Unlock()
	d := syncData{Runs: runs, CanSync: s.syncer != nil, Running: running, Held: len(runs) > 0 && runs[0].Status == store.RunRefused}
	p := s.newPage(w, r, "console.sync.title", "sync", a)
	p.Data = d
	s.render(w, "sync", http.StatusOK, p)
}

// runSync starts a run in the background (it outlives the request, bounded by
// Config.Context); one at a time from the console.
func (s *Server) runSync(w http.ResponseWriter, r *http.Request, a *Admin, opts syncer.Options, typ string) {
	if s.syncer == nil {
		s.redirect(w, r, syncPath, flash{Error: "console.sync.noDirectory"})
		return
	}
	s.syncMu.Lock()
	if s.syncing {
		s.syncMu.Unlock()
		s.redirect(w, r, syncPath, flash{Error: "console.flash.syncRunning"})
		return
	}
	s.syncing = true
	s.syncMu.Unlock()
	s.record(r.Context(), a, typ, "", "", map[string]string{"full": strconv.FormatBool(opts.Full), "allowDeletes": strconv.FormatBool(opts.AllowDeletes)})
	s.syncWG.Add(1)
	go func() {
		defer s.syncWG.Done()
		defer func() {
			s.syncMu.Lock()
			s.syncing = false
			s.syncMu.Unlock()
		}()
		if _, err := s.syncer.Run(s.cfg.Context, opts); err != nil {
			var g *syncer.GuardError
			if !errors.As(err, &g) {
				s.log.Warn("console: sync run", "by", a.UserPrincipalName, "err", err)
			}
		}
	}()
	s.redirect(w, r, syncPath, flash{Notice: "console.flash.syncStarted"})
}

func (s *Server) startSync(w http.ResponseWriter, r *http.Request, a *Admin) {
	s.runSync(w, r, a, syncer.Options{Full: r.PostFormValue("full") == "1"}, EventSyncRequested)
}

// approveSync approves the run the delete guard held: a full run that allows the deletes. Only
// when the newest run was refused.
func (s *Server) approveSync(w http.ResponseWriter, r *http.Request, a *Admin) {
	runs, err := s.st.ListRuns(r.Context(), 1)
	if err != nil {
		s.fail(w, r, a, err)
		return
	}
	if len(runs) == 0 || runs[0].Status != store.RunRefused {
		s.redirect(w, r, syncPath, flash{Error: "console.flash.notHeld"})
		return
	}
	s.runSync(w, r, a, syncer.Options{Full: true, AllowDeletes: true}, EventSyncApproved)
}
