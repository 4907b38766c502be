package pipeline

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzParseLock: a lock file is outside input (repro diff reads the locks of
// other commits, a pull request's among them): any bytes either fail to
// parse with an error, or give a lock that every reader of locks takes
// without panicking (metrics, objects, diff, rules, encoding), and whose
// encoding parses back to the same encoding.
func FuzzParseLock(f *testing.F) {
	good := `{"version": 1, "profile": "quick", "toolchain": "go1.26.0", "declarations": {"m.F": "0123456789abcdef"},
 "stages": {"a/b": {"key": "` + HashBytes([]byte("k")) + `", "func": "m.F", "code": "c", "params": {"x": 1, "y": [1, 2]},
  "inputs": {"c": "` + HashBytes([]byte("i")) + `"}, "outputs": {"value": "` + HashBytes([]byte("o")) + `"}, "metrics": {"a.b.mse": 0.5}}}}`
	f.Add([]byte(good), []byte(good))
	f.Add([]byte(`{"version": 1, "stages": {"a": null}}`), []byte(good))
	f.Add([]byte(`{"version": 1, "stages": {"a": {"params": null, "outputs": {"figure.svg": "x"}}}, "declarations": null}`), []byte(`{"version": 1}`))
	f.Add([]byte(`{"version": 1, "stages": {"../x": {"outputs": {"../../y": "00"}}}}`), []byte(good))
	seeds := strings.Replace(good, `"a.b.mse": 0.5}`, `"a.b.mse": 0.5, "a.b.mse.sd": 0.1, "a.b.mse.seeds[0]": 0.4, "a.b.mse.seeds[1]": 0.6, "a.b.mse.seeds[x]": 1}`, 1)
	f.Add([]byte(seeds), []byte(good))
	f.Add([]byte(good), []byte(seeds))
	f.Add([]byte(`{"version": 1, "version": 1}`), []byte(good))
	rules := []MetricRule{}
	for _, r := range []string{"*.mse: rel < 0.1", "a.b.mse: abs <= 1", "*.mse > +10%", "a.* <= 1", "* < -2sd", "* significant"} {
		if m, err := ParseMetricRule(r); err == nil {
			rules = append(rules, m)
		}
	}
	f.Fuzz(func(t *testing.T, a, b []byte) {
		la, err := ParseLock("a", a)
		if err != nil {
			return
		}
		la.Metrics()
		la.SeedValues()
		la.ObjectHashes()
		enc, err := la.Encode()
		if err != nil {
			t.Fatalf("a parsed lock does not encode: %v", err)
		}
		again, err := ParseLock("again", enc)
		if err != nil {
			t.Fatalf("an encoded lock does not parse: %v\n%s", err, enc)
		}
		if enc2, _ := again.Encode(); !bytes.Equal(enc, enc2) {
			t.Fatalf("encoding is not stable:\n%s\n%s", enc, enc2)
		}
		lb, err := ParseLock("b", b)
		if err != nil {
			return
		}
		for _, d := range []*LockDiff{DiffLocks(la, lb), DiffLocks(lb, la), DiffLocks(la, la)} {
			if _, err := d.JSON(); err != nil {
				t.Fatalf("diff JSON: %v", err)
			}
			d.Check(rules)
			d.Empty()
		}
	})
}

// ParseLock refuses, naming the file and the stage, what this engine never
// writes into a lock.
func TestParseLockRefuses(t *testing.T) {
	h := HashBytes([]byte("x"))
	stage := func(body string) string { return `{"version": 1, "stages": {"a/b": ` + body + `}}` }
	for _, tc := range []struct{ lock, want string }{
		{stage(`null`), `repro.lock: stage "a/b": null`},
		{`{"version": 1, "stages": {"../up": {"key": "` + h + `"}}}`, `repro.lock: stage name "../up": segments may not be empty`},
		{stage(`{"key": "abc"}`), `repro.lock: stage "a/b": key "abc" is not a hash`},
		{stage(`{"key": "` + h + `", "outputs": {"/etc/passwd": "` + h + `"}}`), `repro.lock: stage "a/b": output name "/etc/passwd": absolute paths are not allowed`},
		{stage(`{"key": "` + h + `", "outputs": {"value": "zz"}}`), `repro.lock: stage "a/b": output "value": "zz" is not a hash`},
		{stage(`{"key": "` + h + `", "inputs": {"c": ""}}`), `repro.lock: stage "a/b": input "c": "" is not a hash`},
		{stage(`{"key": "` + h + `", "files": {"data/x": "1"}}`), `repro.lock: stage "a/b": file "data/x": "1" is not a hash`},
		{`{"version": 2}`, `repro.lock: lock version 2, this repro reads version 1`},
		// Two equal keys: encoding/json would keep the last one silently.
		{`{"version": 1, "stages": {"report": {"key": "` + h + `"}, "report": {"key": "` + h + `"}}}`, `repro.lock: duplicate key "report" in "stages"`},
		{`{"version": 1, "version": 1}`, `repro.lock: duplicate key "version" at the top level`},
		{stage(`{"key": "` + h + `", "metrics": {"a.acc": 0.9, "a.acc": 0.4}}`), `repro.lock: duplicate key "a.acc" in "stages"."a/b"."metrics"`},
		{stage(`{"key": "` + h + `", "params": {"x": [{"y": 1, "y": 2}]}}`), `repro.lock: duplicate key "y" in "stages"."a/b"."params"."x"[]`},
	} {
		_, err := ParseLock("repro.lock", []byte(tc.lock))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseLock(%s): %v, want an error containing %q", tc.lock, err, tc.want)
		}
	}
	if _, err := ParseLock("repro.lock", []byte(stage(`{"key": "`+h+`", "outputs": {"figure.svg": "`+h+`"}, "inputs": {"c/d": "`+h+`"}}`))); err != nil {
		t.Errorf("a sound lock: %v", err)
	}
}
