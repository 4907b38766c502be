package pipeline

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/scanner"
	"go/token"
	"go/types"
	"io/fs"
	"path"
	"strconv"
	"strings"
)

// A Fingerprinter computes code fingerprints of stage functions at the level
// of declarations, from the Go source of one module.
//
// The source is an fs.FS holding go.mod and the module's packages, normally the
// copy embedded in the binary itself, so a fingerprint always describes the
// code that runs. Each top-level declaration (function, method, type, var or
// const) is hashed over its token stream, so comments and formatting do not
// count.
//
// The module's packages are type-checked with go/types. Packages outside the
// module are not read: they count by their module version, and stand in as
// empty packages, so expressions of outside types stay untyped (their methods
// are outside code). The declarations reachable from a stage function are then
// found through the objects each identifier uses:
//
//   - a use of a package-level function, type, variable or constant of the
//     module reaches its declaration; a method call reaches that method;
//   - a call of an interface method reaches every method of that name in the
//     packages the stage's own package can see (itself and its in-module
//     imports, transitively), since any of them may be behind the interface;
//   - reaching a type reaches all of its methods (encoders and formatters call
//     them through interfaces); reaching a method reaches its receiver type;
//   - reaching anything in a package reaches that package's init functions.
type Fingerprinter struct {
	Module  string           // module path from go.mod
	decls   map[string]*decl // by id: "pkg.Name" or "pkg.Type.Method"
	byName  map[string][]string
	inits   map[string][]string        // package -> ids of its init functions
	methods map[string][]string        // receiver type id -> ids of its methods
	imports map[string]map[string]bool // package -> in-module packages its files import
	closure map[string]map[string]bool // package -> itself and every in-module package it imports, transitively
	files   map[string][]byte          // path -> source
	pkgAST  map[string][]*ast.File
	info    *types.Info
}

type decl struct {
	id       string
	pkg      string
	hash     string
	node     ast.Node
	recvType string // for methods
}

// NewFingerprinter parses and type-checks every non-test .go file of the
// module in fsys.
func NewFingerprinter(fsys fs.FS) (*Fingerprinter, error) {
	mod, err := fs.ReadFile(fsys, "go.mod")
	if err != nil {
		return nil, fmt.Errorf("fingerprint: %w", err)
	}
	fp := &Fingerprinter{
		decls:   map[string]*decl{},
		byName:  map[string][]string{},
		inits:   map[string][]string{},
		methods: map[string][]string{},
		imports: map[string]map[string]bool{},
		closure: map[string]map[string]bool{},
		files:   map[string][]byte{},
		pkgAST:  map[string][]*ast.File{},
	}
	for _, line := range strings.Split(string(mod), "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[0] == "module" {
			fp.Module = f[1]
		}
	}
	if fp.Module == "" {
		return nil, fmt.Errorf("fingerprint: go.mod has no module line")
	}
	fset := token.NewFileSet()
	err = fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		if strings.HasSuffix(p, ".s") {
			// Assembly counts as one declaration of its package,
			// reached with the package (like an init function).
			src, err := fs.ReadFile(fsys, p)
			if err != nil {
				return err
			}
			fp.files[p] = src
			pkg := fp.pkgPath(p)
			id := pkg + ".asm:" + path.Base(p)
			fp.decls[id] = &decl{id: id, pkg: pkg, node: &ast.BadDecl{}, hash: HashBytes(src)}
			fp.inits[pkg] = append(fp.inits[pkg], id)
			return nil
		}
		if !strings.HasSuffix(p, ".go") {
			return nil
		}
		src, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		fp.files[p] = src
		return fp.addFile(fset, p, src)
	})
	if err != nil {
		return nil, err
	}
	fp.typeCheck(fset)
	return fp, nil
}

