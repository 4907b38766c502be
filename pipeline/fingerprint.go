package pipeline

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/scanner"
	"go/token"
	"go/types"
	"go/version"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/repro-dev/repro/gobuild"
)

// A Fingerprinter computes code fingerprints of stage functions at the level
// of declarations, over a floor the go command itself provides.
//
// The floor (NewFingerprinterForBuild) is the go command's listing of the
// binary's build (package gobuild): for every package, the files the
// compiler reads, hashed. The module's packages are read from exactly those
// files (the build's tags, GOEXPERIMENTs and platform decided by the go
// command, not by a model of it) and type-checked against the compiler's
// export data of the packages outside the module, so that every expression
// has its real type. The declarations reachable from a stage function are
// then found through the objects each identifier uses, in the manner of
// rapid type analysis:
//
//   - a use of a package-level function, type, variable or constant of the
//     module reaches its declaration; a method call reaches that method, and
//     a method reaches its receiver type;
//   - a reached type reaches its exported methods (code outside the module,
//     such as fmt, encoding/json or gonum/plot, may call them through its
//     own interfaces) and those of its unexported methods that reached code
//     calls through an interface of the module;
//   - reaching anything in a package reaches that package's initialisation:
//     init functions, package-level variables whose initialisers call
//     functions, blank imports, and assembly.
//
// Each reached declaration counts by its token stream and the import paths
// its identifiers resolve to, so comments and formatting do not count. What
// the model cannot see all of counts whole, by its floor in gobuild: every
// package outside the module the code uses (its files or module version and
// everything it imports), and every package of the module that uses cgo,
// //go:embed, headers, or //go:linkname (the last by the whole build), or
// that does not type-check in the model. A wasted rerun is acceptable; a
// stale result is not.
//
// Without a floor (NewFingerprinter, on the embedded source: a binary run
// where the go command or the source is not at hand) the files are chosen
// by BuildConfig.Matches, outside packages are empty stand-ins, and every
// key holds the binary's own build ID (Unverified), so that two binaries
// never share results through a model that might be incomplete.
type Fingerprinter struct {
	Module string      // module path from go.mod
	Build  BuildConfig // the build whose files count
	// Lang is the module's language version, go.mod's go line as go1.N
	// ("" without one): it decides what the code means (the scope of a
	// loop variable, for one), so it is a line of every key. A file's own
	// version (a //go:build go1.N line) goes into its declarations' hashes.
	Lang string
	// Unverified, when set, is the build ID of a binary whose build the
	// go command did not list: it is a line of every key.
	Unverified string
	// SourceHash is the hash of every file read and of the build
	// configuration: what the fingerprints are a function of.
	SourceHash string

	loadOnce  sync.Once
	loadErr   error
	mu        sync.Mutex       // guards cached and dirty
	cached    map[string]*Code // Reach results by roots
	dirty     bool
	cacheFile string

	decls   map[string]*decl           // by id: "pkg.Name" or "pkg.Type.Method"
	inits   map[string][]string        // package -> ids of its initialisation
	methods map[string][]string        // receiver type id -> ids of its methods
	byName  map[string][]string        // method name -> ids of methods of that name
	imports map[string]map[string]bool // package -> in-module packages its files import
	files   map[string][]byte          // path -> source
	pkgAST  map[string][]*ast.File
	written map[string]string // package-level variable id -> a function that assigns it at run time
	info    *types.Info

	build     *gobuild.Build      // the go command's listing; nil without a floor
	typeErrs  map[string]string   // in-module package -> its first type error (with a floor)
	outWrites map[string][]string // outside package -> ids of the module's declarations that assign its variables
	instances map[string][]string // generic function id -> ids of the module's types its instantiations use
}

type decl struct {
	id       string
	pkg      string
	name     string // the method's name, for methods
	recvType string // for methods: the receiver's type id
	node     ast.Node
	file     *ast.File // nil for assembly and synthetic declarations
	tok      string    // hash of the token stream
	hash     string    // tok and the import paths used
	isType   bool
	values   bool // a var spec whose initialiser may have side effects

	// Filled in by resolve.
	refs     []string // concrete declarations used
	abstract []string // interface methods called, by name
	uses     []string // import paths its identifiers resolve to
	ambient  []string // outside functions it uses that read the machine's state (see ambientFuncs)
}

// NewFingerprinter parses and type-checks every non-test .go file of the
// module in fsys that the running binary's build includes.
func NewFingerprinter(fsys fs.FS) (*Fingerprinter, error) {
	return NewFingerprinterFor(fsys, CurrentBuild())
}

// NewFingerprinterFor is NewFingerprinter for another build configuration.
func NewFingerprinterFor(fsys fs.FS, bc BuildConfig) (*Fingerprinter, error) {
	fp, err := scanSource(fsys, bc)
	if err != nil {
		return nil, err
	}
	if err := fp.load(); err != nil {
		return nil, err
	}
	return fp, nil
}

// NewCachedFingerprinter is NewFingerprinter with the results of Reach
// kept in cacheDir, in one file per version of the source (the hash of
// every file it reads and of the build configuration). When that file
// exists, nothing is parsed or type-checked until a function it does not
// hold is asked for: a run of unchanged code pays for reading the source
// and hashing it. Call Flush to save what was computed.
func NewCachedFingerprinter(fsys fs.FS, bc BuildConfig, cacheDir string) (*Fingerprinter, error) {
	fp, err := scanSource(fsys, bc)
	if err != nil {
		return nil, err
	}
	return fp.openCache(cacheDir)
}

