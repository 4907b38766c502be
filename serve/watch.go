package serve

// The watching half of `repro serve`: which files are inputs, a debouncer
// that turns a burst of file-system events into one batch, and the trigger
// that keeps only the files whose content changed.

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/repro-dev/repro/config"
	"github.com/repro-dev/repro/pipeline"
)

// fileClass says what a change to a watched file means.
type fileClass int

const (
	classInput  fileClass = iota // a stage's input file (template, data, KaTeX): rerun what reads it
	classParams                  // a parameter file: rebuild the graph, rerun what it makes stale
	classSource                  // Go source, go.mod, go.sum, go.work: the binary is out of date
	classExport                  // the exported report, as another process's run (repro run) wrote it: show it
)

func (c fileClass) String() string {
	switch c {
	case classParams:
		return "parameters"
	case classSource:
		return "Go source"
	case classExport:
		return "exported report"
	}
	return "input"
}

// A watchSet is what the server watches: files by absolute path, and the
// Go package directories, where a new .go or .s file is source too.
type watchSet struct {
	files   map[string]fileClass
	srcDirs map[string]bool
}

// newWatchSet lists the inputs of a project: its parameter files, every file
// a stage of graph reads, and, when the project holds the module (go.mod),
// the Go source the binary is built from (the package directories of src).
func newWatchSet(root, profile string, graph *pipeline.Graph, src fs.FS) *watchSet {
	w := &watchSet{files: map[string]fileClass{}, srcDirs: map[string]bool{}}
	for _, s := range graph.Stages() {
		for _, f := range s.Files {
			if !filepath.IsAbs(f) {
				f = filepath.Join(root, filepath.FromSlash(f))
			}
			w.files[filepath.Clean(f)] = classInput
		}
	}
	w.files[filepath.Join(root, "params.yaml")] = classParams
	w.files[filepath.Join(root, config.ProfileFile(profile))] = classParams
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		return w
	}
	for _, f := range []string{"go.mod", "go.sum", "go.work", "go.work.sum"} {
		w.files[filepath.Join(root, f)] = classSource
	}
	for _, d := range sourceDirs(src) {
		w.srcDirs[filepath.Join(root, filepath.FromSlash(d))] = true
	}
	return w
}

// classify says whether path is watched, and as what.
func (w *watchSet) classify(p string) (fileClass, bool) {
	p = filepath.Clean(p)
	if c, ok := w.files[p]; ok {
		return c, true
	}
	if w.srcDirs[filepath.Dir(p)] && isSourceName(filepath.Base(p)) {
		return classSource, true
	}
	return 0, false
}

// isSourceName: a Go or assembly file that is not a test.
func isSourceName(name string) bool {
	return (strings.HasSuffix(name, ".go") && !strings.HasSuffix(name, "_test.go")) || strings.HasSuffix(name, ".s")
}

// dirs are the directories to watch: the parents of every watched file
// (editors save by renaming a new file over the old one, which a watch on
// the file itself would lose) and the package directories.
func (w *watchSet) dirs() []string {
	set := map[string]bool{}
	for f := range w.files {
		set[filepath.Dir(f)] = true
	}
	for d := range w.srcDirs {
		set[d] = true
	}
	return sortedSetOf(set)
}

// paths are the watched files whose content hash triggers a run, sorted
// (not the exported report: see showDiskReport).
func (w *watchSet) paths() []string {
	out := make([]string, 0, len(w.files))
	for f, c := range w.files {
		if c != classExport {
			out = append(out, f)
		}
	}
	sort.Strings(out)
	return out
}

func sortedSetOf(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// sourceDirs are the directories of the embedded source that hold Go or
// assembly files, slash-separated ("." for the module root).
func sourceDirs(src fs.FS) []string {
	set := map[string]bool{}
	fs.WalkDir(src, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && isSourceName(d.Name()) {
			set[path.Dir(p)] = true
		}
		return nil
	})
	return sortedSetOf(set)
}

// sourceDigest hashes the Go source a binary is built from, as the
// fingerprinter reads it: in each of dirs, the non-test .go and .s files
// this build includes, and go.mod, go.sum and go.work. The digest of
// the embedded source equals the digest of the source on disk exactly when
// the binary was built from what is on disk.
func sourceDigest(fsys fs.FS, dirs []string, bc pipeline.BuildConfig) string {
	var lines []string
	add := func(p string) {
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return
		}
		if isSourceName(path.Base(p)) && !bc.Matches(p, b) {
			return
		}
		lines = append(lines, p+" "+pipeline.HashBytes(b))
	}
	for _, f := range []string{"go.mod", "go.sum", "go.work", "go.work.sum"} {
		add(f)
	}
	for _, d := range dirs {
		ents, err := fs.ReadDir(fsys, d)
		if err != nil {
			continue
		}
		for _, e := range ents {
			if e.Type().IsRegular() && isSourceName(e.Name()) {
				add(path.Join(d, e.Name()))
			}
		}
	}
	sort.Strings(lines)
	return pipeline.HashBytes([]byte(strings.Join(lines, "\n")))
}

