package pipeline

import (
	"encoding/json"
	"os"
	"strings"
	"sync"
	"testing"
)

// Signed results: a client that trusts only the honest key refuses every
// poisoned remote entry (a miss, one warning naming the stage and the key
// id), computes the stage, and a client that can sign uploads it again.

// stageWarnings collects the engine's warnings as "stage: message".
func stageWarnings(e *Engine) *[]string {
	var mu sync.Mutex
	var ws []string
	e.Observe = func(ev Event) {
		if ev.Kind == EventWarning {
			mu.Lock()
			ws = append(ws, ev.Stage+": "+ev.Err.Error())
			mu.Unlock()
		}
	}
	return &ws
}

// poisoner edits the remote that an honest run filled.
type poisoner struct {
	t        *testing.T
	rem      *memRemote
	res      *RunResult // the honest run
	honest   *SigningKey
	attacker *SigningKey
}

func (p *poisoner) key(stage string) string { return p.res.Outcomes[stage].Key }

// entry returns the remote run entry of stage and the record it names.
func (p *poisoner) entry(stage string) (*RunEntry, *Record) {
	ent, err := ParseRunEntry(p.rem.m[RemoteRunName(p.key(stage))])
	if err != nil {
		p.t.Fatal(err)
	}
	var rec Record
	if err := json.Unmarshal(p.rem.m[RemoteObjectName(ent.Record)], &rec); err != nil {
		p.t.Fatal(err)
	}
	return ent, &rec
}

// put uploads rec (as the engine encodes it, or as raw if given) and makes
// the run entry of key name it, with sign's entry for it.
func (p *poisoner) put(key string, rec *Record, raw []byte, sign func(rh string) *RunEntry) {
	b := raw
	if b == nil {
		b, _ = json.Marshal(rec)
	}
	rh := HashBytes(b)
	p.rem.m[RemoteObjectName(rh)] = b
	p.rem.m[RemoteRunName(key)] = sign(rh).Marshal()
}

// keep reuses an old signature for a new record.
func keep(ent *RunEntry) func(string) *RunEntry {
	return func(rh string) *RunEntry { e := *ent; e.Record = rh; return &e }
}

