package data

import (
	"fmt"
	"strconv"
)

// The .npy header is a Python literal. pyParser reads the small subset NumPy
// writes: dicts, tuples, lists, quoted strings without escapes, integers
// (with Python 2's L suffix), True, False and None.

type pyKind int

const (
	pyStr pyKind = iota + 1
	pyInt
	pyBool
	pyNone
	pyTuple
	pyList
	pyDict
)

type pyValue struct {
	kind  pyKind
	s     string    // pyStr
	i     int       // pyInt
	b     bool      // pyBool
	keys  []string  // pyDict
	items []pyValue // pyTuple, pyList, pyDict (values, parallel to keys)
}

type pyParser struct {
	s string
	i int
}

// maxPyDepth bounds nesting so a hostile header cannot recurse deeply.
const maxPyDepth = 16

func (p *pyParser) space() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n' || p.s[p.i] == '\r') {
		p.i++
	}
}

func (p *pyParser) errAt(what string) string {
	if p.i >= len(p.s) {
		return fmt.Sprintf("%s at the end of the header", what)
	}
	return fmt.Sprintf("%s at byte %d (%s)", what, p.i, quoteField([]byte(p.s[p.i:min(len(p.s), p.i+12)])))
}

// value parses one literal; err is "" on success.
func (p *pyParser) value(depth int) (v pyValue, err string) {
	if depth > maxPyDepth {
		return v, p.errAt("nested too deeply")
	}
	p.space()
	if p.i >= len(p.s) {
		return v, p.errAt("value missing")
	}
	switch c := p.s[p.i]; {
	case c == '\'' || c == '"':
		s, err := p.str()
		return pyValue{kind: pyStr, s: s}, err
	case c >= '0' && c <= '9' || c == '-':
		return p.integer()
	case c == '{':
		return p.dict(depth)
	case c == '(' || c == '[':
		return p.sequence(depth)
	}
	for _, w := range []struct {
		word string
		v    pyValue
	}{{"True", pyValue{kind: pyBool, b: true}}, {"False", pyValue{kind: pyBool}}, {"None", pyValue{kind: pyNone}}} {
		if len(p.s)-p.i >= len(w.word) && p.s[p.i:p.i+len(w.word)] == w.word {
			p.i += len(w.word)
			return w.v, ""
		}
	}
	return v, p.errAt("unexpected character")
}

func (p *pyParser) str() (string, string) {
	q := p.s[p.i]
	start := p.i + 1
	for j := start; j < len(p.s); j++ {
		switch p.s[j] {
		case q:
			p.i = j + 1
			return p.s[start:j], ""
		case '\\':
			p.i = j
			return "", p.errAt("escape in string not supported")
		case '\n':
			p.i = j
			return "", p.errAt("unterminated string")
		}
	}
	p.i = len(p.s)
	return "", p.errAt("unterminated string")
}

func (p *pyParser) integer() (pyValue, string) {
	start := p.i
	if p.s[p.i] == '-' {
		p.i++
	}
	digits := p.i
	for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
		p.i++
	}
	if p.i == digits {
		return pyValue{}, p.errAt("digit missing")
	}
	n, err := strconv.Atoi(p.s[start:p.i])
	if err != nil {
		p.i = start
		return pyValue{}, p.errAt("integer out of range")
	}
	if p.i < len(p.s) && p.s[p.i] == 'L' { // Python 2 long, as old NumPy wrote shapes
		p.i++
	}
	return pyValue{kind: pyInt, i: n}, ""
}

// sequence parses (a, b), (a,), (), [a, b]. A parenthesised single value
// without a trailing comma is that value, as in Python.
func (p *pyParser) sequence(depth int) (pyValue, string) {
	open := p.s[p.i]
	closing, kind := byte(')'), pyTuple
	if open == '[' {
		closing, kind = ']', pyList
	}
	p.i++
	v := pyValue{kind: kind}
	comma := false
	for {
		p.space()
		if p.i < len(p.s) && p.s[p.i] == closing {
			p.i++
			if kind == pyTuple && len(v.items) == 1 && !comma {
				return v.items[0], ""
			}
			return v, ""
		}
		item, err := p.value(depth + 1)
		if err != "" {
			return v, err
		}
		v.items = append(v.items, item)
		p.space()
		comma = false
		if p.i < len(p.s) && p.s[p.i] == ',' {
			p.i++
			comma = true
			continue
		}
		if p.i >= len(p.s) || p.s[p.i] != closing {
			return v, p.errAt(fmt.Sprintf("',' or '%c' missing", closing))
		}
	}
}

func (p *pyParser) dict(depth int) (pyValue, string) {
	p.i++
	v := pyValue{kind: pyDict}
	for {
		p.space()
		if p.i < len(p.s) && p.s[p.i] == '}' {
			p.i++
			return v, ""
		}
		if p.i >= len(p.s) || (p.s[p.i] != '\'' && p.s[p.i] != '"') {
			return v, p.errAt("quoted key missing")
		}
		key, err := p.str()
		if err != "" {
			return v, err
		}
		p.space()
		if p.i >= len(p.s) || p.s[p.i] != ':' {
			return v, p.errAt("':' missing")
		}
		p.i++
		item, err := p.value(depth + 1)
		if err != "" {
			return v, err
		}
		v.keys = append(v.keys, key)
		v.items = append(v.items, item)
		p.space()
		if p.i < len(p.s) && p.s[p.i] == ',' {
			p.i++
			continue
		}
		if p.i >= len(p.s) || p.s[p.i] != '}' {
			return v, p.errAt("',' or '}' missing")
		}
	}
}