// contentHashes remembers the content hash of every watched file, so that a
// save that leaves a file's bytes as they were, a touch or a chmod, triggers
// nothing: only content counts, never file times.
type contentHashes struct {
	known map[string]string
}

func newContentHashes() *contentHashes { return &contentHashes{known: map[string]string{}} }

// fileDigest is the content hash of a file, or a marker for a missing or
// unreadable one. It reads as the engine does (pipeline.ReadInputFile), so a
// FIFO or a device is an error at once, never a blocked read.
func fileDigest(p string) string {
	b, err := pipeline.ReadInputFile(p, pipeline.MaxInputFileBytes)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "missing"
	case err != nil:
		return "unreadable: " + err.Error()
	}
	return pipeline.HashBytes(b)
}

// seed records the current content of the files not yet known.
func (h *contentHashes) seed(paths []string) {
	for _, p := range paths {
		if _, ok := h.known[p]; !ok {
			h.known[p] = fileDigest(p)
		}
	}
}

// changed returns the paths whose content differs from what was last seen,
// and remembers the new content.
func (h *contentHashes) changed(paths []string) []string {
	var out []string
	for _, p := range paths {
		d := fileDigest(p)
		if old, ok := h.known[p]; ok && old == d {
			continue
		}
		h.known[p] = d
		out = append(out, p)
	}
	return out
}

// A debouncer turns bursts of file events into batches: a batch is offered
// once no event came for quiet (or max after its first event, so that a
// file written without pause cannot hold it back for ever). Events that
// arrive while a batch waits to be taken join it.
type debouncer struct {
	quiet, max time.Duration
	in         chan string
	out        chan []string
}

func newDebouncer(quiet, max time.Duration) *debouncer {
	return &debouncer{quiet: quiet, max: max, in: make(chan string, 256), out: make(chan []string)}
}

// add queues one path.
func (d *debouncer) add(p string) { d.in <- p }

// run delivers batches on d.out until ctx is done.
func (d *debouncer) run(ctx context.Context) {
	pending := map[string]bool{}
	var first time.Time
	ready := false
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		var out chan []string
		var batch []string
		if ready {
			out, batch = d.out, sortedSetOf(pending)
		}
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case p := <-d.in:
			if len(pending) == 0 {
				first = time.Now()
			}
			pending[p] = true
			if !ready {
				wait := d.quiet
				if left := d.max - time.Since(first); left < wait {
					wait = max(left, 0)
				}
				timer.Reset(wait)
			}
		case <-timer.C:
			ready = true
		case out <- batch:
			pending = map[string]bool{}
			ready = false
		}
	}
}

// A watcher feeds the debouncer with the watched files that fsnotify
// reports, by directory.
type watcher struct {
	fsw  *fsnotify.Watcher
	deb  *debouncer
	set  *watchSet
	dirs map[string]bool
	errs chan error
}

func newWatcher(deb *debouncer) (*watcher, error) {
	fsw, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, err
	}
	return &watcher{fsw: fsw, deb: deb, dirs: map[string]bool{}, errs: make(chan error, 1)}, nil
}

// watch replaces the watched set, adding watches on new directories (a
// directory that does not exist is skipped; its files count as missing).
// It is called from the goroutine that reads events (run) only before run
// starts, and afterwards through update, which run serialises.
func (w *watcher) watch(set *watchSet) []string {
	var skipped []string
	for _, d := range set.dirs() {
		if w.dirs[d] {
			continue
		}
		if err := w.fsw.Add(d); err != nil {
			skipped = append(skipped, d)
			continue
		}
		w.dirs[d] = true
	}
	w.set = set
	return skipped
}

// run forwards the events on watched paths to the debouncer until ctx is
// done. Sets sent on update replace the watched set.
func (w *watcher) run(ctx context.Context, update <-chan *watchSet) {
	defer w.fsw.Close()
	for {
		select {
		case <-ctx.Done():
			return
		case s := <-update:
			w.watch(s)
		case ev, ok := <-w.fsw.Events:
			if !ok {
				return
			}
			if _, watched := w.set.classify(ev.Name); watched {
				w.deb.add(filepath.Clean(ev.Name))
			}
		case err, ok := <-w.fsw.Errors:
			if !ok {
				return
			}
			select {
			case w.errs <- err:
			default:
			}
		}
	}
}

// classes groups changed paths by class.
func (w *watchSet) classes(paths []string) map[fileClass][]string {
	out := map[fileClass][]string{}
	for _, p := range paths {
		if c, ok := w.classify(p); ok {
			out[c] = append(out[c], p)
		}
	}
	for c := range out {
		slices.Sort(out[c])
	}
	return out
}
