package syncer

import (
	"time"

	"github.com/sspr/sspr/internal/store"
)

// RunJSON is a recorded sync run as `sspr sync runs -o json` and the API show it.
type RunJSON struct {
	ID         int64      `json:"id"`
	Mode       string     `json:"mode"`
	Status     string     `json:"status"`
	StartedAt  time.Time  `json:"startedAt"`
	FinishedAt *time.Time `json:"finishedAt"`
	Added      int        `json:"added"`
	Updated    int        `json:"updated"`
	Deleted    int        `json:"deleted"`
	Unchanged  int        `json:"unchanged"`
	Rejected   int        `json:"rejected"`
	Errors     []string   `json:"errors"` // never null
}

// NewRunJSON converts a recorded run.
func NewRunJSON(r store.SyncRun) RunJSON {
	errs := r.Errors
	if errs == nil {
		errs = []string{}
	}
	return RunJSON{r.ID, r.Mode, string(r.Status), r.StartedAt, r.FinishedAt, r.Added, r.Updated, r.Deleted,
		r.Unchanged, r.Rejected, errs}
}