// openCache reads the Reach results cached in cacheDir for fp's source;
// without a usable cache ("" for none) it loads the source now, so that a
// broken source is an error at once.
func (fp *Fingerprinter) openCache(cacheDir string) (*Fingerprinter, error) {
	if cacheDir != "" {
		fp.cacheFile = filepath.Join(cacheDir, "fingerprints-"+fp.SourceHash[:32]+".json")
		if c := readCodeCache(fp.cacheFile, fp.SourceHash); c != nil {
			fp.cached = c
			// Keep a file in use younger than the age at which Flush
			// trims the directory (several projects may share it).
			if st, err := os.Stat(fp.cacheFile); err == nil && time.Since(st.ModTime()) > time.Hour {
				now := time.Now()
				os.Chtimes(fp.cacheFile, now, now)
			}
			return fp, nil
		}
	}
	if err := fp.load(); err != nil {
		return nil, err
	}
	return fp, nil
}

// NewFingerprinterForBuild fingerprints the module of a build the go
// command listed (see gobuild): its packages' files are the ones the
// listing names, read from disk, and type-checked against the compiler's
// export data. bc is the binary's build configuration (for the keys).
// Results of Reach are cached in cacheDir ("" for none), by the hash of
// every package of the build.
func NewFingerprinterForBuild(b *gobuild.Build, bc BuildConfig, cacheDir string) (*Fingerprinter, error) {
	return NewFingerprinterForBuildIn(os.DirFS(b.Root), b, bc, cacheDir)
}

// NewFingerprinterForBuildIn is NewFingerprinterForBuild reading the
// module's files from fsys (its root the module's): the source embedded in
// a binary whose build b describes, when the files on disk have changed
// since.
func NewFingerprinterForBuildIn(fsys fs.FS, b *gobuild.Build, bc BuildConfig, cacheDir string) (*Fingerprinter, error) {
	fp := &Fingerprinter{Build: bc, Module: b.Module, files: map[string][]byte{}, build: b}
	if mod, err := fs.ReadFile(fsys, "go.mod"); err == nil {
		for _, line := range strings.Split(string(mod), "\n") {
			if f := strings.Fields(line); len(f) == 2 && f[0] == "go" {
				fp.Lang = version.Lang("go" + f[1])
			}
		}
	}
	for _, ip := range sortedKeys(b.Packages) {
		p := b.Packages[ip]
		if !p.Main {
			continue
		}
		rel, err := filepath.Rel(b.Root, p.Dir)
		if err != nil || strings.HasPrefix(rel, "..") {
			return nil, fmt.Errorf("fingerprint: package %s is in %s, outside the module's root %s", ip, p.Dir, b.Root)
		}
		for _, f := range append(append([]string(nil), p.GoFiles...), p.SFiles...) {
			name := path.Join(filepath.ToSlash(rel), f)
			src, err := fs.ReadFile(fsys, name)
			if err != nil {
				return nil, fmt.Errorf("fingerprint: %w", err)
			}
			fp.files[name] = src
		}
	}
	fp.SourceHash = HashBytes([]byte(fmt.Sprintf("repro fingerprint build v1\nbuild %s\nx %s\nmodule %s\nlang %s\npackages %s\n", bc, xLine(bc), fp.Module, fp.Lang, b.All)))
	return fp.openCache(cacheDir)
}

// xLine lists the -X assignments of bc, for the hash of what fingerprints
// depend on.
func xLine(bc BuildConfig) string {
	var parts []string
	for _, k := range sortedKeys(bc.X) {
		parts = append(parts, strconv.Quote(k+"="+bc.X[k]))
	}
	return strings.Join(parts, " ")
}

// codeCacheFile is the format of a fingerprint cache file.
type codeCacheFile struct {
	Source string           `json:"source"`
	Codes  map[string]*Code `json:"codes"` // by the roots asked for, joined by spaces
}

// readCodeCache reads the Reach results of the source hashed source from
// the cache file p (nil if there are none).
func readCodeCache(p, source string) map[string]*Code {
	raw, err := ReadRegularFile(p, MaxStateFileBytes, "a fingerprint cache")
	if err != nil {
		return nil
	}
	var c codeCacheFile
	if json.Unmarshal(raw, &c) != nil || c.Source != source {
		return nil
	}
	return c.Codes
}

// codeCacheMaxAge is how long a cache file of another version of the
// source is kept unused before Flush removes it.
const codeCacheMaxAge = 5 * 24 * time.Hour

// Flush writes the cache file if Reach computed anything new, with what
// another process wrote there meanwhile (the directory may be shared, see
// project.CacheDirEnv), and removes the cache files of other versions of
// the source unused for codeCacheMaxAge. Errors are ignored: the cache
// only saves time.
func (fp *Fingerprinter) Flush() {
	fp.mu.Lock()
	defer fp.mu.Unlock()
	if fp.cacheFile == "" || !fp.dirty {
		return
	}
	for k, c := range readCodeCache(fp.cacheFile, fp.SourceHash) {
		if _, ok := fp.cached[k]; !ok {
			fp.cached[k] = c
		}
	}
	b, err := json.Marshal(codeCacheFile{Source: fp.SourceHash, Codes: fp.cached})
	if err != nil {
		return
	}
	dir := filepath.Dir(fp.cacheFile)
	os.MkdirAll(dir, 0o755)
	if WriteFileAtomic(fp.cacheFile, b) == nil {
		fp.dirty = false
	}
	old, _ := filepath.Glob(filepath.Join(dir, "fingerprints-*.json"))
	for _, p := range old {
		if st, err := os.Stat(p); err == nil && p != fp.cacheFile && time.Since(st.ModTime()) > codeCacheMaxAge {
			os.Remove(p)
		}
	}
}

