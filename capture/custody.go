package capture

import (
	"fmt"
	"time"

	"github.com/retrace-dev/retrace/capture/minisig"
)

// Custody is a capture's chain of custody as retrace info shows it: who
// recorded it, which key signed it, its first and last checkpoints and
// what verification without a trusted key says.
type Custody struct {
	RecorderVersion string `json:"recorder_version,omitempty"`
	Hostname        string `json:"hostname,omitempty"`
	// Key is the id (fingerprint) of the key that signed the checkpoints,
	// named by the capture itself; "" when unsigned.
	Key         string    `json:"key,omitempty"`
	Checkpoints int       `json:"checkpoints"`
	First       time.Time `json:"first_checkpoint,omitzero"`
	Last        time.Time `json:"last_checkpoint,omitzero"`
	Final       bool      `json:"final"`
	// Status is the verdict of Verify without a trusted key, in words.
	Status   string   `json:"status"`
	Findings []string `json:"findings,omitempty"`
}

// ReadCustody reads the chain of custody of the .scap.zst file at path. It
// reads the whole file (without decompressing it) to verify the chain; the
// signatures are checked against the key the capture names, so Status never
// says more than "signed by key K": retrace verify --pubkey says whether K
// is to be trusted.
func ReadCustody(path string) (*Custody, error) {
	rep, err := Verify(path, VerifyOptions{})
	if err != nil {
		return nil, err
	}
	c := &Custody{Key: rep.Key, Checkpoints: len(rep.Checkpoints), Final: rep.Final}
	if md := rep.metadata; md != nil {
		c.RecorderVersion, c.Hostname = md.RecorderVersion, md.Hostname
		if k, err := minisig.ParsePublicKey([]byte(md.SigningKey)); err == nil {
			c.Key = k.ID.String()
		}
	}
	if n := len(rep.Checkpoints); n > 0 {
		c.First, c.Last = rep.Checkpoints[0].Time, rep.Checkpoints[n-1].Time
	}
	for _, f := range rep.Findings {
		c.Findings = append(c.Findings, f.String())
	}
	switch rep.Verdict() {
	case VerdictTampered:
		c.Status = fmt.Sprintf("TAMPERED OR DAMAGED (%d findings)", len(rep.Findings))
	case VerdictTruncated:
		c.Status = fmt.Sprintf("truncated after checkpoint %d", rep.LastCheckpoint)
	default:
		switch {
		case c.Checkpoints == 0:
			c.Status = "no hash chain (written before checkpoints existed, or not by retrace)"
		case c.Key == "":
			c.Status = "chain intact, not signed"
		default:
			c.Status = fmt.Sprintf("chain intact, signatures valid for key %s (retrace verify --pubkey to trust it)", c.Key)
		}
	}
	return c, nil
}