func TestRemotePoisonedRecordsAreRefused(t *testing.T) {
	for _, tc := range []struct {
		name   string
		stage  string // the stage whose remote entry is poisoned
		poison func(p *poisoner)
		want   string // in the one warning
		keyID  string // "honest" or "attacker": the key id the warning names
		maxObj int64  // the client's store.max_object_bytes
	}{
		{name: "changed metric", stage: "sum", want: "does not match", keyID: "honest", poison: func(p *poisoner) {
			ent, rec := p.entry("sum")
			rec.Metrics["test.total"]++
			p.put(rec.Key, rec, nil, keep(ent))
		}},
		{name: "swapped outputs", stage: "double", want: "does not match", keyID: "honest", poison: func(p *poisoner) {
			ent, rec := p.entry("double")
			_, sq := p.entry("square")
			rec.Outputs["value"] = sq.Outputs["value"]
			p.put(rec.Key, rec, nil, keep(ent))
		}},
		{name: "copied to another key", stage: "square", want: "copied from another entry", keyID: "honest", poison: func(p *poisoner) {
			p.rem.m[RemoteRunName(p.key("square"))] = p.rem.m[RemoteRunName(p.key("double"))]
		}},
		{name: "copied to another key and rewritten", stage: "square", want: "does not match", keyID: "honest", poison: func(p *poisoner) {
			ent, rec := p.entry("double")
			rec.Key, rec.Stage = p.key("square"), "square"
			p.put(rec.Key, rec, nil, keep(ent))
		}},
		{name: "unsigned", stage: "source", want: "unsigned", poison: func(p *poisoner) {
			ent, rec := p.entry("source")
			p.put(rec.Key, rec, nil, func(string) *RunEntry { return &RunEntry{Record: ent.Record} })
		}},
		{name: "signed by an untrusted key", stage: "sum", want: "not trusted", keyID: "attacker", poison: func(p *poisoner) {
			_, rec := p.entry("sum")
			rec.Metrics["test.total"] = 1e9
			p.put(rec.Key, rec, nil, func(rh string) *RunEntry { return p.attacker.Sign(rec, rh) })
		}},
		{name: "signed by an untrusted key claiming the honest key id", stage: "sum", want: "does not match", keyID: "honest", poison: func(p *poisoner) {
			_, rec := p.entry("sum")
			rec.Metrics["test.total"] = 1e9
			p.put(rec.Key, rec, nil, func(rh string) *RunEntry { e := p.attacker.Sign(rec, rh); e.KeyID = p.honest.ID; return e })
		}},
		// The honest key signs these, but they are still refused.
		{name: "output name with ..", stage: "double", want: `output name "../escape"`, poison: func(p *poisoner) {
			_, rec := p.entry("double")
			rec.Outputs = map[string]string{"../escape": rec.Outputs["value"]}
			p.put(rec.Key, rec, nil, func(rh string) *RunEntry { return p.honest.Sign(rec, rh) })
		}},
		{name: "absolute output name", stage: "sum", want: "absolute paths are not allowed", poison: func(p *poisoner) {
			_, rec := p.entry("sum")
			rec.Outputs["/etc/cron.d/x"] = rec.Outputs["value"]
			p.put(rec.Key, rec, nil, func(rh string) *RunEntry { return p.honest.Sign(rec, rh) })
		}},
		{name: "output hash not a hash", stage: "sum", want: "not an object hash", poison: func(p *poisoner) {
			_, rec := p.entry("sum")
			rec.Outputs["value"] = "../../../../etc/passwd"
			p.put(rec.Key, rec, nil, func(rh string) *RunEntry { return p.honest.Sign(rec, rh) })
		}},
		{name: "record not canonical", stage: "double", want: "canonical", poison: func(p *poisoner) {
			_, rec := p.entry("double")
			raw, _ := json.MarshalIndent(rec, "", " ")
			p.put(rec.Key, rec, raw, func(rh string) *RunEntry { return p.honest.Sign(rec, rh) })
		}},
		{name: "oversized record", stage: "sum", want: "larger than", poison: func(p *poisoner) {
			_, rec := p.entry("sum")
			rec.Metrics[strings.Repeat("m", MaxRecordBytes)] = 1
			p.put(rec.Key, rec, nil, func(rh string) *RunEntry { return p.honest.Sign(rec, rh) })
		}},
		{name: "oversized object", stage: "double", want: "larger than the limit of 1024 bytes", maxObj: 1024, poison: func(p *poisoner) {
			_, rec := p.entry("double")
			big := []byte(strings.Repeat(" ", 4096) + "[2,4,6]")
			p.rem.m[RemoteObjectName(HashBytes(big))] = big
			rec.Outputs["value"] = HashBytes(big)
			p.put(rec.Key, rec, nil, func(rh string) *RunEntry { return p.honest.Sign(rec, rh) })
		}},
		{name: "oversized run entry", stage: "square", want: "larger than", poison: func(p *poisoner) {
			p.rem.m[RemoteRunName(p.key("square"))] = []byte(strings.Repeat("0", MaxRunEntryBytes+1))
		}},
		{name: "malformed run entry", stage: "square", want: "does not start with the hash", poison: func(p *poisoner) {
			p.rem.m[RemoteRunName(p.key("square"))] = []byte("<html>503</html>\n")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			envs := newTestEnvs(t, 4)
			rem := newMemRemote()
			for _, e := range envs {
				e.engine.Remote = rem
			}
			honest := testKey(t, 1) // newTestEnvs' signer
			a, b, c, d := envs[0], envs[1], envs[2], envs[3]
			ra, err := a.run(a.graph(3, false))
			if err != nil {
				t.Fatal(err)
			}
			p := &poisoner{t: t, rem: rem, res: ra, honest: honest, attacker: testKey(t, 2)}
			tc.poison(p)

			// b trusts only the honest key and cannot sign.
			b.engine.SetRemotePolicy(RemotePolicy{Trusted: []PublicKey{honest.PublicKey}, MaxObjectBytes: tc.maxObj})
			ws := stageWarnings(b.engine)
			puts := rem.puts
			rb, err := b.run(b.graph(3, false))
			if err != nil {
				t.Fatal(err)
			}
			if sorted(rb.Ran) != tc.stage || len(rb.Pulled) != 3 {
				t.Errorf("ran %v, pulled %v; want %s computed and the other three pulled", rb.Ran, rb.Pulled, tc.stage)
			}
			// One warning: the refused stage (the warning about not
			// uploading comes with it, since b cannot sign).
			var refusals []string
			for _, w := range *ws {
				if !strings.Contains(w, "no signing key") {
					refusals = append(refusals, w)
				}
			}
			if len(refusals) != 1 || !strings.HasPrefix(refusals[0], tc.stage+": ") || !strings.Contains(refusals[0], tc.want) {
				t.Fatalf("warnings %q; want one for %s saying %q", *ws, tc.stage, tc.want)
			}
			switch tc.keyID {
			case "honest":
				if !strings.Contains(refusals[0], honest.ID) {
					t.Errorf("the warning does not name the key id %s: %s", honest.ID, refusals[0])
				}
			case "attacker":
				if !strings.Contains(refusals[0], p.attacker.ID) {
					t.Errorf("the warning does not name the key id %s: %s", p.attacker.ID, refusals[0])
				}
			}
			if rem.puts != puts {
				t.Errorf("a client without a signing key uploaded %d names", rem.puts-puts)
			}
			for name, o := range rb.Outcomes {
				if o.Record.OutputHash() != ra.Outcomes[name].Record.OutputHash() || len(o.Record.Metrics) != len(ra.Outcomes[name].Record.Metrics) {
					t.Errorf("%s: the local result differs from the honest one", name)
				}
			}
			if got, _ := os.ReadFile(b.dir + "/artifacts/total.txt"); string(got) != strings.Repeat("x", 26%7) {
				t.Errorf("export = %q", got)
			}
			n, probs, err := b.engine.Store.CheckPulled(NewTrust([]PublicKey{honest.PublicKey}, nil))
			if err != nil || n != 3 || len(probs) != 0 {
				t.Errorf("CheckPulled = %d, %v, %v; want the 3 pulled entries, all trusted", n, probs, err)
			}
			// Nothing poisoned stayed behind: a second run is all cached.
			if r, err := b.run(b.graph(3, false)); err != nil || len(r.Cached) != 4 {
				t.Errorf("second run: %v, cached %v", err, r.Cached)
			}

			// c can sign: it refuses too, computes, and uploads again;
			// then a fresh client pulls everything without a warning.
			c.engine.SetRemotePolicy(RemotePolicy{Signer: honest, MaxObjectBytes: tc.maxObj})
			if rc, err := c.run(c.graph(3, false)); err != nil || sorted(rc.Ran) != tc.stage {
				t.Fatalf("signing client: ran %v, err %v", rc.Ran, err)
			}
			d.engine.SetRemotePolicy(RemotePolicy{Trusted: []PublicKey{honest.PublicKey}, MaxObjectBytes: tc.maxObj})
			ws = stageWarnings(d.engine)
			if rd, err := d.run(d.graph(3, false)); err != nil || len(rd.Pulled) != 4 || len(*ws) != 0 {
				t.Errorf("after the re-upload: pulled %v, warnings %q, err %v; want all four pulled, no warning", rd.Pulled, *ws, err)
			}
		})
	}
}

