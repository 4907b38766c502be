package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

type memoInner struct {
	Name string
	W    []float64
	P    *int
}

type memoValue struct {
	X       []float64
	Empty   []float64
	Nil     []float64
	M       map[string][]int
	NilMap  map[string]int
	EmptyM  map[int]string
	Rows    [][]float64
	Items   []memoInner
	Ptr     *memoInner
	NilPtr  *memoInner
	Arr     [3][]int
	Flat    [2]struct{ A, B float64 }
	Tag     string `json:"tag,omitempty"`
	U8      []uint8
	Nested  map[string]*memoInner
	Numbers []int64
}

const memoJSON = `{"X":[1.5,-2,3e-300],"Empty":[],"Nil":null,"M":{"a":[1,2],"b":[],"c":null},"NilMap":null,"EmptyM":{},
"Rows":[[1],[],null,[2,3]],"Items":[{"Name":"i","W":[0.25],"P":7},{"Name":"j","W":null,"P":null}],
"Ptr":{"Name":"p","W":[],"P":0},"NilPtr":null,"Arr":[[1],null,[]],"Flat":[{"A":1,"B":2},{"A":3,"B":4}],
"tag":"t","U8":"AAEC","Nested":{"n":{"Name":"n","W":[9]},"z":null},"Numbers":[9007199254740993]}`

// A cached value is, copy after copy, what decoding the same bytes gives:
// nil and empty kept apart, nothing shared between copies.
func TestValueCacheCopiesWhatDecodingGives(t *testing.T) {
	var want memoValue
	if err := decodeStrict([]byte(memoJSON), &want); err != nil {
		t.Fatal(err)
	}
	wantJSON, _ := json.Marshal(want)
	c := newValueCache(1 << 20)
	var first memoValue
	if err := decodeStrict([]byte(memoJSON), &first); err != nil {
		t.Fatal(err)
	}
	c.put("h", reflect.ValueOf(&first).Elem(), len(memoJSON))
	// Changing the value that was put changes nothing cached.
	first.X[0], first.Items[0].W[0], *first.Ptr.P = 100, 100, 100
	first.M["a"][0] = 100
	for round := 0; round < 3; round++ {
		var got memoValue
		if !c.get("h", reflect.ValueOf(&got).Elem()) {
			t.Fatal("no cached value")
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("round %d: copy\n%+v\nwant\n%+v", round, got, want)
		}
		if b, _ := json.Marshal(got); string(b) != string(wantJSON) {
			t.Fatalf("round %d: copy encodes as\n%s\nwant\n%s", round, b, wantJSON)
		}
		if (got.Empty == nil) != (want.Empty == nil) || got.Nil != nil || got.NilMap != nil || got.EmptyM == nil || got.Rows[2] != nil || got.Rows[1] == nil {
			t.Fatalf("round %d: nil and empty mixed up: %+v", round, got)
		}
		// Change everything a stage could change in its input.
		got.X[0] = 42
		got.X = append(got.X, 1)
		got.M["a"][1] = 42
		got.M["new"] = nil
		got.EmptyM[1] = "x"
		got.Rows[0][0] = 42
		got.Items[0].W[0] = 42
		*got.Items[0].P = 42
		got.Ptr.Name = "changed"
		*got.Ptr.P = 42
		got.Arr[0][0] = 42
		got.U8[1] = 42
		got.Nested["n"].W[0] = 42
	}
}

type memoOpaque struct{ hidden []float64 }

func (m *memoOpaque) UnmarshalJSON(b []byte) error { return json.Unmarshal(b, &m.hidden) }

// Types whose decoded values a copy might not reproduce are decoded every
// time: unexported fields (set here by an UnmarshalJSON method),
// interfaces, and what holds them.
func TestValueCacheRefusesWhatItCannotCopy(t *testing.T) {
	for _, v := range []any{
		&memoOpaque{},
		&struct{ A any }{},
		&[]map[string]any{},
		&struct{ T time.Time }{},
		&struct{ In []memoOpaque }{},
		&struct{ C complex128 }{},
	} {
		rv := reflect.ValueOf(v).Elem()
		c := newValueCache(1 << 20)
		c.put("h", rv, 10)
		if c.get("h", reflect.New(rv.Type()).Elem()) || len(c.m) != 0 {
			t.Errorf("%s: cached", rv.Type())
		}
	}
	for _, v := range []any{&memoValue{}, &map[string][2]float64{}, &[][]*int{}} {
		if rv := reflect.ValueOf(v).Elem(); !copyable(rv.Type()) {
			t.Errorf("%s: not copyable", rv.Type())
		}
	}
}

