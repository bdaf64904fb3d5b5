package main

import (
	"encoding/json"
	"errors"
	"fmt"
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
				var err error
				if opts.PublicKey, err = minisig.ReadPublicKeyFile(pubkey); err != nil {
					return withCode(exitUsage, fmt.Errorf("verify: %w", err))
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
				b, _ := json.Marshal(rep)
				fmt.Fprintf(cmd.OutOrStdout(), "%s\n", b)
			} else {
				rep.WriteText(cmd.OutOrStdout())
			}
			switch rep.Verdict() {
			case capture.VerdictIntact:
				return nil
			case capture.VerdictUnsigned:
				return withCode(exitUnsigned, errors.New(rep.UnsignedReason()))
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