// scanSource reads the module's files of this build and hashes them.
func scanSource(fsys fs.FS, bc BuildConfig) (*Fingerprinter, error) {
	mod, err := fs.ReadFile(fsys, "go.mod")
	if err != nil {
		return nil, fmt.Errorf("fingerprint: %w", err)
	}
	fp := &Fingerprinter{Build: bc, files: map[string][]byte{}}
	for _, line := range strings.Split(string(mod), "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[0] == "module" {
			fp.Module = f[1]
		} else if len(f) == 2 && f[0] == "go" {
			fp.Lang = version.Lang("go" + f[1])
		}
	}
	if fp.Module == "" {
		return nil, fmt.Errorf("fingerprint: go.mod has no module line")
	}
	h := sha256.New()
	fmt.Fprintf(h, "repro fingerprint source v2\nbuild %s\nx %s\nmodule %s\nlang %s\n", bc, xLine(bc), fp.Module, fp.Lang)
	err = fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != "." && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".") || strings.HasPrefix(d.Name(), "_")) {
				return fs.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(p, "_test.go") || !(strings.HasSuffix(p, ".go") || strings.HasSuffix(p, ".s")) {
			return nil
		}
		src, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		if !bc.Matches(p, src) {
			return nil
		}
		fp.files[p] = src
		fmt.Fprintf(h, "file %s %d\n", p, len(src))
		h.Write(src)
		return nil
	})
	if err != nil {
		return nil, err
	}
	fp.SourceHash = hex.EncodeToString(h.Sum(nil))
	return fp, nil
}

// load parses and type-checks the files scanSource read, once.
func (fp *Fingerprinter) load() error {
	fp.loadOnce.Do(func() { fp.loadErr = fp.parse() })
	return fp.loadErr
}

func (fp *Fingerprinter) parse() error {
	fp.decls = map[string]*decl{}
	fp.inits = map[string][]string{}
	fp.methods = map[string][]string{}
	fp.byName = map[string][]string{}
	fp.imports = map[string]map[string]bool{}
	fp.pkgAST = map[string][]*ast.File{}
	fset := token.NewFileSet()
	importedBy := map[string]string{} // in-module import path -> a file importing it
	for _, p := range sortedKeys(fp.files) {
		src := fp.files[p]
		if strings.HasSuffix(p, ".s") {
			// Assembly counts as part of its package's initialisation:
			// reached with the package.
			pkg := fp.pkgPath(p)
			id := pkg + ".asm:" + path.Base(p)
			h := HashBytes([]byte(asmTokens(src)))
			fp.decls[id] = &decl{id: id, pkg: pkg, node: &ast.BadDecl{}, tok: h, hash: h}
			fp.inits[pkg] = append(fp.inits[pkg], id)
			continue
		}
		if err := fp.addFile(fset, p, src, importedBy); err != nil {
			return err
		}
	}
	for _, ip := range sortedKeys(importedBy) {
		if _, ok := fp.pkgAST[ip]; !ok {
			return fmt.Errorf("fingerprint: package %s, imported by %s, is not in the source of module %s: its code would count for nothing in the keys (add its directory to the //go:embed line of source.go)", ip, importedBy[ip], fp.Module)
		}
	}
	fp.typeCheck(fset)
	fp.resolve()
	return nil
}

// typeCheck checks the module's packages in import order. With a floor,
// outside packages come from the compiler's export data and a type error
// makes its package count whole (typeErrs); without one they are empty
// stand-ins and errors are expected.
func (fp *Fingerprinter) typeCheck(fset *token.FileSet) {
	fp.info = &types.Info{Uses: map[*ast.Ident]types.Object{}, Defs: map[*ast.Ident]types.Object{},
		Types: map[ast.Expr]types.TypeAndValue{}, Instances: map[*ast.Ident]types.Instance{}}
	fp.typeErrs = map[string]string{}
	checked := map[string]*types.Package{}
	fake := map[string]*types.Package{}
	var exported types.Importer
	if fp.build != nil {
		exported = importer.ForCompiler(fset, "gc", func(ip string) (io.ReadCloser, error) {
			p := fp.build.Packages[ip]
			if p == nil || p.Export == "" {
				return nil, fmt.Errorf("no export data for %s in the build", ip)
			}
			return os.Open(p.Export)
		})
	}
	var check func(pkg string) *types.Package
	imp := importerFunc(func(path string) (*types.Package, error) {
		if _, ok := fp.pkgAST[path]; ok {
			return check(path), nil
		}
		if exported != nil {
			return exported.Import(path)
		}
		if p, ok := fake[path]; ok {
			return p, nil
		}
		name := path[strings.LastIndex(path, "/")+1:]
		if i := strings.IndexAny(name, ".-"); i > 0 {
			name = name[:i]
		}
		p := types.NewPackage(path, name)
		p.MarkComplete()
		fake[path] = p
		return p, nil
	})
	check = func(pkg string) *types.Package {
		if p, ok := checked[pkg]; ok {
			return p
		}
		checked[pkg] = types.NewPackage(pkg, "cycle") // guards against import cycles in broken source
		conf := types.Config{Importer: imp, FakeImportC: true, GoVersion: fp.Lang, Error: func(err error) {
			if _, ok := fp.typeErrs[pkg]; !ok {
				fp.typeErrs[pkg] = err.Error()
			}
		}}
		if fp.build != nil {
			conf.Sizes = types.SizesFor("gc", fp.Build.GOARCH)
		}
		p, _ := conf.Check(pkg, fset, fp.pkgAST[pkg], fp.info)
		checked[pkg] = p
		return p
	}
	for _, pkg := range sortedKeys(fp.pkgAST) {
		check(pkg)
	}
}