func TestRemoteReadOnlyModePushesNothing(t *testing.T) {
	envs := newTestEnvs(t, 2)
	rem := newMemRemote()
	a, b := envs[0], envs[1]
	a.engine.Remote, b.engine.Remote = rem, rem
	if _, err := a.run(a.graph(3, false)); err != nil {
		t.Fatal(err)
	}
	// b could sign, but is told to only read (an untrusted pull request).
	b.engine.SetRemotePolicy(RemotePolicy{Signer: testKey(t, 1), ReadOnly: true})
	ws := stageWarnings(b.engine)
	puts := rem.puts
	rb, err := b.run(b.graph(5, false))
	if err != nil || len(rb.Ran) != 4 {
		t.Fatalf("ran %v, %v", rb.Ran, err)
	}
	rb, err = b.run(b.graph(3, false))
	if err != nil || len(rb.Pulled) != 4 {
		t.Errorf("pulled %v, %v; want all four", rb.Pulled, err)
	}
	if rem.puts != puts || len(*ws) != 0 {
		t.Errorf("read-only: %d uploads, warnings %q; want none", rem.puts-puts, *ws)
	}
	if st := b.engine.RemoteStats(); !st.ReadOnlyMode || st.Pushed != 0 || st.Pulled != 4 {
		t.Errorf("RemoteStats = %+v", st)
	}
}

