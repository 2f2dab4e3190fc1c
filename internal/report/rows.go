package report

import (
	"time"

	"github.com/sspr/sspr/internal/store"
)

// ActivityRow is one daily count as `sspr report activity` and the API show it.
type ActivityRow struct {
	Day     string `json:"day"` // YYYY-MM-DD, UTC
	Flow    string `json:"flow"`
	Outcome string `json:"outcome"`
	Method  string `json:"method"`
	Count   int    `json:"count"`
}

// ActivityRows turns daily counts into rows (an empty list for none).
func ActivityRows(cs []store.DailyCount) []ActivityRow {
	out := make([]ActivityRow, 0, len(cs))
	for _, c := range cs {
		out = append(out, ActivityRow{Day: c.Day.Format(time.DateOnly), Flow: c.Flow, Outcome: c.Outcome, Method: c.Method, Count: c.Count})
	}
	return out
}

// DeliveryDayRow is one day and channel of the outbox as the deliveries report shows it.
type DeliveryDayRow struct {
	Day string `json:"day"` // YYYY-MM-DD, UTC
	DeliveryRow
}

// DeliveryDays turns daily delivery stats into rows (an empty list for none).
func DeliveryDays(ds []store.DeliveryStat) []DeliveryDayRow {
	out := make([]DeliveryDayRow, 0, len(ds))
	for _, d := range ds {
		row := SumDeliveries([]store.DeliveryStat{d})[0]
		out = append(out, DeliveryDayRow{Day: d.Day.Format(time.DateOnly), DeliveryRow: row})
	}
	return out
}
