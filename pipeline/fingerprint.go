package pipeline

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/scanner"
	"go/token"
	"go/types"
	"go/version"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// A Fingerprinter computes code fingerprints of stage functions at the level
// of declarations, from the Go source of one module.
//
// The source is an fs.FS holding go.mod and the module's packages, normally the
// copy embedded in the binary itself, so a fingerprint always describes the
// code that runs. Only the files of this build count (go:build constraints
// and _GOOS/_GOARCH names, judged by the binary's BuildConfig). Each top-level
// declaration (function, method, type, var or const) is hashed over its token
// stream and the import paths its identifiers resolve to, so comments and
// formatting do not count, and swapping an import for a look-alike does.
// Assembly is hashed without its comments.
//
// The module's packages are type-checked with go/types. Packages outside the
// module are not read: they count by the versions of the modules they
// reach (see ModGraph), and stand in as empty packages, so expressions of
// outside types stay untyped (their methods are outside code). The
// declarations reachable from a stage function are then found through the
// objects each identifier uses, in the manner of rapid type analysis:
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
type Fingerprinter struct {
	Module string      // module path from go.mod
	Build  BuildConfig // the build whose files count
	// Lang is the module's language version, go.mod's go line as go1.N
	// ("" without one): it decides what the code means (the scope of a
	// loop variable, for one), so it is a line of every key. A file's own
	// version (a //go:build go1.N line) goes into its declarations' hashes.
	Lang  string
	Graph *ModGraph // outside packages -> modules they reach; nil without modgraph.txt
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
	fp.cacheFile = filepath.Join(cacheDir, "fingerprints-"+fp.SourceHash[:32]+".json")
	if b, err := ReadRegularFile(fp.cacheFile, MaxStateFileBytes, "a fingerprint cache"); err == nil {
		var c codeCacheFile
		if json.Unmarshal(b, &c) == nil && c.Source == fp.SourceHash && c.Codes != nil {
			fp.cached = c.Codes
			return fp, nil
		}
	}
	// No usable cache: load now, so a broken source is an error at once.
	if err := fp.load(); err != nil {
		return nil, err
	}
	return fp, nil
}

// codeCacheFile is the format of a fingerprint cache file.
type codeCacheFile struct {
	Source string           `json:"source"`
	Codes  map[string]*Code `json:"codes"` // by the roots asked for, joined by spaces
}

