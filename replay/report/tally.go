package report

import "time"

// Tally counts the detections a report leaves out of Report.Detections once
// a bound is reached, by what the HTML summary shows (rule, priority,
// container, host) and their time span, so that the summary still covers
// every detection while memory holds only the bounded ones. Its zero value
// is empty and ready to use; it is not safe for concurrent use.
type Tally struct {
	// Count is the number of detections added.
	Count int
	// First and Last are the times of the earliest and latest one.
	First, Last time.Time
	// By counts them by summary key.
	By map[TallyKey]int
}

// TallyKey is what the summary groups a left-out detection by.
type TallyKey struct {
	Rule, Priority, Host string
	Container            Container
}

// Add counts d.
func (t *Tally) Add(d *Detection) {
	if t.By == nil {
		t.By = map[TallyKey]int{}
	}
	t.Count++
	t.By[TallyKey{Rule: d.Rule, Priority: d.Priority, Host: d.Hostname, Container: d.Container}]++
	if t.First.IsZero() || d.Time.Before(t.First) {
		t.First = d.Time
	}
	if d.Time.After(t.Last) {
		t.Last = d.Time
	}
}
