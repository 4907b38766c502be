package pipeline

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"runtime"
	"strings"
	"syscall"
)

// Signed results (docs/security.md). Every run entry a worker uploads to a
// Remote carries an ed25519 signature over the record it names; a client
// that lists trusted public keys (store.trusted_keys) accepts a remote entry
// only if one of them signed it. Bucket write access alone can then at most
// deny service: it cannot make a client use a result no trusted key signed.
//
// Text forms (one line each):
//
//	repro-ed25519:<key id>:<base64 public key>            a public key, for store.trusted_keys
//	repro-ed25519-private:<key id>:<base64 seed>          a private key file (REPRO_SIGNING_KEY_FILE)
//
// The key id is the first 8 bytes of the sha256 of the 32-byte public key, in
// hex (16 characters); a key whose id does not match its bytes is refused.
//
// A remote run entry (RunEntry) is the hash of the record object, then, if
// signed, one line "ed25519-v1 <key id> <base64 signature>". The signed
// message is SignedMessage: a versioned, domain-separated, length-prefixed
// encoding of the signer's key id, the key, the stage, every output name and
// hash, and every metric (name and float64 bits), names sorted.

const (
	publicKeyPrefix  = "repro-ed25519:"
	privateKeyPrefix = "repro-ed25519-private:"
	// sigScheme names the signature line's scheme and the version of
	// SignedMessage's encoding.
	sigScheme = "ed25519-v1"
	// sigDomain starts every signed message, so that a signature made for
	// a run record can never be taken for a signature of anything else.
	sigDomain = "repro signed run record v1"
)

// Limits on what a pull downloads (see Engine.MaxObjectBytes).
const (
	// MaxRunEntryBytes caps a remote run entry (a hash and a signature
	// line: about 200 bytes).
	MaxRunEntryBytes = 4 << 10
	// MaxRecordBytes caps a remote record object (names, hashes and
	// metrics of one stage: a few kilobytes).
	MaxRecordBytes = 1 << 20
	// DefaultMaxObjectBytes caps every other downloaded object unless
	// store.max_object_bytes says otherwise.
	DefaultMaxObjectBytes = 1 << 30
)

// ErrTooLarge is returned (wrapped) by Remote.Get for an entry larger than
// the limit it was given.
var ErrTooLarge = errors.New("larger than the size limit")

// A PublicKey is a key whose signatures a client may trust.
type PublicKey struct {
	ID  string // 16 hex digits: the first 8 bytes of sha256(Key)
	Key ed25519.PublicKey
}

// KeyID is the id of an ed25519 public key.
func KeyID(pub ed25519.PublicKey) string {
	s := sha256.Sum256(pub)
	return hex.EncodeToString(s[:8])
}

// String is the key's one-line text form, as store.trusted_keys lists it.
func (k PublicKey) String() string {
	return publicKeyPrefix + k.ID + ":" + base64.StdEncoding.EncodeToString(k.Key)
}

// ParsePublicKey parses the text form of a public key.
func ParsePublicKey(s string) (PublicKey, error) {
	id, raw, err := parseKeyText(strings.TrimSpace(s), publicKeyPrefix, ed25519.PublicKeySize)
	if err != nil {
		return PublicKey{}, fmt.Errorf("public key: %w", err)
	}
	k := PublicKey{ID: id, Key: ed25519.PublicKey(raw)}
	if KeyID(k.Key) != id {
		return PublicKey{}, fmt.Errorf("public key: its id %s does not match its bytes (id %s): mistyped or altered", id, KeyID(k.Key))
	}
	return k, nil
}