type importerFunc func(path string) (*types.Package, error)

func (f importerFunc) Import(path string) (*types.Package, error) { return f(path) }

// Files returns the source files the fingerprinter read, path -> bytes.
func (fp *Fingerprinter) Files() map[string][]byte { return fp.files }

func (fp *Fingerprinter) addFile(fset *token.FileSet, p string, src []byte, importedBy map[string]string) error {
	f, err := parser.ParseFile(fset, p, src, parser.SkipObjectResolution|parser.ParseComments)
	if err != nil {
		return fmt.Errorf("fingerprint: %w", err)
	}
	pkg := fp.pkgPath(p)
	fp.pkgAST[pkg] = append(fp.pkgAST[pkg], f)
	var blank []string
	for _, im := range f.Imports {
		ip, _ := strconv.Unquote(im.Path.Value)
		if fp.inModule(ip) {
			if fp.imports[pkg] == nil {
				fp.imports[pkg] = map[string]bool{}
			}
			fp.imports[pkg][ip] = true
			if _, ok := importedBy[ip]; !ok {
				importedBy[ip] = p
			}
		}
		if im.Name != nil && im.Name.Name == "_" {
			blank = append(blank, ip)
		}
	}
	if len(blank) > 0 {
		// A blank import runs the imported package's initialisation (an
		// image decoder registering itself, say): part of this package's.
		slices.Sort(blank)
		id := pkg + ".import_:" + path.Base(p)
		h := HashBytes([]byte("blank imports " + strings.Join(blank, " ")))
		fp.decls[id] = &decl{id: id, pkg: pkg, node: &ast.BadDecl{}, tok: h, uses: blank}
		fp.inits[pkg] = append(fp.inits[pkg], id)
	}
	tf := fset.File(f.Pos())
	hashOf := func(n ast.Node) string {
		start, end := tf.Offset(n.Pos()), tf.Offset(n.End())
		return tokenHash(src[start:end])
	}
	add := func(d *decl) {
		d.pkg, d.file, d.tok = pkg, f, hashOf(d.node)
		if f.GoVersion != "" {
			// The file's own language version (//go:build go1.N).
			d.tok = HashBytes([]byte(d.tok + " go " + f.GoVersion))
		}
		if old, ok := fp.decls[d.id]; ok {
			// Only broken source declares a name twice; count both.
			d.tok = HashBytes([]byte(old.tok + d.tok))
		}
		fp.decls[d.id] = d
	}
	blanks := 0
	for _, dl := range f.Decls {
		switch dl := dl.(type) {
		case *ast.FuncDecl:
			if dl.Recv != nil && len(dl.Recv.List) == 1 {
				// The receiver's id is settled by resolve, which sees
				// through type aliases.
				rt := pkg + "." + recvTypeName(dl.Recv.List[0].Type)
				add(&decl{id: rt + "." + dl.Name.Name, name: dl.Name.Name, recvType: rt, node: dl})
				continue
			}
			if dl.Name.Name == "init" {
				id := fmt.Sprintf("%s.init#%d", pkg, len(fp.inits[pkg]))
				fp.inits[pkg] = append(fp.inits[pkg], id)
				add(&decl{id: id, node: dl})
				continue
			}
			add(&decl{id: pkg + "." + dl.Name.Name, node: dl})
		case *ast.GenDecl:
			if dl.Tok == token.IMPORT {
				continue
			}
			for _, sp := range dl.Specs {
				switch sp := sp.(type) {
				case *ast.TypeSpec:
					add(&decl{id: pkg + "." + sp.Name.Name, node: sp, isType: true})
				case *ast.ValueSpec:
					// iota constants depend on their whole group.
					var n ast.Node = sp
					if dl.Tok == token.CONST {
						n = dl
					}
					for _, nm := range sp.Names {
						id := pkg + "." + nm.Name
						if nm.Name == "_" {
							blanks++
							id = fmt.Sprintf("%s._#%d:%s", pkg, blanks, path.Base(p))
						}
						add(&decl{id: id, node: n, values: dl.Tok == token.VAR && len(sp.Values) > 0})
					}
				}
			}
		}
	}
	return nil
}

