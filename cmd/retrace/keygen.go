package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/retrace-dev/retrace/capture/minisig"
)

func newKeygenCmd() *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "keygen PREFIX",
		Short: "Make an Ed25519 key pair to sign captures (PREFIX.key, PREFIX.pub)",
		Long: `keygen writes a new key pair: PREFIX.key, the secret key that
"retrace record --sign-key PREFIX.key" signs checkpoints with (mode 0600, not
encrypted: keep it off the hosts you record on when you can), and PREFIX.pub,
a minisign public key file that "retrace verify --pubkey" and "minisign -V"
check signatures with. Existing files are not overwritten without --force.`,
		Example: `  retrace keygen incident
  retrace record --sign-key incident.key -o host.scap.zst
  retrace verify --pubkey incident.pub host.scap.zst`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			key, err := minisig.GenerateKey(nil)
			if err != nil {
				return withCode(exitFailure, err)
			}
			secret, public := args[0]+".key", args[0]+".pub"
			if !force {
				for _, p := range []string{secret, public} {
					if _, err := os.Stat(p); err == nil {
						return withCode(exitUsage, fmt.Errorf("keygen: %s exists (use --force to overwrite)", p))
					} else if !errors.Is(err, os.ErrNotExist) {
						return withCode(exitFailure, fmt.Errorf("keygen: %w", err))
					}
				}
			}
			if err := writeKeyFile(secret, key.Encode(), 0o600); err != nil {
				return withCode(exitFailure, err)
			}
			if err := writeKeyFile(public, key.Public().Encode(), 0o644); err != nil {
				return withCode(exitFailure, err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "key %s: secret key %s, public key %s\n", key.ID, secret, public)
			return nil
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "overwrite existing key files")
	return cmd
}

// writeKeyFile writes a key file with the given mode, even over an
// existing file with a wider one.
func writeKeyFile(path string, data []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
	if err != nil {
		return fmt.Errorf("keygen: %w", err)
	}
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return fmt.Errorf("keygen: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("keygen: write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("keygen: write %s: %w", path, err)
	}
	return nil
}
