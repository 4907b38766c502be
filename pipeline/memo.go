package pipeline

import (
	"container/list"
	"reflect"
	"sync"
)

// A valueCache keeps the decoded inputs of a run, by content hash and Go
// type, so that an output many stages read (the digit images, the terrain
// sets) is decoded from JSON once per process, not once per reader:
// decoding was a quarter of the CPU of a cold quick run, more than its
// training. Every reader gets a deep copy of the cached value, so a stage
// that changes its input changes nothing another stage sees.
//
// A copy is what decoding the same bytes into the same type gives, nil and
// empty slices and maps kept apart; types for which that cannot be promised
// (unexported fields, which an UnmarshalJSON method may set; interfaces,
// which may hold such values; channels, functions) are decoded every time.
type valueCache struct {
	mu   sync.Mutex
	max  int // bound on the sum of the entries' costs (their JSON sizes)
	size int
	m    map[valueKey]*list.Element
	lru  list.List // most recently used first; elements hold *valueEntry
}

type valueKey struct {
	hash string
	t    reflect.Type
}

type valueEntry struct {
	key  valueKey
	v    reflect.Value // never changed once stored
	cost int
}

// defaultValueCacheBytes bounds a run's cache by the JSON size of what it
// holds (the decoded values are smaller: a float is 8 bytes, not 20).
const defaultValueCacheBytes = 256 << 20

func newValueCache(max int) *valueCache {
	return &valueCache{max: max, m: map[valueKey]*list.Element{}}
}

// get sets dst to a copy of the value cached for hash and dst's type, and
// reports whether there was one.
func (c *valueCache) get(hash string, dst reflect.Value) bool {
	if c == nil || !copyable(dst.Type()) {
		return false
	}
	c.mu.Lock()
	el, ok := c.m[valueKey{hash, dst.Type()}]
	if ok {
		c.lru.MoveToFront(el)
	}
	c.mu.Unlock()
	if !ok {
		return false
	}
	deepCopy(dst, el.Value.(*valueEntry).v)
	return true
}

// put caches a copy of v, decoded from the object hash of cost bytes.
func (c *valueCache) put(hash string, v reflect.Value, cost int) {
	if c == nil || cost > c.max || !copyable(v.Type()) {
		return
	}
	k := valueKey{hash, v.Type()}
	c.mu.Lock()
	_, ok := c.m[k]
	c.mu.Unlock()
	if ok {
		return
	}
	cp := reflect.New(v.Type()).Elem()
	deepCopy(cp, v)
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[k]; ok {
		return
	}
	c.m[k] = c.lru.PushFront(&valueEntry{key: k, v: cp, cost: cost})
	c.size += cost
	for c.size > c.max {
		old := c.lru.Back()
		e := old.Value.(*valueEntry)
		c.lru.Remove(old)
		delete(c.m, e.key)
		c.size -= e.cost
	}
}

var copyableTypes sync.Map // reflect.Type -> bool

// copyable reports whether deepCopy reproduces every value of type t that
// JSON decoding can make: t is built from booleans, numbers, strings,
// arrays, slices, maps, pointers and structs whose fields are all exported.
func copyable(t reflect.Type) bool {
	if ok, found := copyableTypes.Load(t); found {
		return ok.(bool)
	}
	ok := copyableIn(t, map[reflect.Type]bool{})
	copyableTypes.Store(t, ok)
	return ok
}

func copyableIn(t reflect.Type, seen map[reflect.Type]bool) bool {
	if seen[t] {
		return true // a recursive type: decided where it started
	}
	seen[t] = true
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64, reflect.String:
		return true
	case reflect.Array, reflect.Slice, reflect.Pointer:
		return copyableIn(t.Elem(), seen)
	case reflect.Map:
		return copyableIn(t.Key(), seen) && copyableIn(t.Elem(), seen)
	case reflect.Struct:
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() || !copyableIn(f.Type, seen) {
				return false
			}
		}
		return true
	}
	return false // interfaces, channels, functions, complex numbers, uintptr, unsafe pointers
}

var flatTypes sync.Map // reflect.Type -> bool

// flat reports whether values of t hold no slice, map or pointer, so that
// a plain assignment (or reflect.Copy of a slice of them) copies them
// whole. Strings count as flat: they cannot be changed in place.
func flat(t reflect.Type) bool {
	if ok, found := flatTypes.Load(t); found {
		return ok.(bool)
	}
	ok := true
	switch t.Kind() {
	case reflect.Array:
		ok = flat(t.Elem())
	case reflect.Struct:
		for i := 0; i < t.NumField(); i++ {
			if !flat(t.Field(i).Type) {
				ok = false
				break
			}
		}
	case reflect.Slice, reflect.Map, reflect.Pointer, reflect.Interface:
		ok = false
	}
	flatTypes.Store(t, ok)
	return ok
}

// deepCopy sets dst (settable, of src's type, copyable) to a copy of src
// that shares no slice, map or pointer with it.
func deepCopy(dst, src reflect.Value) {
	t := src.Type()
	if flat(t) {
		dst.Set(src)
		return
	}
	switch t.Kind() {
	case reflect.Slice:
		if src.IsNil() {
			dst.SetZero()
			return
		}
		n := src.Len()
		s := reflect.MakeSlice(t, n, n)
		if flat(t.Elem()) {
			reflect.Copy(s, src)
		} else {
			for i := 0; i < n; i++ {
				deepCopy(s.Index(i), src.Index(i))
			}
		}
		dst.Set(s)
	case reflect.Array:
		for i := 0; i < src.Len(); i++ {
			deepCopy(dst.Index(i), src.Index(i))
		}
	case reflect.Map:
		if src.IsNil() {
			dst.SetZero()
			return
		}
		m := reflect.MakeMapWithSize(t, src.Len())
		it := src.MapRange()
		for it.Next() {
			k := reflect.New(t.Key()).Elem()
			deepCopy(k, it.Key())
			v := reflect.New(t.Elem()).Elem()
			deepCopy(v, it.Value())
			m.SetMapIndex(k, v)
		}
		dst.Set(m)
	case reflect.Pointer:
		if src.IsNil() {
			dst.SetZero()
			return
		}
		p := reflect.New(t.Elem())
		deepCopy(p.Elem(), src.Elem())
		dst.Set(p)
	case reflect.Struct:
		for i := 0; i < src.NumField(); i++ {
			deepCopy(dst.Field(i), src.Field(i))
		}
	default:
		panic("pipeline: deepCopy of " + t.String())
	}
}
