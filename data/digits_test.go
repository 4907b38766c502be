package data

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"strings"
	"testing"
)

func TestReadDigitsCSVRealFile(t *testing.T) {
	b := readFile(t, "digits.csv.gz")
	d, err := ReadDigitsCSV("digits.csv.gz", b)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Images) != 1797 || len(d.Labels) != 1797 {
		t.Fatalf("got %d images and %d labels, want 1797", len(d.Images), len(d.Labels))
	}
	var counts [10]int
	for i, l := range d.Labels {
		if l < 0 || l > 9 {
			t.Fatalf("image %d: label %d", i, l)
		}
		counts[l]++
		if len(d.Images[i]) != DigitsPixels {
			t.Fatalf("image %d: %d pixels", i, len(d.Images[i]))
		}
		for _, v := range d.Images[i] {
			if v < 0 || v > 16 {
				t.Fatalf("image %d: pixel %v", i, v)
			}
		}
	}
	sum := 0
	for c, n := range counts {
		if n < 170 || n > 185 { // the UCI test set has 174..183 per class
			t.Errorf("class %d: %d images", c, n)
		}
		sum += n
	}
	if sum != 1797 {
		t.Errorf("class counts sum to %d, want 1797", sum)
	}
	// The first row of the file: 0,0,5,13,9,1,0,0,... label 0.
	if got := d.Images[0][:6]; fmt.Sprint(got) != "[0 0 5 13 9 1]" || d.Labels[0] != 0 {
		t.Errorf("first image starts %v label %d, want [0 0 5 13 9 1] label 0", got, d.Labels[0])
	}

	// The same rows as plain CSV.
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	d2, err := ReadDigitsCSV("digits.csv", plain)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(d2) != fmt.Sprint(d) {
		t.Error("plain CSV parses differently from gzip")
	}
}

// digitRow returns one valid CSV row: pixels p, p, ... and the label.
func digitRow(p, label string) string {
	return strings.Repeat(p+",", DigitsPixels) + label
}

// digitsCSV returns n valid rows, with row i (1-based) replaced by repl[i].
func digitsCSV(n int, repl map[int]string) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		row, ok := repl[i]
		if !ok {
			row = digitRow(fmt.Sprint(i%17), fmt.Sprint(i%10))
		}
		b.WriteString(row + "\n")
	}
	return b.String()
}

func TestReadDigitsCSVSmall(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		n          int
	}{
		{"plain", digitsCSV(3, nil), 3},
		{"no final newline", strings.TrimSuffix(digitsCSV(2, nil), "\n"), 2},
		{"CRLF", strings.ReplaceAll(digitsCSV(2, nil), "\n", "\r\n"), 2},
		{"trailing blank lines", digitsCSV(2, nil) + "\n \n", 2},
		{"spaces and decimals", digitRow(" 2.5 ", " 7.0 "), 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, b := range [][]byte{[]byte(tc.text), gzipBytes([]byte(tc.text))} {
				d, err := ReadDigitsCSV("d.csv", b)
				if err != nil {
					t.Fatal(err)
				}
				if len(d.Images) != tc.n || len(d.Labels) != tc.n {
					t.Fatalf("got %d images, %d labels, want %d", len(d.Images), len(d.Labels), tc.n)
				}
			}
		})
	}
}

func TestReadDigitsCSVErrors(t *testing.T) {
	real := readFile(t, "digits.csv.gz")
	corrupt := append([]byte(nil), real...)
	corrupt[len(corrupt)/2] ^= 0xff
	gz := func(s string) []byte { return gzipBytes([]byte(s)) }
	for _, tc := range []struct {
		name string
		b    []byte
		want string // the whole error text, or a part of it if partial
		part bool
	}{
		{"truncated gzip", real[:len(real)/2], "digits.csv.gz: truncated gzip stream: unexpected EOF", false},
		{"truncated gzip header", real[:5], "digits.csv.gz: truncated gzip stream", true},
		{"corrupt gzip", corrupt, "digits.csv.gz: corrupt gzip stream: ", true},
		{"63 columns", gz(digitsCSV(20, map[int]string{17: strings.Repeat("1,", 62) + "3"})),
			"digits.csv.gz: row 17: 63 columns, want 65 (64 pixels and a label)", false},
		{"66 columns", gz(digitsCSV(2, map[int]string{2: digitRow("1", "1,1")})),
			"digits.csv.gz: row 2: 66 columns, want 65 (64 pixels and a label)", false},
		{"label 10", gz(digitsCSV(4, map[int]string{3: digitRow("0", "10")})),
			"digits.csv.gz: row 3, column 65: label 10 out of range 0..9", false},
		{"label -1", gz(digitsCSV(1, map[int]string{1: digitRow("0", "-1")})),
			"digits.csv.gz: row 1, column 65: label -1 out of range 0..9", false},
		{"label 2.5", gz(digitsCSV(1, map[int]string{1: digitRow("0", "2.5")})),
			"digits.csv.gz: row 1, column 65: label 2.5 is not an integer", false},
		{"not a number", gz(digitsCSV(6, map[int]string{5: strings.Repeat("1,", 11) + "abc," + strings.Repeat("1,", 52) + "1"})),
			`digits.csv.gz: row 5, column 12: "abc" is not a number`, false},
		{"empty field", gz(digitsCSV(1, map[int]string{1: "1,," + strings.Repeat("1,", 62) + "1"})),
			`digits.csv.gz: row 1, column 2: "" is not a number`, false},
		{"pixel 17", gz(digitsCSV(2, map[int]string{2: "17," + digitRow("1", "1")[2:]})),
			"digits.csv.gz: row 2, column 1: pixel 17 out of range 0..16", false},
		{"pixel -1", gz(digitsCSV(2, map[int]string{2: strings.Repeat("1,", 63) + "-1,1"})),
			"digits.csv.gz: row 2, column 64: pixel -1 out of range 0..16", false},
		{"pixel NaN", gz(digitsCSV(1, map[int]string{1: "NaN," + digitRow("1", "1")[2:]})),
			"digits.csv.gz: row 1, column 1: pixel NaN out of range 0..16", false},
		{"blank line inside", gz(digitsCSV(1, nil) + "\n" + digitsCSV(1, nil)),
			"digits.csv.gz: row 2: empty line", false},
		{"empty file", nil, "digits.csv.gz: no rows (empty file)", false},
		{"empty gzip", gz(""), "digits.csv.gz: no rows (empty after decompression)", false},
		{"gzip then garbage", append(gz(digitsCSV(1, nil)), "garbage after the stream"...), "digits.csv.gz: corrupt gzip stream", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadDigitsCSV("digits.csv.gz", tc.b)
			wantErr(t, err, tc.want)
			if !tc.part && err != nil && err.Error() != tc.want {
				t.Errorf("got  %q\nwant %q", err, tc.want)
			}
		})
	}
}
