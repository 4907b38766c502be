package pipeline

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// Entries that came from a remote keep the remote's run entry (the record
// hash and its signature) beside their local run entry:
//
//	<dir>/runs/12/1234...       the run entry: the hash of the record object
//	<dir>/runs/12/1234....sig   the run entry as it was pulled (RunEntry text)
//
// so that `repro verify` can check them again against the trusted keys of
// the day (a key removed from store.trusted_keys, results pulled before keys
// were configured) and remove those that fail. An entry without the side
// file was computed here.

// cachedRecord is the run-cache entry of key (Store.Record), checked once
// more if it came from a remote: when the run trusts keys (RemotePolicy)
// and none of them signed the entry any more (a key removed from
// store.trusted_keys after the pull, a side file that no longer matches),
// the entry is a miss, with a warning naming the stage and the signer, and
// the stage is computed (or pulled with a trusted signature) again, unless
// RemotePolicy.KeepUntrusted says to use it anyway (also with a warning).
// `repro verify --purge-untrusted` removes such entries for good.
func (e *Engine) cachedRecord(s *Stage, key string) (*Record, error) {
	rec, err := lookupRecord(e.Store, key)
	if rec == nil || err != nil {
		return rec, err
	}
	trust := e.remoteTrust()
	if trust.Len() == 0 {
		return rec, nil // unauthenticated: anything is accepted, as at pull time
	}
	side, rerr := ReadRegularFile(e.Store.pulledPath(key), maxRunEntryBytes, "a signature")
	if errors.Is(rerr, fs.ErrNotExist) {
		return rec, nil // computed here
	}
	p := e.Store.checkPulled(trust, key, side, rerr)
	if p == nil {
		return rec, nil
	}
	signer := "none"
	if p.KeyID != "" {
		signer = p.KeyID
	}
	e.remote.mu.Lock()
	keep := e.remote.policy.KeepUntrusted
	e.remote.distrusted++
	e.remote.mu.Unlock()
	if keep {
		e.observe(Event{Kind: EventWarning, Stage: s.Name, Err: fmt.Errorf("using a result pulled from a remote store that no trusted key vouches for any more (signer key id: %s): %s (--keep-untrusted)", signer, p.Reason)})
		return rec, nil
	}
	e.observe(Event{Kind: EventWarning, Stage: s.Name, Err: fmt.Errorf("result pulled from a remote store earlier is no longer trusted (signer key id: %s): %s; computing it again (`repro verify --purge-untrusted` removes every such entry; --keep-untrusted uses them)", signer, p.Reason)})
	return nil, nil
}

// pulledPath is the side file of a pulled key.
func (s *Store) pulledPath(key string) string { return s.runPath(key) + ".sig" }

// PutPulled stores a record downloaded from a remote with the run entry
// that named it: the side file first, then the record and its run entry (a
// crash in between leaves a side file naming a record the run entry does
// not name, which verify reports, never a pulled entry without its side
// file).
func (s *Store) PutPulled(rec *Record, ent *RunEntry) error {
	if !validHash(rec.Key) {
		return fmt.Errorf("store: bad key %q", rec.Key)
	}
	if err := WriteFileAtomic(s.pulledPath(rec.Key), ent.Marshal()); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return s.PutRecord(rec)
}

// forgetPulled drops the side file of key, after a local run rewrote its
// entry.
func (s *Store) forgetPulled(key string) error {
	if !validHash(key) {
		return nil
	}
	if err := os.Remove(s.pulledPath(key)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("store: %w", err)
	}
	return nil
}

// Forget removes the run entry of key and its side file (its objects stay
// until gc): the stage is computed, or pulled, again by the next run.
func (s *Store) Forget(key string) error {
	if !validHash(key) {
		return fmt.Errorf("store: bad key %q", key)
	}
	if err := os.Remove(s.runPath(key)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("store: %w", err)
	}
	return s.forgetPulled(key)
}

// A PulledProblem is an entry that came from a remote and that the trusted
// keys do not vouch for.
type PulledProblem struct {
	Key    string `json:"key"`
	Stage  string `json:"stage,omitempty"`
	KeyID  string `json:"key_id,omitempty"` // the signer the entry names, "" if unsigned
	Reason string `json:"reason"`
}

// CheckPulled checks every run entry that came from a remote against t: its
// side file must name the record the run entry names, and a trusted key
// must have signed that record. It returns how many entries came from a
// remote and those that fail. With no trusted keys nothing can fail.
func (s *Store) CheckPulled(t *Trust) (pulled int, probs []PulledProblem, err error) {
	keys, err := s.Keys()
	if err != nil {
		return 0, nil, err
	}
	for _, k := range keys {
		sb, err := ReadRegularFile(s.pulledPath(k), maxRunEntryBytes, "a signature")
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		pulled++
		if t.Len() == 0 {
			continue
		}
		if p := s.checkPulled(t, k, sb, err); p != nil {
			probs = append(probs, *p)
		}
	}
	return pulled, probs, nil
}

func (s *Store) checkPulled(t *Trust, key string, side []byte, readErr error) *PulledProblem {
	p := &PulledProblem{Key: key}
	if readErr != nil {
		p.Reason = readErr.Error()
		return p
	}
	ent, err := ParseRunEntry(side)
	if err != nil {
		p.Reason = "its remote run entry is unreadable: " + err.Error()
		return p
	}
	p.KeyID = ent.KeyID
	b, err := ReadRegularFile(s.runPath(key), maxRunEntryBytes, "a run-cache entry")
	if err != nil {
		p.Reason = err.Error()
		return p
	}
	if h := strings.TrimSpace(string(b)); h != ent.Record {
		p.Reason = "its run entry no longer names the record that was pulled"
		return p
	}
	rb, err := ReadRegularFile(s.objectPath(ent.Record), MaxRecordBytes, "a record") // not Get: verify changes nothing
	if err != nil || HashBytes(rb) != ent.Record {
		p.Reason = "its record object is missing or corrupt"
		return p
	}
	var rec Record
	if err := json.Unmarshal(rb, &rec); err != nil || rec.Key != key {
		p.Reason = "its record is malformed"
		return p
	}
	p.Stage = rec.Stage
	if err := t.Check(&rec, ent); err != nil {
		p.Reason = err.Error()
		return p
	}
	return nil
}
