package stages

import (
	"bytes"
	"flag"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"os"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the generated and golden files (provdeps.go, testdata/)")

const provDepsFile = "provdeps.go"

// TestProvDeps checks that provdeps.go lists, for every method of
// reportData and every table of the report, the fields of reportData its
// code reaches (through other methods and functions it hands the
// reportData to). Rerun with -update after changing the report's code.
func TestProvDeps(t *testing.T) {
	got, err := provDepsSource(".")
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(provDepsFile, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(provDepsFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is out of date with the report's code: run go test ./stages -run TestProvDeps -update", provDepsFile)
	}
}

// provDepsSource analyses the package's source in dir.
func provDepsSource(dir string) ([]byte, error) {
	fset := token.NewFileSet()
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var files []*ast.File
	for _, e := range ents {
		n := e.Name()
		if !strings.HasSuffix(n, ".go") || strings.HasSuffix(n, "_test.go") || n == provDepsFile {
			continue
		}
		f, err := parser.ParseFile(fset, dir+"/"+n, nil, 0)
		if err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	rt := reflect.TypeOf(reportData{})
	isField := func(n string) bool { f, ok := rt.FieldByName(n); return ok && f.IsExported() }
	isMethod := func(n string) bool { _, ok := reflect.TypeOf(&reportData{}).MethodByName(n); return ok || !isField(n) }

	type node struct {
		fields map[string]bool
		edges  map[string]bool
	}
	graph := map[string]*node{}
	tables := map[string]*node{}
	scan := func(n ast.Node, names map[string]bool, into *node) {
		ast.Inspect(n, func(x ast.Node) bool {
			switch x := x.(type) {
			case *ast.SelectorExpr:
				if id, ok := x.X.(*ast.Ident); ok && names[id.Name] {
					switch {
					case isField(x.Sel.Name):
						into.fields[x.Sel.Name] = true
					case isMethod(x.Sel.Name):
						into.edges[x.Sel.Name] = true
					}
				}
			case *ast.CallExpr:
				if fn, ok := x.Fun.(*ast.Ident); ok {
					for _, a := range x.Args {
						if id, ok := a.(*ast.Ident); ok && names[id.Name] {
							into.edges["func:"+fn.Name] = true
						}
					}
				}
			}
			return true
		})
	}
	newNode := func() *node { return &node{fields: map[string]bool{}, edges: map[string]bool{}} }
	for _, f := range files {
		for _, decl := range f.Decls {
			fd, ok := decl.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			names := map[string]bool{}
			key := "func:" + fd.Name.Name
			isRD := func(e ast.Expr) bool {
				if s, ok := e.(*ast.StarExpr); ok {
					e = s.X
				}
				id, ok := e.(*ast.Ident)
				return ok && id.Name == "reportData"
			}
			if fd.Recv != nil && len(fd.Recv.List) == 1 && isRD(fd.Recv.List[0].Type) {
				key = fd.Name.Name
				for _, n := range fd.Recv.List[0].Names {
					names[n.Name] = true
				}
			} else if fd.Recv != nil {
				continue
			}
			for _, p := range fd.Type.Params.List {
				if isRD(p.Type) {
					for _, n := range p.Names {
						names[n.Name] = true
					}
				}
			}
			if len(names) == 0 {
				continue
			}
			nd := newNode()
			scan(fd.Body, names, nd)
			graph[key] = nd
			// d.tables["name"] = rhs: the table reads what rhs reaches or,
			// if rhs is a local variable, what the statements of the body
			// since the previous table reach.
			pending := newNode()
			for _, stmt := range fd.Body.List {
				scan(stmt, names, pending)
				found := false
				ast.Inspect(stmt, func(x ast.Node) bool {
					as, ok := x.(*ast.AssignStmt)
					if !ok || len(as.Lhs) != 1 || len(as.Rhs) != 1 {
						return true
					}
					ix, ok := as.Lhs[0].(*ast.IndexExpr)
					if !ok {
						return true
					}
					sel, ok := ix.X.(*ast.SelectorExpr)
					lit, ok2 := ix.Index.(*ast.BasicLit)
					if !ok || !ok2 || sel.Sel.Name != "tables" {
						return true
					}
					name, err := strconv.Unquote(lit.Value)
					if err != nil {
						return true
					}
					found = true
					tn := newNode()
					scan(as.Rhs[0], names, tn)
					if _, local := as.Rhs[0].(*ast.Ident); local {
						tn = pending
					}
					tables["table:"+name] = tn
					return true
				})
				if found {
					pending = newNode()
				}
			}
		}
	}
	var reach func(k string, seen map[string]bool, out map[string]bool)
	reach = func(k string, seen map[string]bool, out map[string]bool) {
		if seen[k] {
			return
		}
		seen[k] = true
		nd := graph[k]
		if nd == nil {
			nd = tables[k]
		}
		if nd == nil {
			return
		}
		for f := range nd.fields {
			out[f] = true
		}
		for e := range nd.edges {
			reach(e, seen, out)
		}
	}
	var keys []string
	for k := range graph {
		if !strings.HasPrefix(k, "func:") {
			keys = append(keys, k)
		}
	}
	for k := range tables {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b bytes.Buffer
	b.WriteString("// Code generated by go test ./stages -run TestProvDeps -update; DO NOT EDIT.\n\npackage stages\n\n")
	b.WriteString("// provDeps lists, for each method of reportData and each table of the\n// report (\"table:name\"), the fields of reportData its code reaches: the\n// results a number it prints may come from (see provenance.go).\n")
	b.WriteString("var provDeps = map[string][]string{\n")
	for _, k := range keys {
		out := map[string]bool{}
		reach(k, map[string]bool{}, out)
		fs := make([]string, 0, len(out))
		for f := range out {
			fs = append(fs, strconv.Quote(f))
		}
		slices.Sort(fs)
		fmt.Fprintf(&b, "%q: {%s},\n", k, strings.Join(fs, ", "))
	}
	b.WriteString("}\n")
	return format.Source(b.Bytes())
}
