package project

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"github.com/repro-dev/repro/config"
	"github.com/repro-dev/repro/pipeline"
	"github.com/repro-dev/repro/remote"
)

// probeTimeout bounds the one request that checks the remote before a run.
const probeTimeout = 20 * time.Second

// openRemote connects the engine to the shared store of store.remote (see
// docs/scale-out.md), if one is set, and returns what closes it. A remote
// that cannot be opened or does not answer is one warning and a run on the
// local store alone, unless required (--remote-required), when it is an
// error.
//
// The trusted keys apply even without a remote: results pulled earlier that
// they no longer vouch for are computed again, unless keepUntrusted.
func (p *Project) openRemote(ctx context.Context, required, readonly, keepUntrusted bool, stderr io.Writer) (func(), error) {
	noop := func() {}
	raw := p.Params.Store.Remote
	if raw == "" {
		if required {
			return nil, Usagef("--remote-required, but store.remote is empty: set it in params.yaml, REPRO_STORE_REMOTE or --set store.remote=URL")
		}
		return noop, p.SetTrust(keepUntrusted)
	}
	policy, err := p.RemotePolicy()
	if err != nil {
		return nil, err
	}
	policy.ReadOnly = policy.ReadOnly || readonly
	policy.KeepUntrusted = keepUntrusted
	p.Engine.SetRemotePolicy(policy)
	giveUp := func(what string, err error) (func(), error) {
		if required {
			return nil, fmt.Errorf("remote store %s %s: %w (--remote-required: not running without it)", remote.Redact(raw), what, err)
		}
		fmt.Fprintf(stderr, "repro: warning: remote store %s %s (%v): going on with the local store only\n", remote.Redact(raw), what, err)
		return noop, nil
	}
	b, err := remote.Open(ctx, raw)
	if errors.Is(err, remote.ErrNotInBuild) {
		return nil, UsageError{err} // gs:// or azblob:// in a build without them
	}
	if err != nil {
		return giveUp("cannot be opened", err)
	}
	pctx, cancel := context.WithTimeout(ctx, probeTimeout)
	err = pipeline.CheckRemote(pctx, b)
	cancel()
	if err != nil {
		b.Close()
		return giveUp("is unreachable", err)
	}
	p.Engine.Remote = b
	p.Engine.RemoteRequired = required
	return func() { b.Close() }, nil
}

// RemotePolicy is whom the project trusts and what it may do with its
// remote: the trusted keys and mode of params, the signing key of
// REPRO_SIGNING_KEY_FILE (a file other users cannot read).
func (p *Project) RemotePolicy() (pipeline.RemotePolicy, error) {
	st := p.Params.Store
	pol := pipeline.RemotePolicy{ReadOnly: st.RemoteMode == "read", MaxObjectBytes: st.MaxObjectBytes}
	for _, s := range st.TrustedKeys {
		k, err := pipeline.ParsePublicKey(s) // validated by config
		if err != nil {
			return pol, UsageError{err}
		}
		pol.Trusted = append(pol.Trusted, k)
	}
	if path := os.Getenv(config.SigningKeyEnv); path != "" {
		k, err := pipeline.LoadSigningKey(path)
		if err != nil {
			return pol, Usagef("%s: %v", config.SigningKeyEnv, err)
		}
		pol.Signer = k
	}
	return pol, nil
}

// SetTrust gives the engine the trusted keys of p without a remote (repro
// serve, a run without store.remote), so that results pulled earlier under
// a key no longer trusted are not used. The signing key counts only if it
// loads: with no remote, a bad key file is not this command's error.
func (p *Project) SetTrust(keepUntrusted bool) error {
	pol, err := p.RemotePolicy()
	if err != nil && len(pol.Trusted) != len(p.Params.Store.TrustedKeys) {
		return err // a trusted key that does not parse (config checks them)
	}
	p.Engine.SetRemotePolicy(pipeline.RemotePolicy{Signer: pol.Signer, Trusted: pol.Trusted, KeepUntrusted: keepUntrusted})
	return nil
}

// remoteSummary is the last line about the remote after a run.
func remoteSummary(e *pipeline.Engine) string {
	if e.Remote == nil {
		return ""
	}
	st := e.RemoteStats()
	s := fmt.Sprintf("repro: remote store %s: %d pulled, %d uploaded", e.Remote, st.Pulled, st.Pushed)
	if st.Refused > 0 {
		s += fmt.Sprintf(", %d refused (not signed by a trusted key: computed here)", st.Refused)
	}
	if st.Distrusted > 0 {
		s += fmt.Sprintf(", %d pulled earlier and no longer trusted (see the warnings above)", st.Distrusted)
	}
	switch {
	case st.ReadOnlyMode:
		s += " (read-only: nothing is uploaded)"
	case st.NoSigner:
		s += " (no signing key: nothing is uploaded)"
	case st.Unsigned:
		s += " (unsigned: no trusted keys)"
	}
	switch {
	case st.ReadOnly:
		s += " (it refused writes: see the warning above)"
	case st.Degraded != "":
		s += " (given up during the run: see the warning above)"
	}
	return s
}

// shardSummary counts the grid points a sharded run took.
func shardSummary(sh pipeline.Shard, sel []*pipeline.Stage, res *pipeline.RunResult) string {
	mine, ran, others := 0, 0, 0
	for _, s := range sel {
		if !s.Shard || slices.Contains(res.Failed, s.Name) {
			continue
		}
		if o, ok := res.Outcomes[s.Name]; ok {
			mine++
			if !o.Cached {
				ran++
			}
		} else {
			others++
		}
	}
	return fmt.Sprintf("repro: shard %s: %d grid points (%d ran, %d cached), %d left to other shards; the stages after the grid are left to a run without --shard", sh, mine, ran, mine-ran, others)
}
