package pipeline

import (
	"go/ast"
	"go/token"
	"go/types"
	"slices"
	"strings"
)

// memoDirective marks a package-level variable that code assigns at run
// time only to remember what a pure function gave (a cache keyed by all of
// the function's arguments): reading it cannot change a stage's output.
// It goes on a line of the variable's doc comment.
const memoDirective = "//repro:memo"

// runTimeWrites finds the module's package-level variables that functions
// assign at run time: by an assignment (to the variable, a field or an
// element of it), ++ or --, or by taking its address; assignments in
// initialisers and init functions do not count. It maps each variable's id
// to the first function (by id) that writes it. A variable whose doc
// comment holds //repro:memo is left out.
//
// A stage that reads such a variable depends on what ran before it in the
// process (a command-line flag stored in a package variable, a test hook),
// which no key records. The search is syntactic: a write through a pointer
// or a slice copied elsewhere is not seen.
func (fp *Fingerprinter) runTimeWrites() map[string]string {
	memo := map[string]bool{}
	for pkg, files := range fp.pkgAST {
		for _, f := range files {
			for _, dl := range f.Decls {
				gd, ok := dl.(*ast.GenDecl)
				if !ok || gd.Tok != token.VAR {
					continue
				}
				for _, sp := range gd.Specs {
					vs := sp.(*ast.ValueSpec)
					if hasDirective(gd.Doc, memoDirective) || hasDirective(vs.Doc, memoDirective) {
						for _, n := range vs.Names {
							memo[pkg+"."+n.Name] = true
						}
					}
				}
			}
		}
	}
	written := map[string]string{}
	note := func(e ast.Expr, by string) {
		id := fp.packageVar(e)
		if id == "" || memo[id] {
			return
		}
		if old, ok := written[id]; !ok || by < old {
			written[id] = by
		}
	}
	for _, id := range sortedKeys(fp.decls) {
		d := fp.decls[id]
		fd, ok := d.node.(*ast.FuncDecl)
		if !ok || fd.Body == nil || strings.Contains(id, ".init#") {
			continue
		}
		ast.Inspect(fd.Body, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.AssignStmt:
				if n.Tok != token.DEFINE {
					for _, l := range n.Lhs {
						note(l, id)
					}
				}
			case *ast.IncDecStmt:
				note(n.X, id)
			case *ast.UnaryExpr:
				if n.Op == token.AND {
					note(n.X, id)
				}
			case *ast.RangeStmt:
				if n.Tok == token.ASSIGN {
					note(n.Key, id)
					note(n.Value, id)
				}
			case *ast.CallExpr:
				// v.Store(x) on an atomic.Value, a setter: a method with
				// a pointer receiver may change the variable.
				if sel, ok := n.Fun.(*ast.SelectorExpr); ok && fp.pointerMethod(sel) {
					note(sel.X, id)
				}
			case *ast.ReturnStmt:
				// A variable that is a reference (pointer, map, slice,
				// channel) handed out by a function can be changed by
				// whoever holds it.
				for _, r := range n.Results {
					if fp.isReference(r) {
						note(r, id)
					}
				}
			}
			return true
		})
	}
	return written
}

// isReference reports whether e is a package-level variable of the module
// (or a part of one) whose type refers to memory others can change.
func (fp *Fingerprinter) isReference(e ast.Expr) bool {
	if fp.packageVar(e) == "" {
		return false
	}
	tv, ok := fp.info.Types[e]
	if !ok || tv.Type == nil {
		return false
	}
	switch tv.Type.Underlying().(type) {
	case *types.Pointer, *types.Map, *types.Slice, *types.Chan:
		return true
	}
	return false
}

// packageVar is the id of the module's package-level variable that e
// writes into (v, v.f, v[i], *v, pkg.V...), or "".
func (fp *Fingerprinter) packageVar(e ast.Expr) string {
	for e != nil {
		switch x := e.(type) {
		case *ast.Ident:
			v, ok := fp.info.Uses[x].(*types.Var)
			if !ok || v.Pkg() == nil || v.Parent() != v.Pkg().Scope() || !fp.inModule(v.Pkg().Path()) {
				return ""
			}
			return v.Pkg().Path() + "." + v.Name()
		case *ast.SelectorExpr:
			if id, ok := x.X.(*ast.Ident); ok {
				if _, ok := fp.info.Uses[id].(*types.PkgName); ok {
					e = x.Sel // pkg.V
					continue
				}
			}
			e = x.X
		case *ast.IndexExpr:
			e = x.X
		case *ast.IndexListExpr:
			e = x.X
		case *ast.StarExpr:
			e = x.X
		case *ast.ParenExpr:
			e = x.X
		default:
			return ""
		}
	}
	return ""
}

