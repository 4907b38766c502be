package serve

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/repro-dev/repro/pipeline"
)

func TestServeDebouncer(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	d := newDebouncer(60*time.Millisecond, 400*time.Millisecond)
	go d.run(ctx)
	next := func(within time.Duration) []string {
		t.Helper()
		select {
		case b := <-d.out:
			return b
		case <-time.After(within):
			return nil
		}
	}

	// A burst: one batch, each path once, sorted.
	for _, p := range []string{"b", "a", "b", "a"} {
		d.add(p)
		time.Sleep(2 * time.Millisecond)
	}
	if b := next(2 * time.Second); !slices.Equal(b, []string{"a", "b"}) {
		t.Fatalf("burst: batch %q, want [a b]", b)
	}
	if b := next(150 * time.Millisecond); b != nil {
		t.Fatalf("a second batch %q after the burst", b)
	}

	// Not before the files are quiet.
	t0 := time.Now()
	d.add("c")
	if b := next(2 * time.Second); !slices.Equal(b, []string{"c"}) {
		t.Fatalf("batch %q, want [c]", b)
	}
	if el := time.Since(t0); el < 60*time.Millisecond {
		t.Errorf("batch offered after %v, before the quiet period (60ms)", el)
	}

	// A file written without pause for 1 s is not held back for ever: the
	// first batch comes at max (400ms), not after the writing stops.
	stop := make(chan struct{})
	go func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			d.add(fmt.Sprintf("w%d", i%3))
			time.Sleep(10 * time.Millisecond)
		}
	}()
	t0 = time.Now()
	b := next(3 * time.Second)
	el := time.Since(t0)
	close(stop)
	if b == nil || el > 900*time.Millisecond {
		t.Fatalf("continuous writes: first batch %q after %v, want one by about 400ms", b, el)
	}
	for next(300*time.Millisecond) != nil {
	}

	// A batch nobody takes yet gathers the events that follow.
	d.add("x")
	time.Sleep(200 * time.Millisecond) // offered by now, not taken
	d.add("y")
	time.Sleep(20 * time.Millisecond)
	if b := next(2 * time.Second); !slices.Equal(b, []string{"x", "y"}) {
		t.Fatalf("late events: batch %q, want [x y]", b)
	}
}