// resolve runs after type checking: it settles method receivers (through
// aliases), records what each declaration uses, hashes it with the import
// paths it resolves to, and lists the initialisation of each package.
func (fp *Fingerprinter) resolve() {
	for _, id := range sortedKeys(fp.decls) {
		d := fp.decls[id]
		fd, ok := d.node.(*ast.FuncDecl)
		if !ok || d.recvType == "" {
			continue
		}
		if tid := fp.recvID(fd); tid != "" && tid != d.recvType {
			delete(fp.decls, id)
			d.recvType = tid
			d.id = tid + "." + d.name
			if old, ok := fp.decls[d.id]; ok {
				d.tok = HashBytes([]byte(old.tok + d.tok))
			}
			fp.decls[d.id] = d
		}
	}
	for _, id := range sortedKeys(fp.decls) {
		d := fp.decls[id]
		if d.recvType != "" {
			fp.methods[d.recvType] = append(fp.methods[d.recvType], d.id)
			fp.byName[d.name] = append(fp.byName[d.name], d.id)
		}
		if d.file == nil {
			if d.hash == "" {
				d.hash = d.tok
			}
			continue
		}
		fp.uses(d)
		d.hash = HashBytes([]byte(d.tok + "\nimports " + strings.Join(d.uses, " ")))
		if d.values && fp.initCalls(d.node) {
			fp.inits[d.pkg] = append(fp.inits[d.pkg], d.id)
		}
	}
	for pkg := range fp.inits {
		fp.inits[pkg] = slices.Compact(slices.Sorted(slices.Values(fp.inits[pkg])))
	}
	fp.written = fp.runTimeWrites()
	fp.outWrites = fp.outsideWrites()
	fp.instances = fp.instanceTypes()
}

// recvID is the id of the named type a method is declared on.
func (fp *Fingerprinter) recvID(fd *ast.FuncDecl) string {
	fn, ok := fp.info.Defs[fd.Name].(*types.Func)
	if !ok {
		return ""
	}
	sig, _ := fn.Type().(*types.Signature)
	if sig == nil || sig.Recv() == nil {
		return ""
	}
	t := types.Unalias(sig.Recv().Type())
	if p, ok := t.(*types.Pointer); ok {
		t = types.Unalias(p.Elem())
	}
	if n, ok := t.(*types.Named); ok && n.Obj().Pkg() != nil {
		return n.Obj().Pkg().Path() + "." + n.Obj().Name()
	}
	return ""
}

// uses records the declarations, interface methods and import paths the
// identifiers of d resolve to, and the outside uses the allowlist refuses
// (see allow.go).
func (fp *Fingerprinter) uses(d *decl) {
	refs, abstract, imports, ambient := map[string]bool{}, map[string]bool{}, map[string]bool{}, map[string]bool{}
	var doc *ast.CommentGroup
	if fd, ok := d.node.(*ast.FuncDecl); ok {
		doc = fd.Doc
	}
	check := func(pkg, name string) {
		if why := refusal(pkg, name); why != "" && !allowedByDirective(doc, pkg, name) {
			ambient[pkg+"."+name+"\x00"+why] = true
		}
	}
	for _, im := range d.file.Imports {
		if im.Name != nil && im.Name.Name == "." {
			// Names from a dot import: count the import itself, and
			// refuse it unless the whole package is allowed.
			ip, _ := strconv.Unquote(im.Path.Value)
			imports[ip] = true
			if r, ok := ruleFor(ip); !ok || r.only || len(r.names) > 0 {
				ambient[ip+".*\x00a dot import of a package not wholly on the allowlist"] = true
			}
		}
	}
	ast.Inspect(d.node, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.SelectorExpr:
			// pkg.Name of an outside package (whose stand-in, without a
			// floor, is empty: the selector resolves to nothing).
			if x, ok := n.X.(*ast.Ident); ok {
				if pn, ok := fp.info.Uses[x].(*types.PkgName); ok && !fp.inModule(pn.Imported().Path()) {
					switch fp.info.Uses[n.Sel].(type) {
					case *types.Const, *types.TypeName:
					default:
						check(pn.Imported().Path(), n.Sel.Name)
					}
				}
			}
			return true
		case *ast.RangeStmt:
			if v := fp.mapFloatSum(n); v != "" {
				ambient["map iteration order into the floating-point sum "+v+"\x00the order is random: sum over sorted keys"] = true
			}
			return true
		}
		ident, ok := n.(*ast.Ident)
		if !ok {
			return true
		}
		obj := fp.info.Uses[ident]
		if obj == nil || obj.Pkg() == nil {
			return true
		}
		if pn, ok := obj.(*types.PkgName); ok {
			imports[pn.Imported().Path()] = true
			return true
		}
		if !fp.inModule(obj.Pkg().Path()) {
			imports[obj.Pkg().Path()] = true
			if fn, ok := obj.(*types.Func); ok {
				if recv := fn.Signature().Recv(); recv != nil {
					// A method of an outside type: allowed with its
					// package, by "Type.Method".
					t := types.Unalias(recv.Type())
					if p, ok := t.(*types.Pointer); ok {
						t = types.Unalias(p.Elem())
					}
					if nt, ok := t.(*types.Named); ok && !types.IsInterface(nt) && nt.Obj().Pkg() != nil {
						check(nt.Obj().Pkg().Path(), nt.Obj().Name()+"."+fn.Name())
					}
				}
			}
			return true
		}
		oid, isAbstract := fp.objID(obj)
		switch {
		case isAbstract:
			abstract[obj.Name()] = true
		case oid != "" && oid != d.id:
			refs[oid] = true
		}
		return true
	})
	d.refs, d.abstract, d.uses, d.ambient = sortedKeys(refs), sortedKeys(abstract), sortedKeys(imports), sortedKeys(ambient)
}

