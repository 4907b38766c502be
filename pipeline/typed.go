package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"runtime"
	"strings"
)

// Ctx is what a running stage may use besides its parameters and inputs:
// cancellation and progress. The engine passes its *Context; tests pass
// Background().
type Ctx interface {
	Context() context.Context
	Err() error
	Progress(done, total int)
}

// Background returns a Ctx that is never cancelled and ignores progress:
// for calling stage functions in tests.
func Background() Ctx { return background{} }

type background struct{}

func (background) Context() context.Context { return context.Background() }
func (background) Err() error               { return nil }
func (background) Progress(int, int)        {}

// A Ref is a stage whose output is an O. Later stages take it as an input
// with In, so wiring an input of the wrong type does not compile.
type Ref[O any] struct{ name string }

// Name is the stage's name.
func (r Ref[O]) Name() string { return r.name }

// In is an input reading r's output.
func (r Ref[O]) In() In[O] { return In[O]{name: r.name} }

// Ins are inputs reading each of rs.
func Ins[O any](rs []Ref[O]) []In[O] {
	out := make([]In[O], len(rs))
	for i, r := range rs {
		out[i] = r.In()
	}
	return out
}

// Names are the names of rs.
func Names[O any](rs []Ref[O]) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.name
	}
	return out
}

// An In is one input of a stage: a field (or an element of a slice field)
// of the struct of inputs a stage function takes. The graph reads the stage
// it names; the engine decodes that stage's output into Value, strictly,
// before the function runs.
type In[O any] struct {
	name  string
	Value O
}

// Name is the name of the stage the input reads.
func (in In[O]) Name() string { return in.name }

func (in In[O]) inputName() string { return in.name }

func (in *In[O]) decode(b []byte) error { return decodeStrict(b, &in.Value) }

func (in *In[O]) target() reflect.Value { return reflect.ValueOf(&in.Value).Elem() }

// An input is an In of any type.
type input interface{ inputName() string }

type decoder interface {
	decode([]byte) error
	target() reflect.Value // the Value decode fills
}

// A File is a file the stage reads, relative to the project root (or
// absolute, such as a file in the Go module cache). Its content hash is part
// of the key; the engine puts its bytes in Data before the function runs.
type File struct {
	Path string
	Name string // how keys and locks name it (default: Path); see Stage.FileNames
	Data []byte
}

// FileIn is a file input.
func FileIn(path string) File { return File{Path: path} }

// ModuleFileIn is a file input at path (absolute, in the Go module cache)
// named in keys by name, module@version/path-in-module, so that keys do not
// depend on where the module cache is.
func ModuleFileIn(path, name string) File { return File{Path: path, Name: name} }

// A Blob is one raw output of a stage (a figure's SVG, say), not decoded:
// the engine puts its bytes in Data before the function runs.
type Blob struct {
	stage, output string
	Data          []byte
}

// Output is an input reading r's raw output name.
func (r Ref[O]) Output(name string) Blob { return Blob{stage: r.name, output: name} }

// Stage is the name of the stage the blob comes from.
func (b Blob) Stage() string { return b.stage }

// An Option changes a stage added with Add.
type Option func(*Stage)

// Shardable marks a grid point (see Stage.Shard).
func Shardable() Option { return func(s *Stage) { s.Shard = true } }

// Export copies output name to path (relative to the store directory) after
// the stage is done (see Stage.Exports).
func Export(name, path string) Option {
	return func(s *Stage) {
		if s.Exports == nil {
			s.Exports = map[string]string{}
		}
		s.Exports[name] = path
	}
}

// Add adds the stage name, which computes an O from params and in with fn,
// and returns a reference to it. in is a struct whose fields are In, File
// or Blob values, or slices of them (struct{}{} for none): they declare what
// the stage reads. fn must be a named function; it sees params and in decoded from
// exactly what its key was computed from. An error (a bad name, a
// duplicate, a closure) is kept in the graph and returned by Err.
func Add[P, I, O any](g *Graph, name string, params P, in I, fn func(Ctx, P, I) (O, error), opts ...Option) Ref[O] {
	ref := Ref[O]{name: name}
	if g.err != nil {
		return ref
	}
	deps, files, names, err := inputsOf(in)
	if err != nil {
		g.err = fmt.Errorf("stage %s: %w", name, err)
		return ref
	}
	run := Runner{name: runtime.FuncForPC(reflect.ValueOf(fn).Pointer()).Name(), wiring: wiringOf(fn, in), fn: func(c *Context) (*Result, error) {
		var p P
		if err := decodeStrict(c.params, &p); err != nil {
			return nil, fmt.Errorf("decode parameters of %s: %w", c.stage.Name, err)
		}
		filled, err := fillInputs(c, in)
		if err != nil {
			return nil, err
		}
		o, err := fn(c, p, filled)
		if err != nil {
			return nil, err
		}
		return encodeOutput(o)
	}}
	s := Stage{Name: name, Deps: deps, Files: files, FileNames: names, Params: params, Run: run}
	for _, o := range opts {
		o(&s)
	}
	if err := g.Add(s); err != nil {
		g.err = err
	}
	return ref
}

// wiringOf describes fn's type and what each field of in reads (see
// Runner.wiring).
func wiringOf(fn, in any) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%T;", fn)
	v := reflect.ValueOf(in)
	if v.Kind() != reflect.Struct {
		return b.String()
	}
	for i := 0; i < v.NumField(); i++ {
		ft := v.Type().Field(i)
		kind, slice := fieldKind(ft.Type)
		fmt.Fprintf(&b, " %s %s", ft.Name, ft.Type)
		elems(v.Field(i), slice, func(_ int, e reflect.Value) error {
			switch kind {
			case "in":
				fmt.Fprintf(&b, " <%s>", e.Interface().(input).inputName())
			case "blob":
				bl := e.Interface().(Blob)
				fmt.Fprintf(&b, " <%s:%s>", bl.stage, bl.output)
			case "file":
				fmt.Fprintf(&b, " <file>")
			}
			return nil
		})
		b.WriteString(";")
	}
	return b.String()
}