// typeCheck checks the module's packages in import order. Errors are
// expected (outside packages are empty stand-ins) and ignored.
func (fp *Fingerprinter) typeCheck(fset *token.FileSet) {
	fp.info = &types.Info{Uses: map[*ast.Ident]types.Object{}}
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

func (fp *Fingerprinter) addFile(fset *token.FileSet, p string, src []byte) error {
	f, err := parser.ParseFile(fset, p, src, parser.SkipObjectResolution)
	if err != nil {
		return fmt.Errorf("fingerprint: %w", err)
	}
	if !buildable(f) {
		return nil
	}
	pkg := fp.pkgPath(p)
	fp.pkgAST[pkg] = append(fp.pkgAST[pkg], f)
	for _, im := range f.Imports {
		ip, _ := strconv.Unquote(im.Path.Value)
		if fp.inModule(ip) {
			if fp.imports[pkg] == nil {
				fp.imports[pkg] = map[string]bool{}
			}
			fp.imports[pkg][ip] = true
		}
	}
	tf := fset.File(f.Pos())
	hashOf := func(n ast.Node) string {
		start, end := tf.Offset(n.Pos()), tf.Offset(n.End())
		return tokenHash(src[start:end])
	}
	add := func(id, name string, n ast.Node, recv string) {
		d := &decl{id: id, pkg: pkg, node: n, recvType: recv, hash: hashOf(n)}
		if old, ok := fp.decls[id]; ok {
			d.hash = HashBytes([]byte(old.hash + d.hash))
		}
		fp.decls[id] = d
		fp.byName[name] = append(fp.byName[name], id)
		if recv != "" {
			fp.methods[recv] = append(fp.methods[recv], id)
		}
	}
	for _, dl := range f.Decls {
		switch dl := dl.(type) {
		case *ast.FuncDecl:
			if dl.Recv != nil && len(dl.Recv.List) == 1 {
				rt := recvTypeName(dl.Recv.List[0].Type)
				add(pkg+"."+rt+"."+dl.Name.Name, "."+dl.Name.Name, dl, pkg+"."+rt)
				continue
			}
			if dl.Name.Name == "init" {
				id := fmt.Sprintf("%s.init#%d", pkg, len(fp.inits[pkg]))
				fp.inits[pkg] = append(fp.inits[pkg], id)
				fp.decls[id] = &decl{id: id, pkg: pkg, node: dl, hash: hashOf(dl)}
				continue
			}
			add(pkg+"."+dl.Name.Name, dl.Name.Name, dl, "")
		case *ast.GenDecl:
			if dl.Tok == token.IMPORT {
				continue
			}
			for _, sp := range dl.Specs {
				switch sp := sp.(type) {
				case *ast.TypeSpec:
					add(pkg+"."+sp.Name.Name, sp.Name.Name, sp, "")
				case *ast.ValueSpec:
					// iota constants depend on their whole group.
					var n ast.Node = sp
					if dl.Tok == token.CONST {
						n = dl
					}
					for _, nm := range sp.Names {
						if nm.Name == "_" {
							continue
						}
						add(pkg+"."+nm.Name, nm.Name, n, "")
					}
				}
			}
		}
	}
	return nil
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

// buildable reports whether a file is built on this platform, judged only by
// a "//go:build ignore" constraint (the module has no per-platform files).
func buildable(f *ast.File) bool {
	for _, cg := range f.Comments {
		if cg.Pos() > f.Package {
			break
		}
		for _, c := range cg.List {
			if strings.HasPrefix(c.Text, "//go:build") && strings.Contains(c.Text, "ignore") {
				return false
			}
		}
	}
	return true
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

// Code is the result of fingerprinting one stage function.
type Code struct {
	Fingerprint string            // hash over Decls
	Decls       map[string]string // reachable declaration id -> hash
	Imports     []string          // outside import paths used by the reached declarations' files
}

// Reach fingerprints the declarations reachable from the function named
// root, as runtime.FuncForPC names it (for example "repro/stages.split" or
// "repro/stages.(*T).Run"). It is an error if root is not in the source.
func (fp *Fingerprinter) Reach(root string) (*Code, error) {
	id := funcID(root)
	rd, ok := fp.decls[id]
	if !ok {
		return nil, fmt.Errorf("fingerprint: function %s (%s) is not in the embedded source of module %s", root, id, fp.Module)
	}
	vis := fp.visible(rd.pkg)
	seen := map[string]bool{id: true}
	pkgsSeen := map[string]bool{}
	imports := map[string]bool{}
	queue := []string{id}
	push := func(id string) {
		if !seen[id] {
			if _, ok := fp.decls[id]; ok {
				seen[id] = true
				queue = append(queue, id)
			}
		}
	}
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
		if _, ok := d.node.(*ast.TypeSpec); ok {
			for _, mid := range fp.methods[d.id] {
				push(mid)
			}
		}
		ast.Inspect(d.node, func(n ast.Node) bool {
			ident, ok := n.(*ast.Ident)
			if !ok {
				return true
			}
			obj := fp.info.Uses[ident]
			if obj == nil || obj.Pkg() == nil {
				return true
			}
			if pn, ok := obj.(*types.PkgName); ok {
				if ip := pn.Imported().Path(); !fp.inModule(ip) {
					imports[ip] = true
				}
				return true
			}
			if !fp.inModule(obj.Pkg().Path()) {
				return true
			}
			oid, abstract := fp.objID(obj)
			if abstract {
				for _, mid := range fp.byName["."+obj.Name()] {
					if vis[fp.decls[mid].pkg] {
						push(mid)
					}
				}
				return true
			}
			if oid != "" {
				push(oid)
			}
			return true
		})
	}
	code := &Code{Decls: map[string]string{}}
	var b bytes.Buffer
	for _, id := range sortedSet(seen) {
		h := fp.decls[id].hash
		code.Decls[id] = h
		fmt.Fprintf(&b, "%s %s\n", id, h)
	}
	code.Fingerprint = HashBytes(b.Bytes())
	code.Imports = sortedSet(imports)
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
		t := sig.Recv().Type()
		if p, ok := t.(*types.Pointer); ok {
			t = p.Elem()
		}
		switch t := t.(type) {
		case *types.Named:
			if _, ok := t.Underlying().(*types.Interface); ok {
				return "", true
			}
			return pkg + "." + t.Obj().Name() + "." + o.Name(), false
		case *types.Interface:
			return "", true
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

// visible returns pkg and every in-module package it imports, directly or
// not: the only packages whose types' methods code in pkg can call (a value of
// a type from elsewhere would have to flow in through one of them, and the
// module's top-level commands are imported by nothing).
func (fp *Fingerprinter) visible(pkg string) map[string]bool {
	if v, ok := fp.closure[pkg]; ok {
		return v
	}
	v := map[string]bool{}
	var walk func(string)
	walk = func(p string) {
		if v[p] {
			return
		}
		v[p] = true
		for q := range fp.imports[p] {
			walk(q)
		}
	}
	walk(pkg)
	fp.closure[pkg] = v
	return v
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