// mapFloatSum returns the variable a range over a map accumulates a
// floating-point value into (x += ..., x declared before the loop), or "":
// a map's iteration order is random and floating-point addition is not
// associative, so such a sum can differ from run to run.
func (fp *Fingerprinter) mapFloatSum(rng *ast.RangeStmt) string {
	tv, ok := fp.info.Types[rng.X]
	if !ok || tv.Type == nil {
		return ""
	}
	if _, isMap := tv.Type.Underlying().(*types.Map); !isMap {
		return ""
	}
	found := ""
	ast.Inspect(rng.Body, func(n ast.Node) bool {
		if found != "" {
			return false
		}
		as, ok := n.(*ast.AssignStmt)
		if !ok {
			return true
		}
		switch as.Tok {
		case token.ADD_ASSIGN, token.SUB_ASSIGN, token.MUL_ASSIGN, token.QUO_ASSIGN:
		default:
			return true
		}
		for _, l := range as.Lhs {
			t, ok := fp.info.Types[l]
			if !ok || t.Type == nil {
				continue
			}
			b, ok := t.Type.Underlying().(*types.Basic)
			if !ok || b.Info()&(types.IsFloat|types.IsComplex) == 0 {
				continue
			}
			if id := rootIdent(l); id != nil {
				if obj := fp.info.Uses[id]; obj != nil && obj.Pos() < rng.Pos() {
					found = id.Name
				}
			}
		}
		return true
	})
	return found
}

// rootIdent is the variable at the root of x, x.f, x[i], *x, or nil.
func rootIdent(e ast.Expr) *ast.Ident {
	for {
		switch x := e.(type) {
		case *ast.Ident:
			return x
		case *ast.SelectorExpr:
			e = x.X
		case *ast.IndexExpr:
			e = x.X
		case *ast.ParenExpr:
			e = x.X
		case *ast.StarExpr:
			e = x.X
		default:
			return nil
		}
	}
}

// initCalls reports whether a package-level variable's initialiser calls a
// function (which may have effects beyond the variable, such as registering
// something): conversions and built-ins do not count.
func (fp *Fingerprinter) initCalls(n ast.Node) bool {
	calls := false
	ast.Inspect(n, func(n ast.Node) bool {
		if calls {
			return false
		}
		if _, ok := n.(*ast.FuncLit); ok {
			return false // a function value, not a call (calling it is a CallExpr)
		}
		c, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		if !fp.isConversionOrBuiltin(c.Fun) {
			calls = true
		}
		return true
	})
	return calls
}

func (fp *Fingerprinter) isConversionOrBuiltin(fun ast.Expr) bool {
	for {
		switch f := fun.(type) {
		case *ast.ParenExpr:
			fun = f.X
			continue
		case *ast.IndexExpr:
			fun = f.X
			continue
		case *ast.IndexListExpr:
			fun = f.X
			continue
		case *ast.ArrayType, *ast.MapType, *ast.ChanType, *ast.FuncType, *ast.InterfaceType, *ast.StructType, *ast.StarExpr:
			return true
		case *ast.SelectorExpr:
			fun = f.Sel
			continue
		case *ast.Ident:
			switch fp.info.Uses[f].(type) {
			case *types.TypeName, *types.Builtin:
				return true
			}
			return false // a function, or an outside name we cannot see: assume a call
		}
		return false
	}
}

// pkgPath is the import path of the package holding file p.
func (fp *Fingerprinter) pkgPath(p string) string {
	if dir := path.Dir(p); dir != "." {
		return fp.Module + "/" + dir
	}
	return fp.Module
}

func (fp *Fingerprinter) inModule(ip string) bool {
	return ip == fp.Module || strings.HasPrefix(ip, fp.Module+"/")
}

// asmTokens is the text of an assembly file without comments and with
// spacing normalised: what the assembler sees.
func asmTokens(src []byte) string {
	var b strings.Builder
	inBlock := false
	for _, line := range strings.Split(string(src), "\n") {
		var out strings.Builder
		for i := 0; i < len(line); i++ {
			switch {
			case inBlock:
				if strings.HasPrefix(line[i:], "*/") {
					inBlock = false
					i++
					out.WriteByte(' ')
				}
			case strings.HasPrefix(line[i:], "//"):
				i = len(line)
			case strings.HasPrefix(line[i:], "/*"):
				inBlock = true
				i++
			default:
				out.WriteByte(line[i])
			}
		}
		if f := strings.Fields(out.String()); len(f) > 0 {
			b.WriteString(strings.Join(f, " "))
			b.WriteByte('\n')
		}
	}
	return b.String()
}

func recvTypeName(e ast.Expr) string {
	for {
		switch t := e.(type) {
		case *ast.StarExpr:
			e = t.X
		case *ast.IndexExpr:
			e = t.X
		case *ast.IndexListExpr:
			e = t.X
		case *ast.ParenExpr:
			e = t.X
		case *ast.Ident:
			return t.Name
		default:
			return "?"
		}
	}
}

// tokenHash hashes the token stream of src: comments, spacing and line
// breaks do not count. Semicolons (written or automatic) and commas right
// before a closing bracket are dropped, so a block or literal on one line
// hashes like the same one spread over several.
func tokenHash(src []byte) string {
	var s scanner.Scanner
	fset := token.NewFileSet()
	f := fset.AddFile("", -1, len(src))
	s.Init(f, src, nil, 0)
	var b bytes.Buffer
	pending := token.ILLEGAL // a ; or , waiting to see what follows
	for {
		_, tok, lit := s.Scan()
		if tok == token.EOF {
			break
		}
		if tok == token.SEMICOLON || tok == token.COMMA {
			pending = tok
			continue
		}
		if pending != token.ILLEGAL {
			if tok != token.RBRACE && tok != token.RPAREN && tok != token.RBRACK {
				b.WriteString(pending.String())
				b.WriteByte(0)
			}
			pending = token.ILLEGAL
		}
		b.WriteString(tok.String())
		if lit != "" {
			b.WriteByte(' ')
			b.WriteString(lit)
		}
		b.WriteByte(0)
	}
	return HashBytes(b.Bytes())
}