func hasDirective(cg *ast.CommentGroup, dir string) bool {
	if cg == nil {
		return false
	}
	for _, c := range cg.List {
		if c.Text == dir || strings.HasPrefix(c.Text, dir+" ") {
			return true
		}
	}
	return false
}

// An outsideWrite is a declaration of the module that assigns a variable of
// a package outside it.
type outsideWrite struct {
	id     string // the declaration
	pkg    string // the outside package
	target string // "pkg.V"
}

// outsideWrites maps each outside package to the declarations of the
// module that assign its package-level variables (v = x, v.f = x, v[i] = x,
// v++, &v), anywhere: init functions and run-time code alike. (A method
// called on such a variable is not counted: outside packages' variables
// are mostly values used through pointer methods, base64.StdEncoding say.)
func (fp *Fingerprinter) outsideWrites() map[string][]string {
	out := map[string][]string{}
	for _, id := range sortedKeys(fp.decls) {
		d := fp.decls[id]
		fd, ok := d.node.(*ast.FuncDecl)
		if !ok || fd.Body == nil {
			continue
		}
		note := func(e ast.Expr) {
			if pkg, name := fp.outsideVar(e); pkg != "" {
				k := pkg + "\x00" + name
				if !slices.Contains(out[k], id) {
					out[k] = append(out[k], id)
				}
			}
		}
		ast.Inspect(fd.Body, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.AssignStmt:
				if n.Tok != token.DEFINE {
					for _, l := range n.Lhs {
						note(l)
					}
				}
			case *ast.IncDecStmt:
				note(n.X)
			case *ast.UnaryExpr:
				if n.Op == token.AND {
					note(n.X)
				}
			}
			return true
		})
	}
	return out
}

// outsideVar is the outside package and name of the package-level
// variable e writes into, or "".
func (fp *Fingerprinter) outsideVar(e ast.Expr) (pkg, name string) {
	for e != nil {
		switch x := e.(type) {
		case *ast.Ident:
			v, ok := fp.info.Uses[x].(*types.Var)
			if !ok || v.Pkg() == nil || v.Parent() != v.Pkg().Scope() || fp.inModule(v.Pkg().Path()) {
				return "", ""
			}
			return v.Pkg().Path(), v.Name()
		case *ast.SelectorExpr:
			if id, ok := x.X.(*ast.Ident); ok {
				if pn, ok := fp.info.Uses[id].(*types.PkgName); ok {
					if p := pn.Imported().Path(); !fp.inModule(p) {
						switch fp.info.Uses[x.Sel].(type) {
						case *types.Func, *types.Const, *types.TypeName:
							return "", ""
						}
						return p, x.Sel.Name // a variable, or unresolved (without a floor)
					}
					return "", ""
				}
			}
			e = x.X
		case *ast.IndexExpr:
			e = x.X
		case *ast.StarExpr:
			e = x.X
		case *ast.ParenExpr:
			e = x.X
		default:
			return "", ""
		}
	}
	return "", ""
}

// pointerMethod reports whether sel calls a method that may change its
// operand: a method with a pointer receiver of a type of the module (a
// setter), or a store of sync/atomic's types or of sync.Map. (Other
// outside types' pointer methods, regexp.Regexp's say, mostly read.)
func (fp *Fingerprinter) pointerMethod(sel *ast.SelectorExpr) bool {
	fn, ok := fp.info.Uses[sel.Sel].(*types.Func)
	if !ok {
		return false
	}
	recv := fn.Signature().Recv()
	if recv == nil {
		return false
	}
	ptr, ok := recv.Type().(*types.Pointer)
	if !ok {
		return false
	}
	named, ok := types.Unalias(ptr.Elem()).(*types.Named)
	if !ok || named.Obj().Pkg() == nil {
		return false
	}
	switch pkg := named.Obj().Pkg().Path(); {
	case fp.inModule(pkg):
		return true
	case pkg == "sync/atomic", pkg == "sync" && named.Obj().Name() == "Map":
		return mutators[fn.Name()]
	}
	return false
}

