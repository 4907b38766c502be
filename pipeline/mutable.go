package pipeline

import (
	"go/ast"
	"go/token"
	"go/types"
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
			}
			return true
		})
	}
	return written
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