// funcID maps a runtime function name to a declaration id: closures
// ("pkg.F.func1", "pkg.F.gowrap2") map to their enclosing function, method
// values ("pkg.(*T).M-fm") to the method, generic instances ("pkg.F[...]") to
// the generic function.
func funcID(name string) string {
	if i := strings.Index(name, "["); i >= 0 {
		if j := strings.LastIndex(name, "]"); j > i {
			name = name[:i] + name[j+1:]
		}
	}
	name = strings.TrimSuffix(name, "-fm")
	slash := strings.LastIndex(name, "/")
	dot := strings.Index(name[slash+1:], ".")
	if dot < 0 {
		return name
	}
	pkg, rest := name[:slash+1+dot], name[slash+1+dot+1:]
	parts := strings.Split(rest, ".")
	var kept []string
	for _, p := range parts {
		if strings.HasPrefix(p, "func") || strings.HasPrefix(p, "gowrap") {
			if _, err := strconv.Atoi(strings.TrimLeft(p, "funcgowrap")); err == nil {
				break
			}
		}
		p = strings.TrimPrefix(p, "(*")
		p = strings.TrimPrefix(p, "(")
		p = strings.TrimSuffix(p, ")")
		kept = append(kept, p)
	}
	return pkg + "." + strings.Join(kept, ".")
}

// Code is the result of fingerprinting one stage function.
type Code struct {
	Fingerprint string            // hash over Decls
	Decls       map[string]string // reachable declaration id -> hash
	// Imports are the outside import paths the reached declarations use.
	Imports []string
	// Ambient lists what the reached declarations read beyond the stage's
	// inputs: outside functions that read the machine's state (the
	// environment, undeclared files, the clock, global random numbers, the
	// network), each with the declaration that uses it ("os.Getenv (in
	// pkg.F)"), and the module's package variables that some function
	// assigns at run time (see runTimeWrites). The engine refuses to run a
	// stage whose code has any.
	Ambient []string `json:",omitempty"`
	// Floors are what counts whole, by the go command's listing (see
	// gobuild): every outside package the reached code uses and every
	// package of the module it reaches that the model cannot see all of,
	// each with why and its floor ("gonum.org/v1/gonum/mat" ->
	// "gonum.org/v1/gonum@v0.17.0 3f2a..."); "(binary)" holds the build ID
	// of an unverified binary, "(all packages)" the hash of the whole build
	// (a //go:linkname).
	Floors map[string]string `json:",omitempty"`
	// Via maps each reached declaration to the one it was first reached
	// from (roots have none): the path status names ("models.sigmoid via
	// models.activate").
	Via map[string]string `json:",omitempty"`
}

// Reach fingerprints the declarations reachable from the function named
// root, as runtime.FuncForPC names it (for example "github.com/repro-dev/repro/stages.split" or
// ".../stages.(*T).Run"). It is an error if root is not in the source, or
// if an outside package it uses is missing from the module graph.
func (fp *Fingerprinter) Reach(root string) (*Code, error) {
	return fp.ReachAll(root)
}

// ReachAll is Reach from several roots at once.
func (fp *Fingerprinter) ReachAll(roots ...string) (*Code, error) {
	key := strings.Join(roots, " ")
	fp.mu.Lock()
	c, ok := fp.cached[key]
	fp.mu.Unlock()
	if ok {
		return c, nil
	}
	if err := fp.load(); err != nil {
		return nil, err
	}
	c, err := fp.reach(roots)
	if err != nil {
		return nil, err
	}
	fp.mu.Lock()
	if fp.cached == nil {
		fp.cached = map[string]*Code{}
	}
	fp.cached[key] = c
	fp.dirty = fp.cacheFile != ""
	fp.mu.Unlock()
	return c, nil
}

