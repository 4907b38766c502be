package pipeline

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func testRecord() *Record {
	return &Record{
		Stage:   "neural/grid/lr=0.1",
		Key:     strings.Repeat("ab", 32),
		Outputs: map[string]string{"value": strings.Repeat("01", 32), "figure.svg": strings.Repeat("23", 32)},
		Metrics: map[string]float64{"test.mse": 0.25, "test.r2": -0.5},
	}
}

// The encoding is part of the format: a known answer pins it (a change
// must come with a new version, sigScheme and sigDomain).
func TestSignedMessageKnownAnswer(t *testing.T) {
	k := testKey(t, 7)
	msg := SignedMessage(k.ID, testRecord())
	if !bytes.HasPrefix(msg, append([]byte{0, 0, 0, 0, 0, 0, 0, byte(len(sigDomain))}, sigDomain...)) {
		t.Errorf("the message does not start with the length-prefixed domain: %q", msg[:40])
	}
	const wantPub = "repro-ed25519:fe812c12f3ab4ce6:6kpsY+KcUgq+9VB7Ey7F+ZVHdq6+vnuSQh7qaRRG0iw="
	if got := k.PublicKey.String(); got != wantPub {
		t.Errorf("public key = %s, want %s", got, wantPub)
	}
	const wantSig = "4d40080ce19cec4d0b4fd2d21e54d80e91bf6f68d8d0952f4ca3a8a58eb9cd868540efccb53e359afe6b4d3e77c0d74533b65289e0a1f750780bc0f8c82e420f"
	ent := k.Sign(testRecord(), strings.Repeat("cd", 32))
	if got := hex.EncodeToString(ent.Sig); got != wantSig {
		t.Errorf("signature = %s, want %s", got, wantSig)
	}
}

// Every field counts, and the length prefixes keep fields apart: no two
// distinct records give the same message.
func TestSignedMessageInjective(t *testing.T) {
	base := testRecord()
	id := testKey(t, 7).ID
	edits := map[string]func(r *Record){
		"key":         func(r *Record) { r.Key = strings.Repeat("ac", 32) },
		"stage":       func(r *Record) { r.Stage += "x" },
		"output hash": func(r *Record) { r.Outputs["value"] = strings.Repeat("02", 32) },
		"outputs swapped": func(r *Record) {
			r.Outputs["value"], r.Outputs["figure.svg"] = r.Outputs["figure.svg"], r.Outputs["value"]
		},
		"output renamed":   func(r *Record) { r.Outputs["valuf"] = r.Outputs["value"]; delete(r.Outputs, "value") },
		"output added":     func(r *Record) { r.Outputs["more"] = strings.Repeat("04", 32) },
		"output dropped":   func(r *Record) { delete(r.Outputs, "figure.svg") },
		"metric changed":   func(r *Record) { r.Metrics["test.mse"] = math.Nextafter(0.25, 1) },
		"metric negated 0": func(r *Record) { r.Metrics["test.mse"] = math.Copysign(0, -1) },
		"metric renamed":   func(r *Record) { r.Metrics["test.msf"] = r.Metrics["test.mse"]; delete(r.Metrics, "test.mse") },
		"metric dropped":   func(r *Record) { delete(r.Metrics, "test.r2") },
		"metric to output": func(r *Record) { delete(r.Metrics, "test.r2"); r.Outputs["test.r2"] = strings.Repeat("05", 32) },
		// Shifting bytes between adjacent fields keeps their
		// concatenation: only the length prefixes tell them apart.
		"stage/key boundary": func(r *Record) { r.Key, r.Stage = r.Key[:63], r.Key[63:]+r.Stage },
	}
	seen := map[string]string{string(SignedMessage(id, base)): "base"}
	for name, edit := range edits {
		r := testRecord()
		edit(r)
		m := string(SignedMessage(id, r))
		if other, ok := seen[m]; ok {
			t.Errorf("%s gives the same message as %s", name, other)
		}
		seen[m] = name
	}
	if bytes.Equal(SignedMessage(id, base), SignedMessage(testKey(t, 8).ID, base)) {
		t.Error("the signer's key id is not part of the message")
	}
	// Names and hashes run together differently: "ab"+"c" vs "a"+"bc".
	r1 := &Record{Outputs: map[string]string{"ab": "c"}}
	r2 := &Record{Outputs: map[string]string{"a": "bc"}}
	if bytes.Equal(SignedMessage(id, r1), SignedMessage(id, r2)) {
		t.Error("an output name and hash can shift bytes between them")
	}
}

