package project

import (
	"cmp"
	"fmt"
	"io"

	"github.com/repro-dev/repro/config"
	"github.com/repro-dev/repro/pipeline"
)

// VerifyTrust is the set of keys verify checks pulled entries against: the
// trusted keys of params and the key of REPRO_SIGNING_KEY_FILE. Purging
// needs at least one.
func (p *Project) VerifyTrust(purge bool) (*pipeline.Trust, error) {
	policy, err := p.RemotePolicy()
	if err != nil {
		return nil, err
	}
	trust := pipeline.NewTrust(policy.Trusted, policy.Signer)
	if purge && trust.Len() == 0 {
		return nil, Usagef("--purge-untrusted needs trusted keys: set store.trusted_keys (or %s)", config.SigningKeyEnv)
	}
	return trust, nil
}

// CheckPulled checks every entry pulled from a remote against trust, names
// each that fails (and removes it with purge), and returns a note for the
// summary line and whether verify must fail.
func (p *Project) CheckPulled(out io.Writer, trust *pipeline.Trust, purge bool) (note string, failed bool, err error) {
	pulled, untrusted, err := p.Store.CheckPulled(trust)
	if err != nil {
		return "", false, err
	}
	for _, u := range untrusted {
		verb := "untrusted"
		if purge {
			if err := p.Store.Forget(u.Key); err != nil {
				return "", false, err
			}
			verb = "purged"
		}
		fmt.Fprintf(out, "%s %s (stage key %s): %s\n", verb, cmp.Or(u.Stage, "?"), u.Key[:12], u.Reason)
	}
	switch {
	case len(untrusted) > 0 && !purge:
		fmt.Fprintf(out, "%d entries pulled from a remote store are not signed by a trusted key: `repro verify --purge-untrusted` removes them, and the next run computes or pulls them again\n", len(untrusted))
		return "", true, nil
	case purge:
		note = fmt.Sprintf("; %d entries pulled from a remote store, %d purged as untrusted", pulled, len(untrusted))
	case pulled > 0 && trust.Len() == 0:
		note = fmt.Sprintf("; %d pulled from a remote store, unchecked (no trusted keys)", pulled)
	case pulled > 0:
		note = fmt.Sprintf("; %d pulled from a remote store, each signed by a trusted key", pulled)
	}
	return note, false, nil
}
