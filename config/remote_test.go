package config

import (
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func TestStoreRemote(t *testing.T) {
	dir := project(t, nil, "")
	p, err := Load(Options{Dir: dir})
	if err != nil || p.Store.Remote != "" {
		t.Fatalf("default store.remote = %q, %v; want empty", p.Store.Remote, err)
	}
	for _, tc := range []struct {
		env, set string
		want     string
		err      string
	}{
		{env: "file:///shared/store", want: "file:///shared/store"},
		{env: "s3://bucket?endpoint=http://127.0.0.1:8333&region=us-east-1", want: "s3://bucket?endpoint=http://127.0.0.1:8333&region=us-east-1"},
		{env: "s3://env", set: "gs://from-set", want: "gs://from-set"},
		{set: "azblob://container", want: "azblob://container"},
		{set: `""`, want: ""},
		{env: "http://example.org/store", err: "REPRO_STORE_REMOTE: store.remote = \"http://example.org/store\": want the URL of a shared store"},
		{set: "s3:///no-bucket", err: "--set: store.remote"},
		{set: "/plain/path", err: "file:///path"},
	} {
		var env, set []string
		if tc.env != "" {
			env = []string{"REPRO_STORE_REMOTE=" + tc.env}
		}
		if tc.set != "" {
			set = []string{"store.remote=" + tc.set}
		}
		p, err := Load(Options{Dir: dir, Environ: env, Set: set})
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("env %q set %q: err = %v, want %q", tc.env, tc.set, err, tc.err)
			}
			continue
		}
		if err != nil || p.Store.Remote != tc.want {
			t.Errorf("env %q set %q: store.remote = %q, %v; want %q", tc.env, tc.set, p.Store.Remote, err, tc.want)
		}
	}
}

// The store is not part of the study: an unset store leaves no trace in the
// parameters the report shows.
func TestStoreOmittedWhenEmpty(t *testing.T) {
	b, err := yaml.Marshal(&Params{})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "store") {
		t.Errorf("an empty store is marshalled:\n%s", b)
	}
}
