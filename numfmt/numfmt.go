// Package numfmt formats counts and sizes for people: thousands
// separators, byte sizes in decimal units and plurals. It imports nothing
// of the project, so that every package can share one of each.
package numfmt

import "fmt"

// Integer is any integer type.
type Integer interface {
	~int | ~int8 | ~int16 | ~int32 | ~int64 | ~uint | ~uint8 | ~uint16 | ~uint32 | ~uint64 | ~uintptr
}

// Thousands formats n with a comma every three digits: "480,062", "-1,000".
func Thousands[T Integer](n T) string {
	s := fmt.Sprint(n)
	sign := ""
	if s[0] == '-' {
		sign, s = "-", s[1:]
	}
	b := make([]byte, 0, len(s)+len(s)/3)
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			b = append(b, ',')
		}
		b = append(b, s[i])
	}
	return sign + string(b)
}

// Bytes formats a size in bytes with a decimal unit: "999 B", "12.3 kB",
// "1.0 GB".
func Bytes(n int64) string {
	if n < 1000 && n > -1000 {
		return fmt.Sprintf("%d B", n)
	}
	v, units := float64(n)/1000, "kMGTPE"
	for len(units) > 1 && (v >= 999.95 || v <= -999.95) {
		v, units = v/1000, units[1:]
	}
	return fmt.Sprintf("%.1f %cB", v, units[0])
}

// Plural is one when n is 1 and many otherwise.
func Plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