// parseKeyText splits "<prefix><id>:<base64>" and decodes the base64 into n
// bytes.
func parseKeyText(s, prefix string, n int) (id string, raw []byte, err error) {
	rest, ok := strings.CutPrefix(s, prefix)
	if !ok {
		return "", nil, fmt.Errorf("want %s<key id>:<base64> as `repro keygen` prints it", prefix)
	}
	id, b64, ok := strings.Cut(rest, ":")
	if !ok || len(id) != 16 || !isLowerHex(id) {
		return "", nil, fmt.Errorf("want %s<key id>:<base64>, the key id being 16 hex digits", prefix)
	}
	raw, err = base64.StdEncoding.Strict().DecodeString(b64)
	if err != nil || len(raw) != n {
		return "", nil, fmt.Errorf("key %s: want %d bytes in standard base64", id, n)
	}
	return id, raw, nil
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// A SigningKey signs the records a worker uploads.
type SigningKey struct {
	PublicKey
	priv ed25519.PrivateKey
}

// GenerateKey makes a new signing key from rand (crypto/rand if nil).
func GenerateKey(r io.Reader) (*SigningKey, error) {
	if r == nil {
		r = rand.Reader
	}
	pub, priv, err := ed25519.GenerateKey(r)
	if err != nil {
		return nil, err
	}
	return &SigningKey{PublicKey: PublicKey{ID: KeyID(pub), Key: pub}, priv: priv}, nil
}

// MarshalPrivate is the text of the private key file (one line).
func (k *SigningKey) MarshalPrivate() []byte {
	return []byte(privateKeyPrefix + k.ID + ":" + base64.StdEncoding.EncodeToString(k.priv.Seed()) + "\n")
}

// ParseSigningKey parses the text of a private key file.
func ParseSigningKey(b []byte) (*SigningKey, error) {
	id, seed, err := parseKeyText(strings.TrimSpace(string(b)), privateKeyPrefix, ed25519.SeedSize)
	if err != nil {
		return nil, fmt.Errorf("private key: %w", err)
	}
	priv := ed25519.NewKeyFromSeed(seed)
	pub := priv.Public().(ed25519.PublicKey)
	if KeyID(pub) != id {
		return nil, fmt.Errorf("private key: its id %s does not match its bytes (id %s): altered", id, KeyID(pub))
	}
	return &SigningKey{PublicKey: PublicKey{ID: id, Key: pub}, priv: priv}, nil
}

// LoadSigningKey reads a private key file. Like ssh, it refuses a file that
// other users can read or write (chmod 600 it). The file must be a regular
// file (a symbolic link to one is fine): a named pipe, a device, a socket or
// a directory is refused at once, without waiting for a writer (it is
// opened non-blocking and checked before it is read).
func LoadSigningKey(path string) (*SigningKey, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("signing key %s: %s, not a regular file: give the private key file `repro keygen` wrote (mode 0600)", path, fileKind(fi.Mode()))
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("signing key %s: mode %04o lets other users read or change it: chmod 600 %s", path, fi.Mode().Perm(), path)
	}
	b, err := io.ReadAll(io.LimitReader(f, 4<<10))
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", path, err)
	}
	k, err := ParseSigningKey(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

// WriteKeyPair writes a new key pair: the private key to path (mode 0600)
// and the public key to path+".pub". It refuses to overwrite either file.
func WriteKeyPair(path string, k *SigningKey) error {
	files := []struct {
		path string
		mode os.FileMode
		text []byte
	}{{path, 0o600, k.MarshalPrivate()}, {path + ".pub", 0o644, []byte(k.PublicKey.String() + "\n")}}
	var made []string
	for _, f := range files {
		err := writeNew(f.path, f.mode, f.text)
		if err != nil {
			for _, m := range made {
				os.Remove(m)
			}
			if errors.Is(err, fs.ErrExist) {
				return fmt.Errorf("%s exists: not overwriting a key", f.path)
			}
			return err
		}
		made = append(made, f.path)
	}
	return nil
}

// writeNew creates path (which must not exist) with mode and writes b.
func writeNew(path string, mode os.FileMode, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
	}
	return err
}

// SignedMessage is the byte string a signature of rec by key id covers:
//
//	field("repro signed run record v1")
//	field(id) field(rec.Key) field(rec.Stage)
//	uint64(len(outputs)) { field(name) field(hash) }   names sorted
//	uint64(len(metrics)) { field(name) uint64(float64 bits) }   names sorted
//
// where field(s) is uint64(len(s)) followed by the bytes of s, and every
// uint64 is big-endian. Length prefixes make the encoding injective: no two
// different records (or signers) give the same message.
func SignedMessage(id string, rec *Record) []byte {
	n := 64 + len(id) + len(rec.Key) + len(rec.Stage)
	for name, h := range rec.Outputs {
		n += 16 + len(name) + len(h)
	}
	for name := range rec.Metrics {
		n += 16 + len(name)
	}
	b := make([]byte, 0, n)
	field := func(s string) {
		b = binary.BigEndian.AppendUint64(b, uint64(len(s)))
		b = append(b, s...)
	}
	field(sigDomain)
	field(id)
	field(rec.Key)
	field(rec.Stage)
	b = binary.BigEndian.AppendUint64(b, uint64(len(rec.Outputs)))
	for _, name := range sortedKeys(rec.Outputs) {
		field(name)
		field(rec.Outputs[name])
	}
	b = binary.BigEndian.AppendUint64(b, uint64(len(rec.Metrics)))
	for _, name := range sortedKeys(rec.Metrics) {
		field(name)
		b = binary.BigEndian.AppendUint64(b, math.Float64bits(rec.Metrics[name]))
	}
	return b
}

// Sign returns the signed run entry of rec, whose record object hashes to
// recordHash.
func (k *SigningKey) Sign(rec *Record, recordHash string) *RunEntry {
	return &RunEntry{Record: recordHash, KeyID: k.ID, Sig: ed25519.Sign(k.priv, SignedMessage(k.ID, rec))}
}

