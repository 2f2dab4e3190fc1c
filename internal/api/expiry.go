package api

import (
	"net/http"

	"github.com/sspr/sspr/internal/admin"
	"github.com/sspr/sspr/internal/reminder"
)

// expiry answers {"users": [...]}: the users whose password expires within ?within= (default
// 14d), expired ones included, soonest first, as `sspr report expiry` does.
func (a *API) expiry(w http.ResponseWriter, r *http.Request, _ principal) {
	within := r.URL.Query().Get("within")
	if within == "" {
		within = "14d"
	}
	d, err := reminder.ParseWithin(within)
	if err != nil {
		writeError(w, http.StatusBadRequest, codeBadRequest, "bad query parameters",
			[]admin.FieldError{{Field: "within", Code: admin.CodeInvalid, Message: err.Error()}})
		return
	}
	rows, err := reminder.Expiring(r.Context(), a.st, a.cfg.Now(), d)
	if err != nil {
		a.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Users []reminder.Expiry `json:"users"`
	}{rows})
}