// Flush writes the cache file if Reach computed anything new. Errors are
// ignored: the cache only saves time.
func (fp *Fingerprinter) Flush() {
	fp.mu.Lock()
	defer fp.mu.Unlock()
	if fp.cacheFile == "" || !fp.dirty {
		return
	}
	b, err := json.Marshal(codeCacheFile{Source: fp.SourceHash, Codes: fp.cached})
	if err != nil {
		return
	}
	os.MkdirAll(filepath.Dir(fp.cacheFile), 0o755)
	if WriteFileAtomic(fp.cacheFile, b) == nil {
		fp.dirty = false
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
	if fp.Graph, err = readModGraph(fsys); err != nil {
		return nil, err
	}
	h := sha256.New()
	fmt.Fprintf(h, "repro fingerprint source v1\nbuild %s\nmodule %s\nlang %s\n", bc, fp.Module, fp.Lang)
	if fp.Graph != nil {
		h.Write(fp.Graph.Format())
	}
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

// typeCheck checks the module's packages in import order. Errors are
// expected (outside packages are empty stand-ins) and ignored.
func (fp *Fingerprinter) typeCheck(fset *token.FileSet) {
	fp.info = &types.Info{Uses: map[*ast.Ident]types.Object{}, Defs: map[*ast.Ident]types.Object{}}
	checked := map[string]*types.Package{}
	fake := map[string]*types.Package{}
	var check func(pkg string) *types.Package
	imp := importerFunc(func(path string) (*types.Package, error) {
		if _, ok := fp.pkgAST[path]; ok {
			return check(path), nil
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
		conf := types.Config{Importer: imp, Error: func(error) {}, FakeImportC: true}
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
// identifiers of d resolve to.
func (fp *Fingerprinter) uses(d *decl) {
	refs, abstract, imports, ambient := map[string]bool{}, map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, im := range d.file.Imports {
		if im.Name != nil && im.Name.Name == "." {
			// Names from a dot import do not resolve against the empty
			// stand-in of an outside package: count the import itself.
			ip, _ := strconv.Unquote(im.Path.Value)
			imports[ip] = true
			if ambientPkgs[ip] || ambientFuncs[ip] != nil {
				ambient[ip+".* (a dot import)"] = true
			}
		}
	}
	ast.Inspect(d.node, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok {
			// pkg.Name of an outside package (whose stand-in, in type
			// checking, is empty: the selector resolves to nothing).
			if x, ok := sel.X.(*ast.Ident); ok {
				if pn, ok := fp.info.Uses[x].(*types.PkgName); ok {
					if p := pn.Imported().Path(); ambientPkgs[p] || ambientFuncs[p][sel.Sel.Name] {
						ambient[p+"."+sel.Sel.Name] = true
					}
				}
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

// Outside functions and variables that read the state of the machine or
// the moment rather than a stage's inputs: the environment, files not
// declared as inputs, the clock, the global (self-seeded) random sources,
// the network, other processes. What they give is in no key, so a stage
// whose code uses them could give another output under the same key. They
// count when used as pkg.Name; methods never do (a *rand.Rand made from a
// seed is as deterministic as its seed).
// (Literals, not calls: an initialiser that calls a function would count
// in the package's initialisation, and so in the fingerprint of every
// stage that reaches the package.)
var (
	ambientPkgs  = map[string]bool{"syscall": true}
	ambientFuncs = map[string]map[string]bool{
		"os": {
			"Getenv": true, "LookupEnv": true, "Environ": true, "ExpandEnv": true, "Args": true,
			"ReadFile": true, "ReadDir": true, "Open": true, "OpenFile": true, "OpenRoot": true,
			"OpenInRoot": true, "DirFS": true, "Stat": true, "Lstat": true, "Readlink": true,
			"Hostname": true, "Getwd": true, "Executable": true, "Getpid": true, "Getppid": true,
			"Getuid": true, "Geteuid": true, "Getgid": true, "Getegid": true, "Getgroups": true,
			"UserHomeDir": true, "UserCacheDir": true, "UserConfigDir": true, "TempDir": true,
			"CreateTemp": true, "MkdirTemp": true, "Stdin": true,
		},
		"io/ioutil": {
			"ReadFile": true, "ReadDir": true, "ReadAll": true, "TempFile": true, "TempDir": true,
		},
		"time": {
			"Now": true, "Since": true, "Until": true, "After": true, "Tick": true, "NewTimer": true,
			"NewTicker": true, "AfterFunc": true,
		},
		"flag": {
			"Arg": true, "Args": true, "NArg": true, "NFlag": true, "Lookup": true, "Visit": true,
			"VisitAll": true, "CommandLine": true, "Parse": true, "Parsed": true,
		},
		"math/rand": {
			"Int": true, "Intn": true, "Int31": true, "Int31n": true, "Int63": true, "Int63n": true,
			"Uint32": true, "Uint64": true, "Float32": true, "Float64": true, "Perm": true,
			"Shuffle": true, "NormFloat64": true, "ExpFloat64": true, "Read": true, "Seed": true,
		},
		"math/rand/v2": {
			"Int": true, "IntN": true, "Int32": true, "Int32N": true, "Int64": true, "Int64N": true,
			"Uint": true, "UintN": true, "Uint32": true, "Uint32N": true, "Uint64": true, "Uint64N": true,
			"Float32": true, "Float64": true, "Perm": true, "Shuffle": true, "NormFloat64": true,
			"ExpFloat64": true, "N": true,
		},
		"net": {
			"Dial": true, "DialTimeout": true, "DialTCP": true, "DialUDP": true, "DialIP": true,
			"DialUnix": true, "Listen": true, "ListenPacket": true, "LookupHost": true, "LookupIP": true,
			"LookupAddr": true, "LookupCNAME": true, "LookupMX": true, "LookupNS": true, "LookupTXT": true,
			"LookupSRV": true, "LookupPort": true, "Interfaces": true, "InterfaceAddrs": true,
			"InterfaceByName": true, "InterfaceByIndex": true, "ResolveTCPAddr": true,
			"ResolveUDPAddr": true, "ResolveIPAddr": true, "DefaultResolver": true,
		},
		"net/http": {
			"Get": true, "Head": true, "Post": true, "PostForm": true, "DefaultClient": true,
			"DefaultTransport": true,
		},
		"os/exec": {"Command": true, "CommandContext": true, "LookPath": true},
		"os/user": {
			"Current": true, "Lookup": true, "LookupId": true, "LookupGroup": true, "LookupGroupId": true,
		},
		"crypto/rand": {
			"Read": true, "Int": true, "Prime": true, "Text": true, "Reader": true,
		},
	}
)

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
	// Modules are the outside modules those imports reach, transitively
	// (from the module graph); nil when the source has no module graph,
	// and the engine then counts the modules of Imports alone.
	Modules []string
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
	var queue []string
	push := func(id string) {
		if !seen[id] {
			if _, ok := fp.decls[id]; ok {
				seen[id] = true
				queue = append(queue, id)
			}
		}
	}
	for _, root := range roots {
		id := funcID(root)
		if _, ok := fp.decls[id]; !ok {
			return nil, fmt.Errorf("fingerprint: function %s (%s) is not in the embedded source of module %s", root, id, fp.Module)
		}
		push(id)
	}
	pkgsSeen := map[string]bool{}
	reached := map[string]bool{} // reached types
	called := map[string]bool{}  // interface methods called, by name
	imports, ambient := map[string]bool{}, map[string]bool{}
	for len(queue) > 0 {
		d := fp.decls[queue[0]]
		queue = queue[1:]
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
			ambient[a+" (in "+trimModule(fp.Module, d.id)+")"] = true
		}
		for _, r := range d.refs {
			if by, ok := fp.written[r]; ok {
				ambient[trimModule(fp.Module, r)+", which "+trimModule(fp.Module, by)+" assigns at run time (in "+trimModule(fp.Module, d.id)+")"] = true
			}
		}
	}
	code := &Code{Decls: map[string]string{}, Imports: sortedKeys(imports), Ambient: sortedKeys(ambient)}
	var b bytes.Buffer
	for _, id := range sortedKeys(seen) {
		h := fp.decls[id].hash
		code.Decls[id] = h
		fmt.Fprintf(&b, "%s %s\n", id, h)
	}
	code.Fingerprint = HashBytes(b.Bytes())
	if fp.Graph != nil {
		mods, err := fp.Graph.Modules(code.Imports)
		if err != nil {
			return nil, fmt.Errorf("fingerprint: %s: %w", roots[0], err)
		}
		code.Modules = mods
	}
	return code, nil
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
