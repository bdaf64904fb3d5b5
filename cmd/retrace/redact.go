package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/retrace-dev/retrace/capture"
	"github.com/retrace-dev/retrace/capture/minisig"
	"github.com/retrace-dev/retrace/capture/redact"
	"github.com/retrace-dev/retrace/internal/clobber"
)

func newRedactCmd() *cobra.Command {
	var out, signKey, kinds, keyFile string
	var opts redact.FileOptions
	cmd := &cobra.Command{
		Use:   "redact IN [OUT | -o OUT] [--env GLOB]... [--arg REGEX]... [--buffers] [--pseudonymize users,hosts,paths]",
		Short: "Write a copy of a capture with environment values, argument patterns or I/O buffers removed",
		Long: `redact writes a copy of IN without the secrets you name (docs/FORMAT.md,
"Redaction"): --env GLOB replaces the values of matching environment
variables with REDACTED (NAME=REDACTED), in execve events and the process
snapshot; --arg REGEX replaces every match in command-line arguments (not
the program name) with REDACTED; --buffers empties the data of I/O events
(read, write, send, recv ...); --pseudonymize users,hosts,paths replaces
regular users' names, the host's names and the private parts of paths (home
directory names, a user's own file names; system paths and dot-files are
kept) by keyed pseudonyms, the same everywhere in the copy. The key is random
unless --pseudonym-key FILE names a key file (created when missing), which
gives two captures the same pseudonyms. Everything else is copied unchanged, so the
copy replays with the same detections wherever the redacted data was not
needed. Give at least one option.

The copy's metadata carries a manifest: what was redacted, how much, and the
original's SHA-256 and last hash-chain checkpoint; the copy has its own hash
chain (signed with --sign-key). OUT's extension chooses its format as for
retrace convert; a .scap.zst copy decompressed with zstd -d is read by
sysdig. A damaged IN gives a copy of its intact frames and exit code 1.`,
		Example: `  retrace redact host.scap.zst shared.scap.zst --env '*' --buffers
  retrace redact host.scap.zst -o shared.scap.zst --env 'AWS_*' --env '*TOKEN*' --arg '--password=\S+'
  retrace redact host.scap.zst shared.scap.zst --pseudonymize users,hosts,paths --pseudonym-key incident.key`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			switch {
			case len(args) == 2 && out != "":
				return withCode(exitUsage, fmt.Errorf("redact: output named twice (%s and -o %s)", args[1], out))
			case len(args) == 2:
				out = args[1]
			case out == "":
				return withCode(exitUsage, errors.New("redact: name the output: retrace redact IN OUT (or -o OUT)"))
			}
			ins := append(clobber.Paths("capture", args[0]), clobber.Paths("--sign-key", signKey)...)
			ins = append(ins, clobber.Paths("--pseudonym-key", keyFile)...)
			if err := clobber.Check(clobber.Paths("output", out), ins); err != nil {
				return withCode(exitUsage, fmt.Errorf("redact: %w", err))
			}
			created, err := opts.SetPseudonyms(kinds, keyFile)
			if err != nil {
				return withCode(exitUsage, fmt.Errorf("redact: %w", err))
			}
			if created {
				fmt.Fprintf(cmd.ErrOrStderr(), "retrace: created pseudonym key %s (keep it private)\n", keyFile)
			}
			if _, err := redact.New(opts.Options); err != nil {
				return withCode(exitUsage, fmt.Errorf("redact: %w", err))
			}
			if signKey != "" {
				var err error
				if opts.Writer.SignKey, err = minisig.ReadPrivateKeyFile(signKey); err != nil {
					return withCode(exitUsage, fmt.Errorf("redact: %w", err))
				}
			}
			opts.Tool = "retrace " + version
			m, err := redact.File(args[0], out, opts)
			var te *capture.TruncatedError
			var de *capture.DamagedError
			if err != nil && !errors.As(err, &te) && !errors.As(err, &de) {
				return withCode(exitFailure, err)
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "retrace: wrote %s: %s\n", out, redact.Summary(m))
			if err != nil {
				fmt.Fprintf(cmd.ErrOrStderr(), "retrace: %v; the copy holds the events that could be read\n", err)
				return withCode(exitFailure, err)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVarP(&out, "output", "o", "", "output file (.scap, .scap.gz or .scap.zst)")
	f.StringArrayVar(&opts.Env, "env", nil, "replace the values of environment variables whose name matches this glob (repeatable; '*' for all)")
	f.StringArrayVar(&opts.Args, "arg", nil, "replace matches of this regular expression in command-line arguments (repeatable)")
	f.BoolVar(&opts.Buffers, "buffers", false, "empty the data of I/O events")
	f.StringVar(&kinds, "pseudonymize", "", "replace these names by keyed pseudonyms: users, hosts and/or paths, comma-separated")
	f.StringVar(&keyFile, "pseudonym-key", "", "key file of the pseudonyms (created when missing), for the same pseudonyms across captures")
	f.StringVar(&signKey, "sign-key", "", "sign the copy's checkpoints with this secret key (retrace keygen's PREFIX.key)")
	return cmd
}