// The cache stays within its bound, dropping the least recently used, and
// keys by type as well as by hash.
func TestValueCacheBound(t *testing.T) {
	c := newValueCache(100)
	put := func(h string, x float64, cost int) {
		v := []float64{x}
		c.put(h, reflect.ValueOf(&v).Elem(), cost)
	}
	get := func(h string) (float64, bool) {
		var v []float64
		ok := c.get(h, reflect.ValueOf(&v).Elem())
		if !ok {
			return 0, false
		}
		return v[0], true
	}
	put("a", 1, 40)
	put("b", 2, 40)
	get("a") // a is now the most recent
	put("c", 3, 40)
	if _, ok := get("b"); ok {
		t.Error("b, the least recently used, was kept past the bound")
	}
	if x, ok := get("a"); !ok || x != 1 {
		t.Errorf("a = %v, %v", x, ok)
	}
	if x, ok := get("c"); !ok || x != 3 {
		t.Errorf("c = %v, %v", x, ok)
	}
	if c.size != 80 {
		t.Errorf("size %d, want 80", c.size)
	}
	put("huge", 4, 101)
	if _, ok := get("huge"); ok {
		t.Error("an entry larger than the bound was cached")
	}
	var asInts []int
	if c.get("a", reflect.ValueOf(&asInts).Elem()) {
		t.Error("a value cached as []float64 was handed out as []int")
	}
	var nilCache *valueCache
	nilCache.put("a", reflect.ValueOf(&asInts).Elem(), 1)
	if nilCache.get("a", reflect.ValueOf(&asInts).Elem()) {
		t.Error("a nil cache had a value")
	}
}

type mutateIn struct{ List In[[]int] }

// mutateFirst changes its input in place, as a careless stage might.
func mutateFirst(c Ctx, _ struct{}, in mutateIn) ([]int, error) {
	in.List.Value[0] = 1000
	return in.List.Value, nil
}

type afterIn struct {
	List  In[[]int]
	After In[[]int]
}

func readAfter(c Ctx, _ struct{}, in afterIn) ([]int, error) { return in.List.Value, nil }

// A stage that changes its input in place changes nothing that a later
// reader of the same output sees: each gets its own copy.
func TestStagesGetTheirOwnCopyOfAnInput(t *testing.T) {
	dir := t.TempDir()
	g := NewGraph()
	list := Add(g, "list", listParams{N: 3}, listIn{Seed: FileIn("seed.txt")}, typedList)
	mut := Add(g, "mutate", struct{}{}, mutateIn{List: list.In()}, mutateFirst)
	Add(g, "after", struct{}{}, afterIn{List: list.In(), After: mut.In()}, readAfter)
	if err := g.Err(); err != nil {
		t.Fatal(err)
	}
	writeFiles(t, dir, map[string]string{"seed.txt": "ab"})
	e := keyCase{src: keySource + typedSource + "\nfunc mutateFirst() {}\nfunc readAfter() {}\n"}.engine(t, dir, g)
	res, err := e.Run(context.Background(), g.Stages())
	if err != nil {
		t.Fatal(err)
	}
	read := func(stage string) string {
		b, err := e.Store.Get(res.Outcomes[stage].Record.Outputs["value"])
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if got := read("mutate"); got != "[1000,3,4]" {
		t.Errorf("mutate = %s", got)
	}
	if got := read("after"); got != "[2,3,4]" {
		t.Errorf("after = %s, want the list as list wrote it", got)
	}
	if e.values == nil || len(e.values.m) == 0 || !strings.Contains(reflect.TypeOf(e.values.m).String(), "valueKey") {
		t.Error("the engine cached no decoded input")
	}
}

// Stages run concurrently: puts, gets and evictions from several
// goroutines leave every copy whole (go test -race checks the locking).
func TestValueCacheConcurrent(t *testing.T) {
	c := newValueCache(3 * 80)
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				h := fmt.Sprint("h", (w+i)%5)
				want := memoValue{X: []float64{float64((w + i) % 5)}, M: map[string][]int{"k": {(w + i) % 5}}}
				var got memoValue
				if c.get(h, reflect.ValueOf(&got).Elem()) {
					if got.X[0] != want.X[0] || got.M["k"][0] != want.M["k"][0] {
						t.Errorf("%s: got %+v, want %+v", h, got, want)
						return
					}
					got.X[0] = -1 // a reader's change stays its own
				} else {
					c.put(h, reflect.ValueOf(&want).Elem(), 80)
				}
			}
		}(w)
	}
	wg.Wait()
	if c.size > c.max || len(c.m) != c.lru.Len() {
		t.Errorf("size %d of %d, %d entries and %d in the list", c.size, c.max, len(c.m), c.lru.Len())
	}
}
