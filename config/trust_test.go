package config

import (
	"bytes"
	"strings"
	"testing"

	"github.com/repro-dev/repro/pipeline"
)

func testPublicKey(t *testing.T, seed byte) string {
	t.Helper()
	k, err := pipeline.GenerateKey(bytes.NewReader(bytes.Repeat([]byte{seed}, 32)))
	if err != nil {
		t.Fatal(err)
	}
	return k.PublicKey.String()
}

func TestStoreTrustSettings(t *testing.T) {
	dir := project(t, nil, "")
	p, err := Load(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if s := p.Store; s.RemoteMode != "readwrite" || len(s.TrustedKeys) != 0 || s.MaxObjectBytes != 1<<30 {
		t.Errorf("defaults: %+v", s)
	}
	k1, k2 := testPublicKey(t, 1), testPublicKey(t, 2)
	priv, _ := pipeline.GenerateKey(bytes.NewReader(bytes.Repeat([]byte{3}, 32)))
	for _, tc := range []struct {
		env, set []string
		check    func(s Store) bool
		err      string
	}{
		{env: []string{"REPRO_STORE_TRUSTED_KEYS=[" + k1 + ", " + k2 + "]"}, check: func(s Store) bool { return len(s.TrustedKeys) == 2 && s.TrustedKeys[1] == k2 }},
		{set: []string{"store.trusted_keys=[" + k1 + "]"}, check: func(s Store) bool { return len(s.TrustedKeys) == 1 }},
		{set: []string{"store.remote_mode=read"}, check: func(s Store) bool { return s.RemoteMode == "read" }},
		{env: []string{"REPRO_STORE_MAX_OBJECT_BYTES=1048576"}, check: func(s Store) bool { return s.MaxObjectBytes == 1<<20 }},
		{set: []string{"store.max_object_bytes=0"}, check: func(s Store) bool { return s.MaxObjectBytes == 0 }},
		// The signing key's variable is not a parameter, and is accepted.
		{env: []string{"REPRO_SIGNING_KEY_FILE=/secret/key"}, check: func(s Store) bool { return true }},
		{set: []string{"store.remote_mode=write"}, err: "store.remote_mode = \"write\": must be one of read, readwrite"},
		{set: []string{"store.max_object_bytes=-1"}, err: "store.max_object_bytes = -1: must be from 1024"},
		{set: []string{"store.max_object_bytes=100"}, err: "must be from 1024"},
		{set: []string{"store.max_object_bytes=1e15"}, err: "to 1099511627776"},
		{set: []string{"store.trusted_keys=" + k1}, err: "want a list"},
		{set: []string{"store.trusted_keys=[ssh-ed25519 AAAA]"}, err: "store.trusted_keys[0] = \"ssh-ed25519 AAAA\": public key: want repro-ed25519:"},
		{set: []string{"store.trusted_keys=[" + k1 + ", " + k1 + "]"}, err: "store.trusted_keys[1]"},
		{set: []string{"store.trusted_keys=[" + k1[:len(k1)-8] + "AAAAAAA=]"}, err: "does not match its bytes"},
		{env: []string{"REPRO_STORE_TRUSTED_KEYS=[" + strings.TrimSpace(string(priv.MarshalPrivate())) + "]"}, err: "REPRO_STORE_TRUSTED_KEYS: store.trusted_keys[0] = \"(hidden)\": this is a private key"},
		{set: []string{"store.signing_key_file=/k"}, err: "no such key"},
		{env: []string{"REPRO_STORE_SIGNING_KEY_FILE=/k"}, err: "no parameter has this variable"},
	} {
		p, err := Load(Options{Dir: dir, Environ: tc.env, Set: tc.set})
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("env %q set %q: err = %v, want %q", tc.env, tc.set, err, tc.err)
			}
			if err != nil && strings.Contains(err.Error(), "private:") {
				t.Errorf("the error shows a private key: %v", err)
			}
			continue
		}
		if err != nil || !tc.check(p.Store) {
			t.Errorf("env %q set %q: %+v, %v", tc.env, tc.set, p.Store, err)
		}
	}
}