// A client that trusts keys but has none to sign with uploads nothing, and
// says so once.
func TestRemoteTrustingClientWithoutKeyPushesNothing(t *testing.T) {
	e := newTestEnvs(t, 1)[0]
	rem := newMemRemote()
	e.engine.Remote = rem
	e.engine.SetRemotePolicy(RemotePolicy{Trusted: []PublicKey{testKey(t, 1).PublicKey}})
	ws := stageWarnings(e.engine)
	if _, err := e.run(e.graph(3, false)); err != nil {
		t.Fatal(err)
	}
	if rem.puts != 0 || len(*ws) != 1 || !strings.Contains((*ws)[0], "no signing key") {
		t.Errorf("%d uploads, warnings %q; want none and one warning", rem.puts, *ws)
	}
	if st := e.engine.RemoteStats(); !st.NoSigner || st.Pushed != 0 {
		t.Errorf("RemoteStats = %+v", st)
	}
}

// With no keys at all, results are shared unsigned, with one warning per
// run; a client that trusts a key refuses them, and verify finds those
// pulled before keys were configured.
func TestRemoteUnauthenticated(t *testing.T) {
	envs := newTestEnvs(t, 3)
	rem := newMemRemote()
	for _, e := range envs {
		e.engine.Remote = rem
		e.engine.SetRemotePolicy(RemotePolicy{})
	}
	a, b, c := envs[0], envs[1], envs[2]
	wa := stageWarnings(a.engine)
	if _, err := a.run(a.graph(3, false)); err != nil {
		t.Fatal(err)
	}
	wb := stageWarnings(b.engine)
	rb, err := b.run(b.graph(3, false))
	if err != nil || len(rb.Pulled) != 4 {
		t.Fatalf("pulled %v, %v", rb.Pulled, err)
	}
	for _, ws := range []*[]string{wa, wb} {
		if len(*ws) != 1 || !strings.Contains((*ws)[0], "unauthenticated") {
			t.Errorf("warnings %q; want one saying results are unauthenticated", *ws)
		}
	}
	if st := b.engine.RemoteStats(); !st.Unsigned {
		t.Errorf("RemoteStats = %+v, want Unsigned", st)
	}
	honest := testKey(t, 1)
	c.engine.SetRemotePolicy(RemotePolicy{Trusted: []PublicKey{honest.PublicKey}})
	wc := stageWarnings(c.engine)
	rc, err := c.run(c.graph(3, false))
	if err != nil || len(rc.Ran) != 4 {
		t.Fatalf("a trusting client ran %v, %v; want all four", rc.Ran, err)
	}
	refused := 0
	for _, w := range *wc {
		if strings.Contains(w, "unsigned") {
			refused++
		}
	}
	if refused != 4 {
		t.Errorf("warnings %q; want four refusals of unsigned results", *wc)
	}

	// verify: b's pulled entries are unsigned. Purged, they are computed
	// (or pulled, if trusted) again.
	trust := NewTrust([]PublicKey{honest.PublicKey}, nil)
	n, probs, err := b.engine.Store.CheckPulled(trust)
	if err != nil || n != 4 || len(probs) != 4 || !strings.Contains(probs[0].Reason, "unsigned") || probs[0].Stage == "" {
		t.Fatalf("CheckPulled = %d, %+v, %v; want four unsigned", n, probs, err)
	}
	if n, probs, _ := b.engine.Store.CheckPulled(NewTrust(nil, nil)); n != 4 || len(probs) != 0 {
		t.Errorf("CheckPulled without keys = %d, %v; want 4 pulled, none checked", n, probs)
	}
	for _, p := range probs {
		if err := b.engine.Store.Forget(p.Key); err != nil {
			t.Fatal(err)
		}
	}
	if keys, _ := b.engine.Store.Keys(); len(keys) != 0 {
		t.Errorf("after purging, the run cache holds %v", keys)
	}
	b.engine.SetRemotePolicy(RemotePolicy{Trusted: []PublicKey{honest.PublicKey}})
	if rb, err := b.run(b.graph(3, false)); err != nil || len(rb.Ran) != 4 {
		t.Errorf("after purging: ran %v, %v", rb.Ran, err)
	}
	if n, probs, _ := b.engine.Store.CheckPulled(trust); n != 0 || len(probs) != 0 {
		t.Errorf("after recomputing: CheckPulled = %d, %v; want nothing pulled", n, probs)
	}
}

