package pipeline

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/scanner"
	"go/token"
	"io/fs"
	"path"
	"sort"
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
// count. The declarations reachable from a stage function are found
// syntactically, erring on the side of including too much:
//
//   - an identifier names the package-level declaration of that name in the
//     same package, if there is one;
//   - pkg.Name through an import of this module names that declaration;
//   - x.Name on anything else names every method called Name in the module
//     (this covers calls through interfaces);
//   - reaching a type reaches all of its methods, and reaching anything in a
//     package reaches that package's init functions.
//
// Imports of packages outside the module are collected per declaration's
// file; the caller counts them by module version.
type Fingerprinter struct {
	Module  string           // module path from go.mod
	decls   map[string]*decl // by id: "pkg.Name" or "pkg.Type.Method"
	byName  map[string][]string
	inits   map[string][]string // package -> ids of its init functions
	methods map[string][]string // receiver type id -> ids of its methods
	files   map[string][]byte   // path -> source, for SourceHash
}

type decl struct {
	id       string
	pkg      string
	hash     string
	node     ast.Node
	file     *fileInfo
	recvType string // for methods
}

type fileInfo struct {
	pkg     string
	imports map[string]string // local name -> import path
}

// NewFingerprinter parses every non-test .go file of the module in fsys.
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
		files:   map[string][]byte{},
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
		if d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
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
	return fp, nil
}

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
	dir := path.Dir(p)
	pkg := fp.Module
	if dir != "." {
		pkg = fp.Module + "/" + dir
	}
	fi := &fileInfo{pkg: pkg, imports: map[string]string{}}
	for _, im := range f.Imports {
		ip, _ := strconv.Unquote(im.Path.Value)
		name := path.Base(ip)
		if strings.HasPrefix(name, "v") && len(name) <= 3 && strings.Count(ip, "/") > 0 {
			// gopkg.in/yaml.v3 style or a /v2 major version suffix
			name = path.Base(path.Dir(ip))
		}
		if i := strings.IndexAny(name, ".-"); i > 0 {
			name = name[:i]
		}
		if im.Name != nil {
			name = im.Name.Name
		}
		fi.imports[name] = ip
	}
	tf := fset.File(f.Pos())
	hashOf := func(n ast.Node) string {
		start, end := tf.Offset(n.Pos()), tf.Offset(n.End())
		return tokenHash(src[start:end])
	}
	add := func(id, name string, n ast.Node, recv string) {
		d := &decl{id: id, pkg: pkg, node: n, file: fi, recvType: recv, hash: hashOf(n)}
		if old, ok := fp.decls[id]; ok {
			// Two declarations with one id (e.g. blank or per-platform
			// files): hash both.
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
				fp.decls[id] = &decl{id: id, pkg: pkg, node: dl, file: fi, hash: hashOf(dl)}
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
					// A spec with several names is one declaration for
					// each name; iota constants also depend on their
					// GenDecl, so hash the whole group for consts.
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
// breaks do not count (automatic semicolons are written as explicit ones).
func tokenHash(src []byte) string {
	var s scanner.Scanner
	fset := token.NewFileSet()
	f := fset.AddFile("", -1, len(src))
	s.Init(f, src, nil, 0)
	var b bytes.Buffer
	for {
		_, tok, lit := s.Scan()
		if tok == token.EOF {
			break
		}
		if tok == token.SEMICOLON {
			b.WriteString(";")
			continue
		}
		b.WriteString(tok.String())
		if lit != "" {
			b.WriteByte(' ')
			b.WriteString(lit)
		}
		b.WriteByte('\x00')
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
	if _, ok := fp.decls[id]; !ok {
		return nil, fmt.Errorf("fingerprint: function %s (%s) is not in the embedded source of module %s", root, id, fp.Module)
	}
	seen := map[string]bool{}
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
	seen[id] = true
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
		if td, ok := d.node.(*ast.TypeSpec); ok {
			for _, mid := range fp.methods[d.pkg+"."+td.Name.Name] {
				push(mid)
			}
		}
		ast.Inspect(d.node, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.SelectorExpr:
				if x, ok := n.X.(*ast.Ident); ok {
					if ip, ok := d.file.imports[x.Name]; ok {
						if ip == fp.Module || strings.HasPrefix(ip, fp.Module+"/") {
							push(ip + "." + n.Sel.Name)
						} else {
							imports[ip] = true
						}
						return false
					}
				}
				for _, mid := range fp.byName["."+n.Sel.Name] {
					push(mid)
				}
				// Also a same-package declaration if X is a local value
				// (no harm: push ignores ids that do not exist).
			case *ast.Ident:
				push(d.pkg + "." + n.Name)
			}
			return true
		})
	}
	code := &Code{Decls: map[string]string{}}
	ids := make([]string, 0, len(seen))
	for id := range seen {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var b bytes.Buffer
	for _, id := range ids {
		h := fp.decls[id].hash
		code.Decls[id] = h
		fmt.Fprintf(&b, "%s %s\n", id, h)
	}
	code.Fingerprint = HashBytes(b.Bytes())
	for ip := range imports {
		code.Imports = append(code.Imports, ip)
	}
	sort.Strings(code.Imports)
	return code, nil
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