func TestKeyText(t *testing.T) {
	k := testKey(t, 3)
	pub, err := ParsePublicKey(" " + k.PublicKey.String() + "\n")
	if err != nil || pub.ID != k.ID || !pub.Key.Equal(k.Key) {
		t.Fatalf("ParsePublicKey(String()) = %v, %v", pub, err)
	}
	priv, err := ParseSigningKey(k.MarshalPrivate())
	if err != nil || priv.ID != k.ID || !priv.priv.Equal(k.priv) {
		t.Fatalf("ParseSigningKey(MarshalPrivate()) = %v", err)
	}
	other := testKey(t, 4)
	good := k.PublicKey.String()
	_, b64, _ := strings.Cut(strings.TrimPrefix(good, publicKeyPrefix), ":")
	for _, tc := range []struct{ in, err string }{
		{"", "want repro-ed25519:"},
		{"ssh-ed25519 AAAA", "want repro-ed25519:"},
		{publicKeyPrefix + b64, "16 hex digits"},
		{publicKeyPrefix + strings.ToUpper(k.ID) + ":" + b64, "16 hex digits"},
		{publicKeyPrefix + other.ID + ":" + b64, "does not match its bytes"},
		{publicKeyPrefix + k.ID + ":" + b64[:20], "want 32 bytes"},
		{publicKeyPrefix + k.ID + ":" + strings.TrimRight(b64, "="), "want 32 bytes"},
		{publicKeyPrefix + k.ID + ":" + b64 + "AAAA", "want 32 bytes"},
		{string(k.MarshalPrivate()), "want repro-ed25519:"},
	} {
		if _, err := ParsePublicKey(tc.in); err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("ParsePublicKey(%q) = %v, want %q", tc.in, err, tc.err)
		}
	}
	if _, err := ParseSigningKey([]byte(good)); err == nil {
		t.Error("a public key parsed as a private key")
	}
	bad := bytes.Replace(k.MarshalPrivate(), []byte(k.ID), []byte(other.ID), 1)
	if _, err := ParseSigningKey(bad); err == nil || !strings.Contains(err.Error(), "does not match") {
		t.Errorf("a private key with another id: %v", err)
	}
}

func TestWriteAndLoadKeyPair(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "signing.key")
	k := testKey(t, 5)
	if err := WriteKeyPair(path, k); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("private key mode %v, %v; want 0600", fi.Mode().Perm(), err)
	}
	pubText, _ := os.ReadFile(path + ".pub")
	if pub, err := ParsePublicKey(string(pubText)); err != nil || pub.ID != k.ID {
		t.Errorf("public key file: %v", err)
	}
	got, err := LoadSigningKey(path)
	if err != nil || got.ID != k.ID {
		t.Fatalf("LoadSigningKey: %v", err)
	}
	// Never overwritten, neither the private nor the public key.
	if err := WriteKeyPair(path, testKey(t, 6)); err == nil || !strings.Contains(err.Error(), "not overwriting") {
		t.Errorf("second WriteKeyPair: %v", err)
	}
	if again, _ := LoadSigningKey(path); again == nil || again.ID != k.ID {
		t.Error("the key was overwritten")
	}
	other := filepath.Join(dir, "other.key")
	os.WriteFile(other+".pub", []byte("x"), 0o644)
	if err := WriteKeyPair(other, k); err == nil {
		t.Error("WriteKeyPair overwrote a public key file")
	}
	if _, err := os.Stat(other); err == nil {
		t.Error("a failed WriteKeyPair left a private key behind")
	}
	// A key other users can read is refused.
	os.Chmod(path, 0o640)
	if _, err := LoadSigningKey(path); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("LoadSigningKey of a group-readable key: %v", err)
	}
}

