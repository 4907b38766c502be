package pipeline

import (
	"encoding/json"
	"math"
	"testing"
)

// FuzzParseMetricRule: a --fail-on rule either fails to parse with an
// error, or matches names and judges changes without panicking.
func FuzzParseMetricRule(f *testing.F) {
	for _, s := range []string{"terrain.*.test_mse > +5%", "digits.nn.best.test_accuracy < -0.005", "a?b <= 1e308", "x >= -0%", "*** > 1", "a == 1", "> 1", "a < 5%%",
		"digits.*.test_accuracy < -2sd", "x >= +0.5sd", "* significant", "significant", "a  significant", "a < 2sdsd", "a<significant", "a\tsignificant"} {
		f.Add(s, "terrain.ols.test_mse", 1.0, 2.0)
	}
	f.Fuzz(func(t *testing.T, expr, name string, a, b float64) {
		r, err := ParseMetricRule(expr)
		if err != nil {
			return
		}
		if math.IsNaN(r.Value) || math.IsInf(r.Value, 0) {
			t.Fatalf("%q: value %v", expr, r.Value)
		}
		if r.Significant && (r.SD || r.Relative || r.Op != "") || r.SD && r.Relative {
			t.Fatalf("%q: more than one kind of rule: %+v", expr, r)
		}
		r.Matches(name)
		r.Violated(a, b)
		// With and without a spread and per-seed values.
		sd, sds, p := math.Abs(b-a)/3, 3.0, 0.01
		r.ViolatedNoise(a, b, Noise{})
		r.ViolatedNoise(a, b, Noise{SD: &sd, SDs: &sds, P: &p, Seeds: 2})
		again, err := ParseMetricRule(r.Expr)
		if err != nil || again.Glob != r.Glob || again.Op != r.Op || again.Value != r.Value || again.Relative != r.Relative || again.SD != r.SD || again.Significant != r.Significant {
			t.Fatalf("%q parses to %+v, its Expr to %+v (%v)", expr, r, again, err)
		}
	})
}

// FuzzParsePublicKey: a trusted key (store.trusted_keys) either fails to
// parse, or its text form parses back to the same key.
func FuzzParsePublicKey(f *testing.F) {
	k, err := GenerateKey(zeroReader{})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(k.PublicKey.String())
	f.Add("repro-ed25519:0123456789abcdef:AAAA")
	f.Add("repro-ed25519:")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePublicKey(s)
		if err != nil {
			return
		}
		again, err := ParsePublicKey(p.String())
		if err != nil || again.ID != p.ID || !again.Key.Equal(p.Key) {
			t.Fatalf("%q parses, its text form %q does not give it back (%v)", s, p.String(), err)
		}
	})
}

type zeroReader struct{}

func (zeroReader) Read(b []byte) (int, error) {
	clear(b)
	return len(b), nil
}

// FuzzParseRemoteRecord: a record downloaded from a shared store is
// accepted only in the exact form this engine writes, with output names
// that could be local ones and hashes that are hashes.
func FuzzParseRemoteRecord(f *testing.F) {
	h := HashBytes([]byte("o"))
	good, _ := json.Marshal(&Record{Stage: "a/b", Key: HashBytes([]byte("k")), Outputs: map[string]string{"value": h, "figure.svg": h}, Metrics: map[string]float64{"m": 1.5}})
	f.Add(good)
	f.Add([]byte(`{"Stage":"a","Outputs":{"../x":"` + h + `"}}`))
	f.Add([]byte(`{"Stage":"a","Outputs":{"x":"` + h + `"}} `))
	f.Fuzz(func(t *testing.T, b []byte) {
		rec, err := parseRemoteRecord(b)
		if err != nil {
			return
		}
		for name, oh := range rec.Outputs {
			if CheckName("output", name) != nil || !validHash(oh) {
				t.Fatalf("accepted output %q = %q", name, oh)
			}
		}
		if canon, _ := json.Marshal(rec); string(canon) != string(b) {
			t.Fatalf("accepted a non-canonical record:\n%s\n%s", b, canon)
		}
	})
}
