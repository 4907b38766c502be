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
