package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/retrace-dev/retrace/capture"
	"github.com/retrace-dev/retrace/capture/minisig"
)

// Exit codes of retrace verify besides exitOK, exitFailure and exitUsage.
const (
	exitTruncated = 7 // the file ends after a checkpoint; nothing else is wrong
	exitUnsigned  = 8 // the chain is intact but nothing trusted signed it
)

func newVerifyCmd() *cobra.Command {
	var pubkey, checkpoints string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "verify CAPTURE [--pubkey FILE] [--checkpoints FILE]",
		Short: "Check a capture's hash chain and signed checkpoints",
		Long: `verify recomputes the hash chain over every frame of a .scap.zst capture,
checks each checkpoint's signature with the public key (--pubkey, from
retrace keygen or minisign), and compares the checkpoints with those that
left the host while recording (--checkpoints, the lines "retrace record
--checkpoint-to" wrote). It names every frame that was modified, removed,
inserted or reordered, by its index as "retrace info" counts frames and by
its byte offset, or the checkpoint after which the file was cut.

Exit codes: 0 intact and signed by --pubkey; 1 tampered or damaged, or a bad
signature; 2 bad flags or an unreadable file; 7 truncated after a checkpoint,
nothing else wrong; 8 intact chain but nothing trusted signed it (no
signatures, or no --pubkey to check them against).`,
		Example: `  retrace verify --pubkey incident.pub --checkpoints offhost.jsonl host.scap.zst`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var opts capture.VerifyOptions
			if pubkey != "" {
				b, err := os.ReadFile(pubkey)
				if err != nil {
					return withCode(exitUsage, fmt.Errorf("verify: %w", err))
				}
				if opts.PublicKey, err = minisig.ParsePublicKey(b); err != nil {
					return withCode(exitUsage, fmt.Errorf("verify: %s: %w", pubkey, err))
				}
			}
			if checkpoints != "" {
				b, err := os.ReadFile(checkpoints)
				if err != nil {
					return withCode(exitUsage, fmt.Errorf("verify: %w", err))
				}
				if opts.Checkpoints, err = capture.ParseCheckpointLines(checkpoints, b); err != nil {
					return withCode(exitUsage, fmt.Errorf("verify: %w", err))
				}
			}
			rep, err := capture.Verify(args[0], opts)
			if err != nil {
				return withCode(exitUsage, err)
			}
			if asJSON {
				b, _ := json.Marshal(verifyJSON(rep))
				fmt.Fprintf(cmd.OutOrStdout(), "%s\n", b)
			} else {
				printVerify(cmd.OutOrStdout(), rep)
			}
			switch rep.Verdict() {
			case capture.VerdictIntact:
				return nil
			case capture.VerdictUnsigned:
				return withCode(exitUnsigned, errors.New(unsignedReason(rep)))
			case capture.VerdictTruncated:
				return withCode(exitTruncated, fmt.Errorf("%s: truncated after checkpoint %d", rep.File, rep.LastCheckpoint))
			}
			return withCode(exitFailure, fmt.Errorf("%s: tampered or damaged: %d findings", rep.File, len(rep.Findings)))
		},
	}
	f := cmd.Flags()
	f.StringVar(&pubkey, "pubkey", "", "trusted public key file (retrace keygen's PREFIX.pub, or any minisign public key)")
	f.StringVar(&checkpoints, "checkpoints", "", "checkpoint lines that left the host (retrace record --checkpoint-to FILE)")
	f.BoolVar(&asJSON, "json", false, "print the report as JSON")
	return cmd
}

var verdictNames = map[capture.Verdict]string{
	capture.VerdictIntact: "intact", capture.VerdictUnsigned: "intact chain, not signed by a trusted key",
	capture.VerdictTruncated: "truncated", capture.VerdictTampered: "TAMPERED OR DAMAGED",
}

func unsignedReason(rep *capture.VerifyReport) string {
	switch {
	case len(rep.Checkpoints) == 0:
		return rep.File + ": no checkpoints"
	case rep.Key == "":
		return rep.File + ": checkpoints are not signed"
	}
	return fmt.Sprintf("%s: signed by key %s, which no --pubkey vouches for", rep.File, rep.Key)
}

func printVerify(w io.Writer, rep *capture.VerifyReport) {
	fmt.Fprintf(w, "%s: %s\n", rep.File, verdictNames[rep.Verdict()])
	fmt.Fprintf(w, "  frames: %d (%d chained), checkpoints: %d", rep.Frames, rep.Chained, len(rep.Checkpoints))
	if rep.Final {
		fmt.Fprint(w, ", final checkpoint present")
	}
	fmt.Fprintln(w)
	switch {
	case rep.Key != "" && rep.KeyTrusted && rep.Signed:
		fmt.Fprintf(w, "  signed by key %s (--pubkey): every signature verified\n", rep.Key)
	case rep.Key != "" && !rep.KeyTrusted:
		fmt.Fprintf(w, "  signed by key %s, named by the capture itself: pass --pubkey to trust it\n", rep.Key)
	case rep.Key != "":
		fmt.Fprintf(w, "  key %s: not every signature verified\n", rep.Key)
	default:
		fmt.Fprintln(w, "  not signed")
	}
	for _, f := range rep.Findings {
		fmt.Fprintf(w, "  %s\n", f)
	}
}

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

func verifyJSON(rep *capture.VerifyReport) verifyReportJSON {
	j := verifyReportJSON{File: rep.File, Verdict: verdictNames[rep.Verdict()], Frames: rep.Frames, Chained: rep.Chained,
		Checkpoints: len(rep.Checkpoints), LastCheckpoint: rep.LastCheckpoint, Final: rep.Final, Key: rep.Key,
		KeyTrusted: rep.KeyTrusted, Signed: rep.Signed}
	for _, f := range rep.Findings {
		j.Findings = append(j.Findings, f.String())
	}
	return j
}
