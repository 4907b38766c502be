package pipeline

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"testing"
)

// FuzzCheckDuplicateKeys: the byte scanner of checkDuplicateKeys says what
// the token stream of encoding/json says (the scanner it replaced, kept
// here as the reference) on every valid JSON document; on any other input
// ParseLock fails either way, whatever either returns.
func FuzzCheckDuplicateKeys(f *testing.F) {
	for _, s := range []string{
		`{"version": 1, "version": 1}`,
		`{"a": {"b": [{"c": 1, "c": 2}]}}`,
		`{"a": "x\"y", "a\"": 1, "a": 2}`,
		`{"\u0061": 1, "a": 2}`,
		`{"a": [1, "a", {"a": "a"}], "b": {"a": 1}, "a": 0}`,
		`[{"k": 1}, {"k": 1, "k": 2}]`,
		`{"s": "{\"a\": 1, \"a\": 2}"}`,
		"{\"\xff\": 1, \"\xfe\": 2}",
		`{"a": 1, "b": 2, "c": 3, "d": 4, "e": 5, "f": 6, "g": 7, "h": 8, "i": 9, "j": 10, "k": 11, "l": 12, "m": 13, "n": 14, "o": 15, "p": 16, "q": 17, "r": 18, "a": 19}`,
		`{"a": 1,, "a": 2}`,
		`{"a" 1, "a": 2}`,
	} {
		f.Add([]byte(s))
	}
	raw, _ := benchLock(3).Encode()
	f.Add(raw)
	f.Fuzz(func(t *testing.T, b []byte) {
		got, want := checkDuplicateKeys(b), checkDuplicateKeysByTokens(b)
		if !json.Valid(b) {
			return
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("%s:\nscanner: %v\ntokens:  %v", b, got, want)
		}
	})
}

// The scanner at the default profile's size finds a duplicate stage at the
// end of the lock, as the token stream does.
func TestCheckDuplicateKeysLarge(t *testing.T) {
	raw, err := benchLock(680).Encode()
	if err != nil {
		t.Fatal(err)
	}
	if err := checkDuplicateKeys(raw); err != nil {
		t.Fatal(err)
	}
	i := bytes.LastIndex(raw, []byte(`"version"`))
	dup := append(append(append([]byte{}, raw[:i]...), `"stages": {}, `...), raw[i:]...)
	got, want := checkDuplicateKeys(dup), checkDuplicateKeysByTokens(dup)
	if got == nil || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("scanner: %v\ntokens:  %v", got, want)
	}
}

// checkDuplicateKeysByTokens is the reference: encoding/json's token
// stream (the implementation before the scanner, slow on a large lock).
func checkDuplicateKeysByTokens(b []byte) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	type frame struct {
		keys   map[string]bool // nil in an array
		path   string
		expect bool // in an object, the next token is a key
	}
	var stack []*frame
	where := func() string {
		if len(stack) == 0 || stack[len(stack)-1].path == "" {
			return "at the top level"
		}
		return "in " + stack[len(stack)-1].path
	}
	child := func() string {
		if len(stack) == 0 {
			return ""
		}
		return stack[len(stack)-1].path
	}
	var lastKey string
	for {
		t, err := d.Token()
		if err != nil {
			return nil // io.EOF, or a syntax error json.Unmarshal reports
		}
		top := (*frame)(nil)
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.keys != nil && top.expect {
			if k, ok := t.(string); ok {
				if top.keys[k] {
					return fmt.Errorf("duplicate key %q %s (a lock this engine writes has each key once)", k, where())
				}
				top.keys[k] = true
				top.expect = false
				lastKey = k
				continue
			}
		}
		path := child()
		if top != nil && top.keys != nil {
			if path != "" {
				path += "."
			}
			path += strconv.Quote(lastKey)
		} else if top != nil {
			path += "[]"
		}
		switch t {
		case json.Delim('{'):
			stack = append(stack, &frame{keys: map[string]bool{}, path: path, expect: true})
			continue
		case json.Delim('['):
			stack = append(stack, &frame{path: path})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
		if len(stack) > 0 && stack[len(stack)-1].keys != nil {
			stack[len(stack)-1].expect = true
		}
	}
}