func TestServeContentHashTrigger(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "report.md")
	write := func(s string) {
		t.Helper()
		if err := os.WriteFile(f, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("one")
	h := newContentHashes()
	h.seed([]string{f})
	check := func(what string, want bool) {
		t.Helper()
		got := h.changed([]string{f})
		if (len(got) == 1) != want {
			t.Errorf("%s: changed = %q, want changed %v", what, got, want)
		}
	}
	check("nothing done", false)
	future := time.Now().Add(time.Hour)
	if err := os.Chtimes(f, future, future); err != nil {
		t.Fatal(err)
	}
	check("touched", false)
	if err := os.Chmod(f, 0o600); err != nil {
		t.Fatal(err)
	}
	check("chmod", false)
	write("one")
	check("saved unchanged", false)
	// An editor's save: a new file renamed over the old one.
	tmp := f + ".swp"
	os.WriteFile(tmp, []byte("one"), 0o644)
	os.Rename(tmp, f)
	check("renamed over with the same bytes", false)
	write("two")
	check("changed", true)
	check("seen already", false)
	write("one")
	check("changed back", true)
	os.Remove(f)
	check("removed", true)
	check("still removed", false)
	write("one")
	check("created again", true)

	// A FIFO among the inputs is an error at once, never a blocked read.
	if runtime.GOOS != "windows" {
		fifo := filepath.Join(dir, "fifo")
		if err := exec.Command("mkfifo", fifo).Run(); err == nil {
			done := make(chan string, 1)
			go func() { done <- fileDigest(fifo) }()
			select {
			case d := <-done:
				if !strings.HasPrefix(d, "unreadable") {
					t.Errorf("FIFO digest %q, want unreadable", d)
				}
			case <-time.After(slowLimit(5 * time.Second)):
				t.Fatal("hashing a FIFO blocks")
			}
		}
	}
}

func TestServeWatchSetClassify(t *testing.T) {
	root := t.TempDir()
	os.WriteFile(filepath.Join(root, "go.mod"), []byte("module example.com/m\n"), 0o644)
	g := pipeline.NewGraph()
	if err := g.Add(pipeline.Stage{Name: "report", Files: []string{"templates/report.md"}, Run: pipeline.Func(serveTestStage)}); err != nil {
		t.Fatal(err)
	}
	src := fstest.MapFS{"go.mod": {}, "main.go": {}, "stages/graph.go": {}, "models/kernel_amd64.s": {}, "data/README.md": {}}
	w := newWatchSet(root, "quick", g, src)
	for p, want := range map[string]any{
		"templates/report.md":    classInput,
		"params.yaml":            classParams,
		"params.quick.yaml":      classParams,
		"go.mod":                 classSource,
		"go.sum":                 classSource,
		"go.work":                classSource,
		"stages/graph.go":        classSource,
		"stages/new_file.go":     classSource,
		"models/other_amd64.s":   classSource,
		"main.go":                classSource,
		"stages/graph_test.go":   nil,
		"stages/notes.txt":       nil,
		"params.other.yaml":      nil,
		"templates/layout.html":  nil,
		"data/README.md":         nil,
		"artifacts/report.html":  nil,
		"cmd/repro/new_file.go":  nil, // not a package of the source
		"templates/report.md~":   nil,
		"templates/.report.swp":  nil,
		"stages/.#graph.go.lock": nil,
	} {
		c, ok := w.classify(filepath.Join(root, filepath.FromSlash(p)))
		if want == nil {
			if ok {
				t.Errorf("%s is watched (as %v)", p, c)
			}
			continue
		}
		if !ok || c != want.(fileClass) {
			t.Errorf("%s: %v %v, want %v", p, c, ok, want)
		}
	}
	if d := w.dirs(); !slices.Contains(d, filepath.Join(root, "templates")) || !slices.Contains(d, filepath.Join(root, "stages")) {
		t.Errorf("dirs %q", d)
	}
}

func TestServeSourceDigest(t *testing.T) {
	bc := pipeline.BuildFromSettings("linux", "amd64", nil)
	base := func() fstest.MapFS {
		return fstest.MapFS{
			"go.mod":                 {Data: []byte("module example.com/m\n")},
			"a/a.go":                 {Data: []byte("package a\n\nfunc F() int { return 1 }\n")},
			"a/a_test.go":            {Data: []byte("package a\n")},
			"a/a_windows.go":         {Data: []byte("package a\n")},
			"a/notes.md":             {Data: []byte("notes")},
			"b/b.go":                 {Data: []byte("package b\n")},
			"testdata/fuzz/corpus.g": {Data: []byte("x")},
		}
	}
	dirs := sourceDirs(base())
	if !slices.Equal(dirs, []string{"a", "b"}) {
		t.Fatalf("dirs %q", dirs)
	}
	d0 := sourceDigest(base(), dirs, bc)
	for name, edit := range map[string]func(fstest.MapFS){
		"a test":                 func(m fstest.MapFS) { m["a/a_test.go"] = &fstest.MapFile{Data: []byte("package a // x\n")} },
		"another platform's":     func(m fstest.MapFS) { m["a/a_windows.go"] = &fstest.MapFile{Data: []byte("package a // x\n")} },
		"a note":                 func(m fstest.MapFS) { m["a/notes.md"] = &fstest.MapFile{Data: []byte("more")} },
		"a new directory's file": func(m fstest.MapFS) { m["c/c.go"] = &fstest.MapFile{Data: []byte("package c\n")} },
	} {
		m := base()
		edit(m)
		if sourceDigest(m, dirs, bc) != d0 {
			t.Errorf("editing %s changes the digest", name)
		}
	}
	for name, edit := range map[string]func(fstest.MapFS){
		"a comment": func(m fstest.MapFS) {
			m["a/a.go"] = &fstest.MapFile{Data: []byte("package a\n\n// F.\nfunc F() int { return 1 }\n")}
		},
		"a new file": func(m fstest.MapFS) { m["b/c.go"] = &fstest.MapFile{Data: []byte("package b\n")} },
		"a removal":  func(m fstest.MapFS) { delete(m, "b/b.go") },
		"go.mod":     func(m fstest.MapFS) { m["go.mod"] = &fstest.MapFile{Data: []byte("module example.com/m\n\ngo 1.26\n")} },
	} {
		m := base()
		edit(m)
		if sourceDigest(m, dirs, bc) == d0 {
			t.Errorf("editing %s leaves the digest", name)
		}
	}
}

// serveTestStage is a stage function for graphs the tests build.
func serveTestStage(*pipeline.Context) (int, error) { return 0, nil }