// Rotation: entries pulled under the old key fail verify once it is no
// longer trusted; trusting both keys keeps them. A local rerun makes an
// entry local (no side file).
func TestPulledEntriesRecheckedAndRotation(t *testing.T) {
	envs := newTestEnvs(t, 2)
	rem := newMemRemote()
	a, b := envs[0], envs[1]
	a.engine.Remote, b.engine.Remote = rem, rem
	if _, err := a.run(a.graph(3, false)); err != nil {
		t.Fatal(err)
	}
	oldKey, newKey := testKey(t, 1), testKey(t, 9)
	b.engine.SetRemotePolicy(RemotePolicy{Trusted: []PublicKey{oldKey.PublicKey, newKey.PublicKey}})
	if rb, err := b.run(b.graph(3, false)); err != nil || len(rb.Pulled) != 4 {
		t.Fatalf("pulled %v, %v", rb.Pulled, err)
	}
	st := b.engine.Store
	if n, probs, _ := st.CheckPulled(NewTrust([]PublicKey{oldKey.PublicKey, newKey.PublicKey}, nil)); n != 4 || len(probs) != 0 {
		t.Errorf("both keys trusted: %d pulled, problems %v", n, probs)
	}
	n, probs, _ := st.CheckPulled(NewTrust([]PublicKey{newKey.PublicKey}, nil))
	if n != 4 || len(probs) != 4 || probs[0].KeyID != oldKey.ID || !strings.Contains(probs[0].Reason, "not trusted") {
		t.Errorf("old key removed: %d pulled, problems %+v; want all four untrusted, naming %s", n, probs, oldKey.ID)
	}
	// A side file that no longer names the run entry's record counts as a
	// problem (a crash between the two writes), never as trusted.
	key := probs[0].Key
	os.WriteFile(st.pulledPath(key), (&RunEntry{Record: strings.Repeat("0", 64)}).Marshal(), 0o644)
	if _, probs, _ := st.CheckPulled(NewTrust([]PublicKey{oldKey.PublicKey}, nil)); len(probs) != 1 || !strings.Contains(probs[0].Reason, "no longer names") {
		t.Errorf("stale side file: %+v", probs)
	}
	b.engine.Force = true
	if _, err := b.run(b.graph(3, false)); err != nil {
		t.Fatal(err)
	}
	if n, _, _ := st.CheckPulled(NewTrust([]PublicKey{newKey.PublicKey}, nil)); n != 0 {
		t.Errorf("after a forced local run, %d entries still count as pulled", n)
	}
}
