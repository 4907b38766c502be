package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/repro-dev/repro/config"
	"github.com/repro-dev/repro/pipeline"
)

func newKeygenCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "keygen FILE",
		Short: "Write a new ed25519 key pair that signs the results uploaded to the remote store",
		Long: `Write a new signing key pair: the private key to FILE (mode 0600) and the
public key to FILE.pub, and print the public key, one line such as

  repro-ed25519:3f1c0a9be2d47c55:q6Yx...=

Nothing is overwritten: an existing FILE or FILE.pub is an error.

Put the public key in store.trusted_keys (params.yaml) of every client that
should accept the results this key signs. On the machines that upload
results, point ` + config.SigningKeyEnv + ` at FILE (it is read only from
there, never from params.yaml, and must not be readable by other users).
A signer trusts its own key. See docs/security.md.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			k, err := pipeline.GenerateKey(nil)
			if err != nil {
				return err
			}
			if err := pipeline.WriteKeyPair(args[0], k); err != nil {
				return usageError{Err: fmt.Errorf("keygen: %w", err)}
			}
			fmt.Fprintln(cmd.OutOrStdout(), k.PublicKey.String())
			fmt.Fprintf(os.Stderr, "repro: wrote the private key %s (mode 0600; keep it secret: %s=%s on the machines that upload) and the public key %s.pub (for store.trusted_keys)\n",
				args[0], config.SigningKeyEnv, args[0], args[0])
			return nil
		},
	}
}
