package capture

import (
	"encoding/json"
	"fmt"
	"io"
)

var verdictNames = map[Verdict]string{
	VerdictIntact: "intact", VerdictUnsigned: "intact chain, not signed by a trusted key",
	VerdictTruncated: "truncated", VerdictTampered: "TAMPERED OR DAMAGED",
}

// String says what the verdict means in a few words.
func (v Verdict) String() string { return verdictNames[v] }

// UnsignedReason says why a report whose chain is intact is not trusted:
// no checkpoints, unsigned checkpoints, or a key nothing vouches for.
func (r *VerifyReport) UnsignedReason() string {
	switch {
	case len(r.Checkpoints) == 0:
		return r.File + ": no checkpoints"
	case r.Key == "":
		return r.File + ": checkpoints are not signed"
	}
	return fmt.Sprintf("%s: signed by key %s, which no --pubkey vouches for", r.File, r.Key)
}

// WriteText writes the report for people: the verdict, the frames and
// checkpoints, who signed them, and one line per finding.
func (r *VerifyReport) WriteText(w io.Writer) {
	fmt.Fprintf(w, "%s: %s\n", r.File, r.Verdict())
	fmt.Fprintf(w, "  frames: %d (%d chained), checkpoints: %d", r.Frames, r.Chained, len(r.Checkpoints))
	if r.Final {
		fmt.Fprint(w, ", final checkpoint present")
	}
	fmt.Fprintln(w)
	switch {
	case r.Key != "" && r.KeyTrusted && r.Signed:
		fmt.Fprintf(w, "  signed by key %s (--pubkey): every signature verified\n", r.Key)
	case r.Key != "" && !r.KeyTrusted:
		fmt.Fprintf(w, "  signed by key %s, named by the capture itself: pass --pubkey to trust it\n", r.Key)
	case r.Key != "":
		fmt.Fprintf(w, "  key %s: not every signature verified\n", r.Key)
	default:
		fmt.Fprintln(w, "  not signed")
	}
	for _, f := range r.Findings {
		fmt.Fprintf(w, "  %s\n", f)
	}
}

// verifyReportJSON is a report as `retrace verify --json` prints it.
type verifyReportJSON struct {
	File           string   `json:"file"`
	Verdict        string   `json:"verdict"`
	Frames         int      `json:"frames"`
	Chained        int      `json:"chained"`
	Checkpoints    int      `json:"checkpoints"`
	LastCheckpoint int      `json:"last_checkpoint"`
	Final          bool     `json:"final"`
	Key            string   `json:"key,omitempty"`
	KeyTrusted     bool     `json:"key_trusted"`
	Signed         bool     `json:"signed"`
	Findings       []string `json:"findings,omitempty"`
}

// MarshalJSON encodes the report as one object: the verdict in words, the
// counts, the key and the findings as lines.
func (r *VerifyReport) MarshalJSON() ([]byte, error) {
	j := verifyReportJSON{File: r.File, Verdict: r.Verdict().String(), Frames: r.Frames, Chained: r.Chained,
		Checkpoints: len(r.Checkpoints), LastCheckpoint: r.LastCheckpoint, Final: r.Final, Key: r.Key,
		KeyTrusted: r.KeyTrusted, Signed: r.Signed}
	for _, f := range r.Findings {
		j.Findings = append(j.Findings, f.String())
	}
	return json.Marshal(j)
}