func TestRunEntry(t *testing.T) {
	k := testKey(t, 1)
	h := strings.Repeat("cd", 32)
	signed := k.Sign(testRecord(), h)
	for _, ent := range []*RunEntry{{Record: h}, signed} {
		b := ent.Marshal()
		got, err := ParseRunEntry(b)
		if err != nil || got.Record != ent.Record || got.KeyID != ent.KeyID || !bytes.Equal(got.Sig, ent.Sig) {
			t.Errorf("ParseRunEntry(%q) = %+v, %v", b, got, err)
		}
	}
	sigLine := strings.SplitN(string(signed.Marshal()), "\n", 2)[1]
	for _, tc := range []struct{ in, err string }{
		{"", "newline"},
		{h, "newline"},
		{h + "\r\n", "hash of a record"},
		{strings.ToUpper(h) + "\n", "hash of a record"},
		{h[:63] + "\n", "hash of a record"},
		{" " + h + "\n", "hash of a record"},
		{h + "\n\n", "signature line"},
		{h + "\n" + strings.Replace(sigLine, "ed25519-v1", "ed25519-v2", 1), "signature line"},
		{h + "\n" + strings.Replace(sigLine, " ", "  ", 1), "signature line"},
		{h + "\n" + strings.Replace(sigLine, k.ID, k.ID[:15], 1), "16 hex digits"},
		{h + "\n" + strings.Replace(sigLine, "\n", "AAAA\n", 1), "64 bytes"},
		{h + "\n" + sigLine + sigLine, "signature line"},
		{h + "\n" + strings.Repeat("x", MaxRunEntryBytes), "size limit"},
	} {
		if _, err := ParseRunEntry([]byte(tc.in)); err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("ParseRunEntry(%q) = %v, want %q", tc.in, err, tc.err)
		}
	}
}

func TestTrustCheck(t *testing.T) {
	honest, attacker := testKey(t, 1), testKey(t, 2)
	rec := testRecord()
	h := strings.Repeat("cd", 32)
	good := honest.Sign(rec, h)
	forged := attacker.Sign(rec, h)
	forged.KeyID = honest.ID // the attacker's signature, claiming the honest key
	changed := testRecord()
	changed.Metrics["test.mse"] = 0.24
	trust := NewTrust([]PublicKey{honest.PublicKey}, nil)
	for _, tc := range []struct {
		name string
		rec  *Record
		ent  *RunEntry
		err  string
	}{
		{"honest", rec, good, ""},
		{"unsigned", rec, &RunEntry{Record: h}, "unsigned"},
		{"untrusted key", rec, attacker.Sign(rec, h), "not trusted"},
		{"forged key id", rec, forged, "does not match"},
		{"changed metric", changed, good, "does not match"},
	} {
		err := trust.Check(tc.rec, tc.ent)
		if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("%s: Check = %v, want %q", tc.name, err, tc.err)
		}
	}
	if err := NewTrust(nil, nil).Check(changed, &RunEntry{Record: h}); err != nil {
		t.Errorf("no trusted keys: %v, want everything accepted", err)
	}
	if err := NewTrust(nil, attacker).Check(rec, attacker.Sign(rec, h)); err != nil {
		t.Errorf("a signer does not trust its own key: %v", err)
	}
}

// FuzzParseRunEntry: the decoder of remote run entries never panics, and
// what it accepts is exactly what Marshal writes (one text per entry).
func FuzzParseRunEntry(f *testing.F) {
	k := testKey(f, 1)
	h := strings.Repeat("cd", 32)
	f.Add(k.Sign(testRecord(), h).Marshal())
	f.Add([]byte(h + "\n"))
	f.Add([]byte(h + "\ned25519-v1 0123456789abcdef AAAA\n"))
	f.Add([]byte("\n"))
	trust := NewTrust([]PublicKey{k.PublicKey}, nil)
	f.Fuzz(func(t *testing.T, b []byte) {
		ent, err := ParseRunEntry(b)
		if err != nil {
			return
		}
		if !bytes.Equal(ent.Marshal(), b) {
			t.Fatalf("ParseRunEntry accepted %q, which Marshal writes as %q", b, ent.Marshal())
		}
		if ent.Signed() && len(ent.Sig) != ed25519.SignatureSize {
			t.Fatalf("signature of %d bytes", len(ent.Sig))
		}
		// Checking never panics; only the honest signature verifies.
		if trust.Check(testRecord(), ent) == nil && !bytes.Equal(ent.Marshal(), k.Sign(testRecord(), ent.Record).Marshal()) {
			t.Fatalf("accepted a signature the key did not make: %q", b)
		}
	})
}

func BenchmarkSignRecord(b *testing.B) {
	k := testKey(b, 1)
	rec := testRecord()
	for b.Loop() {
		k.Sign(rec, rec.Key)
	}
}

func BenchmarkVerifyRecord(b *testing.B) {
	k := testKey(b, 1)
	rec := testRecord()
	ent := k.Sign(rec, rec.Key)
	trust := NewTrust([]PublicKey{k.PublicKey}, nil)
	for b.Loop() {
		if err := trust.Check(rec, ent); err != nil {
			b.Fatal(err)
		}
	}
}