var mutators = map[string]bool{"Store": true, "Swap": true, "CompareAndSwap": true, "Add": true, "And": true, "Or": true,
	"LoadOrStore": true, "LoadAndDelete": true, "Delete": true, "Clear": true}

// writersOf lists the declarations that assign variables of the outside
// packages in imports or of any package they import (with a floor), that
// were not listed before (done).
func (fp *Fingerprinter) writersOf(imports map[string]bool, done map[string]bool) []outsideWrite {
	if len(fp.outWrites) == 0 {
		return nil
	}
	pkgs := map[string]bool{}
	for ip := range imports {
		pkgs[ip] = true
		if fp.build != nil {
			for _, d := range fp.build.Deps(ip) {
				pkgs[d] = true
			}
		}
	}
	var out []outsideWrite
	for _, k := range sortedKeys(fp.outWrites) {
		pkg, name, _ := strings.Cut(k, "\x00")
		if !pkgs[pkg] || done[k] {
			continue
		}
		done[k] = true
		for _, id := range fp.outWrites[k] {
			out = append(out, outsideWrite{id: id, pkg: pkg, target: pkg + "." + name})
		}
	}
	return out
}

// instanceTypes maps each generic function of the module to the types its
// instantiations anywhere in the module use as type arguments: the ids of
// the module's named types, and "import PATH" for outside ones.
func (fp *Fingerprinter) instanceTypes() map[string][]string {
	out := map[string][]string{}
	for ident, inst := range fp.info.Instances {
		fn, ok := fp.info.Uses[ident].(*types.Func)
		if !ok || fn.Pkg() == nil || !fp.inModule(fn.Pkg().Path()) {
			continue
		}
		id, abstract := fp.objID(fn.Origin())
		if id == "" || abstract {
			continue
		}
		for i := 0; i < inst.TypeArgs.Len(); i++ {
			fp.namedIn(inst.TypeArgs.At(i), func(n *types.Named) {
				t := "import " + n.Obj().Pkg().Path()
				if fp.inModule(n.Obj().Pkg().Path()) {
					t = n.Obj().Pkg().Path() + "." + n.Obj().Name()
				}
				if !slices.Contains(out[id], t) {
					out[id] = append(out[id], t)
				}
			}, map[types.Type]bool{})
		}
	}
	for id := range out {
		slices.Sort(out[id])
	}
	return out
}

// namedIn calls f for every named type in t.
func (fp *Fingerprinter) namedIn(t types.Type, f func(*types.Named), seen map[types.Type]bool) {
	if t == nil || seen[t] {
		return
	}
	seen[t] = true
	switch t := types.Unalias(t).(type) {
	case *types.Named:
		if t.Obj().Pkg() != nil {
			f(t)
		}
		if ta := t.TypeArgs(); ta != nil {
			for i := 0; i < ta.Len(); i++ {
				fp.namedIn(ta.At(i), f, seen)
			}
		}
	case *types.Pointer:
		fp.namedIn(t.Elem(), f, seen)
	case *types.Slice:
		fp.namedIn(t.Elem(), f, seen)
	case *types.Array:
		fp.namedIn(t.Elem(), f, seen)
	case *types.Map:
		fp.namedIn(t.Key(), f, seen)
		fp.namedIn(t.Elem(), f, seen)
	case *types.Chan:
		fp.namedIn(t.Elem(), f, seen)
	case *types.Signature:
		for i := 0; i < t.Params().Len(); i++ {
			fp.namedIn(t.Params().At(i).Type(), f, seen)
		}
		for i := 0; i < t.Results().Len(); i++ {
			fp.namedIn(t.Results().At(i).Type(), f, seen)
		}
	case *types.Struct:
		for i := 0; i < t.NumFields(); i++ {
			fp.namedIn(t.Field(i).Type(), f, seen)
		}
	}
}