// Err returns the first error of Add.
func (g *Graph) Err() error { return g.err }

var (
	inputType = reflect.TypeFor[input]()
	fileType  = reflect.TypeFor[File]()
	blobType  = reflect.TypeFor[Blob]()
)

// fieldKind says what an inputs struct field holds: "in", "file", "blob"
// or "" (not an input), and whether it is a slice.
func fieldKind(t reflect.Type) (kind string, slice bool) {
	if t.Kind() == reflect.Slice {
		slice, t = true, t.Elem()
	}
	switch {
	case t.Implements(inputType):
		return "in", slice
	case t == fileType:
		return "file", slice
	case t == blobType:
		return "blob", slice
	}
	return "", false
}

// elems calls f on the field's value, or on each element of a slice field.
func elems(v reflect.Value, slice bool, f func(i int, e reflect.Value) error) error {
	if !slice {
		return f(-1, v)
	}
	for i := 0; i < v.Len(); i++ {
		if err := f(i, v.Index(i)); err != nil {
			return err
		}
	}
	return nil
}

// inputsOf lists the stages and files the struct in reads, in field order.
func inputsOf(in any) (deps, files []string, names map[string]string, err error) {
	v := reflect.ValueOf(in)
	if v.Kind() != reflect.Struct {
		return nil, nil, nil, fmt.Errorf("inputs must be a struct of pipeline.In, pipeline.File and pipeline.Blob fields, not %s", v.Type())
	}
	seen := map[string]bool{}
	addDep := func(n string) error {
		if n == "" {
			return fmt.Errorf("an input is not set (use a Ref's In or Output method)")
		}
		if !seen[n] {
			seen[n] = true
			deps = append(deps, n)
		}
		return nil
	}
	for i := 0; i < v.NumField(); i++ {
		ft := v.Type().Field(i)
		kind, slice := fieldKind(ft.Type)
		if kind == "" {
			return nil, nil, nil, fmt.Errorf("input field %s has type %s: want pipeline.In, pipeline.File or pipeline.Blob, or a slice of them", ft.Name, ft.Type)
		}
		if !ft.IsExported() {
			return nil, nil, nil, fmt.Errorf("input field %s is unexported", ft.Name)
		}
		err := elems(v.Field(i), slice, func(j int, e reflect.Value) error {
			var err error
			switch kind {
			case "in":
				err = addDep(e.Interface().(input).inputName())
			case "blob":
				err = addDep(e.Interface().(Blob).stage)
			case "file":
				if f := e.Interface().(File); f.Path != "" {
					files = append(files, f.Path)
					if f.Name != "" {
						if names == nil {
							names = map[string]string{}
						}
						names[f.Path] = f.Name
					}
				} else {
					err = fmt.Errorf("a file input has no path")
				}
			}
			if err != nil && j >= 0 {
				return fmt.Errorf("field %s[%d]: %w", ft.Name, j, err)
			}
			if err != nil {
				return fmt.Errorf("field %s: %w", ft.Name, err)
			}
			return nil
		})
		if err != nil {
			return nil, nil, nil, err
		}
	}
	return deps, files, names, nil
}

// fillInputs returns a copy of in with every input's Value decoded from its
// stage's output, every file's and blob's Data read.
func fillInputs[I any](c *Context, in I) (I, error) {
	v := reflect.New(reflect.TypeOf(in)).Elem()
	v.Set(reflect.ValueOf(in))
	for i := 0; i < v.NumField(); i++ {
		f := v.Field(i)
		kind, slice := fieldKind(f.Type())
		if slice {
			// A fresh slice: the template's elements stay empty.
			s := reflect.MakeSlice(f.Type(), f.Len(), f.Len())
			reflect.Copy(s, f)
			f.Set(s)
		}
		err := elems(f, slice, func(_ int, e reflect.Value) error {
			switch kind {
			case "in":
				return c.decodeInput(e.Interface().(input).inputName(), e.Addr().Interface().(decoder))
			case "file":
				file := e.Interface().(File)
				b, err := c.File(file.Path)
				if err != nil {
					return err
				}
				file.Data = b
				e.Set(reflect.ValueOf(file))
			case "blob":
				blob := e.Interface().(Blob)
				b, err := c.Artifact(blob.stage, blob.output)
				if err != nil {
					return err
				}
				blob.Data = b
				e.Set(reflect.ValueOf(blob))
			}
			return nil
		})
		if err != nil {
			return in, err
		}
	}
	return v.Interface().(I), nil
}

// decodeInput decodes the "value" output of dep into d, or copies it from
// the run's cache of decoded values (see valueCache).
func (c *Context) decodeInput(dep string, d decoder) error {
	h, err := c.artifactHash(dep, "value")
	if err != nil {
		return err
	}
	if c.values.get(h, d.target()) {
		return nil
	}
	b, err := c.load(h)
	if err != nil {
		return err
	}
	if err := d.decode(b); err != nil {
		return fmt.Errorf("decode output of %s: %w", dep, err)
	}
	c.values.put(h, d.target(), len(b))
	return nil
}

// decodeStrict decodes JSON into v: unknown fields and trailing data are
// errors, so a stage never silently sees less than it was given.
func decodeStrict(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return err
	}
	if d.More() {
		return fmt.Errorf("trailing data after the JSON value")
	}
	return nil
}