func (fp *Fingerprinter) reach(roots []string) (*Code, error) {
	seen := map[string]bool{}
	via := map[string]string{} // declaration -> the one it was reached from
	var queue []string
	from := "" // the declaration being expanded
	push := func(id string) {
		if !seen[id] {
			if _, ok := fp.decls[id]; ok {
				seen[id] = true
				queue = append(queue, id)
				if from != "" {
					via[id] = from
				}
			}
		}
	}
	imports, ambient := map[string]bool{}, map[string]bool{}
	for _, root := range roots {
		id := funcID(root)
		if _, ok := fp.decls[id]; !ok {
			return nil, fmt.Errorf("fingerprint: function %s (%s) is not in the source of module %s", root, id, fp.Module)
		}
		push(id)
		if strings.Contains(root, "[") {
			// An instance of a generic function: its type arguments are
			// chosen where the graph is built, which the stage does not
			// reach. Count the types of every instantiation in the module.
			for _, t := range fp.instances[id] {
				if ip, ok := strings.CutPrefix(t, "import "); ok {
					imports[ip] = true
				} else {
					push(t)
				}
			}
		}
	}
	pkgsSeen := map[string]bool{}
	reached := map[string]bool{} // reached types
	writersDone := map[string]bool{}
	called := map[string]bool{} // interface methods called, by name
	for {
		if len(queue) == 0 {
			// Code anywhere in the binary that assigns a variable of an
			// outside package the reached code uses (directly or through
			// what that package imports) counts as reached: an init in
			// package main setting a library's default changes what the
			// library computes for this stage.
			from = ""
			for _, w := range fp.writersOf(imports, writersDone) {
				if !seen[w.id] {
					push(w.id)
				}
				if !strings.Contains(w.id, ".init#") {
					ambient[w.target+", an outside variable, which "+trimModule(fp.Module, w.id)+" assigns at run time (the stage uses package "+w.pkg+")"] = true
				}
			}
			if len(queue) == 0 {
				break
			}
		}
		d := fp.decls[queue[0]]
		queue = queue[1:]
		from = d.id
		if !pkgsSeen[d.pkg] {
			pkgsSeen[d.pkg] = true
			for _, in := range fp.inits[d.pkg] {
				push(in)
			}
		}
		if d.recvType != "" {
			push(d.recvType)
		}
		if d.isType {
			reached[d.id] = true
			for _, mid := range fp.methods[d.id] {
				if m := fp.decls[mid]; token.IsExported(m.name) || called[m.name] {
					push(mid)
				}
			}
		}
		for _, name := range d.abstract {
			if called[name] {
				continue
			}
			called[name] = true
			for _, mid := range fp.byName[name] {
				if reached[fp.decls[mid].recvType] {
					push(mid)
				}
			}
		}
		for _, r := range d.refs {
			push(r)
		}
		for _, ip := range d.uses {
			if !fp.inModule(ip) {
				imports[ip] = true
			}
		}
		for _, a := range d.ambient {
			what, why, _ := strings.Cut(a, "\x00")
			ambient[what+" (in "+trimModule(fp.Module, d.id)+": "+why+")"] = true
		}
		for _, r := range d.refs {
			if by, ok := fp.written[r]; ok {
				ambient[trimModule(fp.Module, r)+", which "+trimModule(fp.Module, by)+" assigns at run time (in "+trimModule(fp.Module, d.id)+")"] = true
			}
		}
	}
	code := &Code{Decls: map[string]string{}, Imports: sortedKeys(imports), Ambient: sortedKeys(ambient), Via: via}
	var b bytes.Buffer
	for _, id := range sortedKeys(seen) {
		h := fp.decls[id].hash
		code.Decls[id] = h
		fmt.Fprintf(&b, "%s %s\n", id, h)
	}
	code.Fingerprint = HashBytes(b.Bytes())
	code.Floors = fp.floors(pkgsSeen, code.Imports)
	for id := range seen {
		// A variable the linker sets (-ldflags -X) counts where reached.
		if v, ok := fp.Build.X[id]; ok {
			code.Floors["-X "+id] = strconv.Quote(v)
		}
	}
	return code, nil
}

// floors lists what counts whole for code reaching the packages of the
// module in pkgs and using the outside packages in imports (see
// Code.Floors).
func (fp *Fingerprinter) floors(pkgs map[string]bool, imports []string) map[string]string {
	out := map[string]string{}
	if fp.Unverified != "" {
		out["(binary)"] = fp.Unverified
	}
	b := fp.build
	if b == nil {
		return out
	}
	for _, ip := range imports {
		if ip == "unsafe" || ip == "C" {
			continue
		}
		p := b.Packages[ip]
		switch {
		case p == nil:
			out[ip] = "not in the build" // cannot happen for code that compiled; counts anyway
		case p.Standard:
			continue // the standard library counts by the toolchain line of every key
		case p.Version != "":
			out[ip] = p.Module + "@" + p.Version + " " + shortHash(p.Floor)
		default:
			out[ip] = p.Module + " (local files) " + shortHash(p.Floor)
		}
	}
	for pkg := range pkgs {
		p := b.Packages[pkg]
		why := ""
		switch {
		case p == nil:
			why = "not in the build"
		case p.Opaque != "":
			why = p.Opaque
		case fp.typeErrs[pkg] != "":
			why = "does not type-check in the model"
		default:
			continue
		}
		floor := ""
		if p != nil {
			floor = p.Floor
			if p.Opaque == "//go:linkname" {
				out["(all packages)"] = shortHash(b.All)
			}
		}
		out[pkg] = why + " " + shortHash(floor)
	}
	return out
}

// objID returns the declaration id of a module object, or abstract=true for
// an interface method.
func (fp *Fingerprinter) objID(obj types.Object) (id string, abstract bool) {
	pkg := obj.Pkg().Path()
	switch o := obj.(type) {
	case *types.Func:
		o = o.Origin()
		sig, _ := o.Type().(*types.Signature)
		if sig == nil || sig.Recv() == nil {
			return pkg + "." + o.Name(), false
		}
		t := types.Unalias(sig.Recv().Type())
		if p, ok := t.(*types.Pointer); ok {
			t = types.Unalias(p.Elem())
		}
		switch t := t.(type) {
		case *types.Named:
			if _, ok := t.Underlying().(*types.Interface); ok {
				return "", true
			}
			return t.Obj().Pkg().Path() + "." + t.Obj().Name() + "." + o.Name(), false
		case *types.Interface:
			return "", true
		case *types.TypeParam:
			return "", true // a method of a type parameter's constraint
		}
		return "", false
	case *types.TypeName, *types.Const:
		if obj.Parent() == obj.Pkg().Scope() {
			return pkg + "." + obj.Name(), false
		}
	case *types.Var:
		if obj.Parent() == obj.Pkg().Scope() {
			return pkg + "." + obj.Name(), false
		}
	}
	return "", false
}