// A RunEntry is a run-cache entry on a Remote: the hash of a record object
// and, if signed, the signer's key id and signature. Its text is
//
//	<record hash>\n
//	ed25519-v1 <key id> <base64 signature>\n     (signed entries only)
//
// An entry of the first line alone is unsigned (what a client without a
// signing key, or an older repro, uploads).
type RunEntry struct {
	Record string
	KeyID  string // "" if unsigned
	Sig    []byte
}

// Signed reports whether the entry carries a signature.
func (r *RunEntry) Signed() bool { return r.KeyID != "" }

// Marshal returns the entry's text; ParseRunEntry(r.Marshal()) gives r back.
func (r *RunEntry) Marshal() []byte {
	s := r.Record + "\n"
	if r.Signed() {
		s += sigScheme + " " + r.KeyID + " " + base64.StdEncoding.EncodeToString(r.Sig) + "\n"
	}
	return []byte(s)
}

// ParseRunEntry parses a run entry's text, strictly: exactly the form
// Marshal writes.
func ParseRunEntry(b []byte) (*RunEntry, error) {
	if len(b) > MaxRunEntryBytes {
		return nil, fmt.Errorf("run entry of %d bytes: %w", len(b), ErrTooLarge)
	}
	s, ok := bytes.CutSuffix(b, []byte("\n"))
	if !ok {
		return nil, errors.New("run entry does not end in a newline")
	}
	first, rest, signed := bytes.Cut(s, []byte("\n"))
	if len(first) != 64 || !isLowerHex(string(first)) {
		return nil, errors.New("run entry does not start with the hash of a record object")
	}
	r := &RunEntry{Record: string(first)}
	if !signed {
		return r, nil
	}
	parts := strings.Split(string(rest), " ")
	if len(parts) != 3 || parts[0] != sigScheme {
		return nil, fmt.Errorf("run entry: want a signature line %q", sigScheme+" <key id> <base64 signature>")
	}
	if len(parts[1]) != 16 || !isLowerHex(parts[1]) {
		return nil, errors.New("run entry: the key id is not 16 hex digits")
	}
	sig, err := base64.StdEncoding.Strict().DecodeString(parts[2])
	if err != nil || len(sig) != ed25519.SignatureSize {
		return nil, fmt.Errorf("run entry: the signature is not %d bytes in standard base64", ed25519.SignatureSize)
	}
	r.KeyID, r.Sig = parts[1], sig
	return r, nil
}

// Trust is the set of public keys whose signatures a client accepts.
type Trust struct {
	keys map[string]ed25519.PublicKey
}

// NewTrust trusts keys and, implicitly, the client's own signing key (if
// any): a client that can sign anything gains nothing by doubting itself.
func NewTrust(keys []PublicKey, self *SigningKey) *Trust {
	t := &Trust{keys: map[string]ed25519.PublicKey{}}
	for _, k := range keys {
		t.keys[k.ID] = k.Key
	}
	if self != nil {
		t.keys[self.ID] = self.Key
	}
	return t
}

// Len is the number of trusted keys; 0 means results are not authenticated.
func (t *Trust) Len() int { return len(t.keys) }

// Untrusted says why a record was refused.
type Untrusted struct {
	KeyID  string // the signer the entry names, "" if unsigned
	Reason string
}

func (u *Untrusted) Error() string { return u.Reason }

// CheckSigner is the part of Check that needs no record: whether the entry
// is signed by a trusted key (with no trusted keys, any entry passes). A pull
// checks it before downloading the record.
func (t *Trust) CheckSigner(ent *RunEntry) error {
	if t.Len() == 0 {
		return nil
	}
	if !ent.Signed() {
		return &Untrusted{Reason: "unsigned, and this client accepts only signed results (store.trusted_keys)"}
	}
	if _, ok := t.keys[ent.KeyID]; !ok {
		return &Untrusted{KeyID: ent.KeyID, Reason: fmt.Sprintf("signed by key %s, which is not trusted (store.trusted_keys)", ent.KeyID)}
	}
	return nil
}

// Check accepts rec with the entry that names it if the entry is signed by a
// trusted key and the signature covers exactly rec; otherwise it returns an
// *Untrusted. With no trusted keys it accepts everything.
func (t *Trust) Check(rec *Record, ent *RunEntry) error {
	if err := t.CheckSigner(ent); err != nil || t.Len() == 0 {
		return err
	}
	if !ed25519.Verify(t.keys[ent.KeyID], SignedMessage(ent.KeyID, rec), ent.Sig) {
		return &Untrusted{KeyID: ent.KeyID, Reason: fmt.Sprintf("the signature of key %s does not match the record (altered, or copied from another record)", ent.KeyID)}
	}
	return nil
}
