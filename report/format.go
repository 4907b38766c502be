package report

import (
	"math"
	"strconv"
	"strings"
)

// Number formatting for the report's templates. All three are pure and
// deterministic; FuncMap exposes them to text/template.

// sciLow and sciHigh bound the decimal exponents written in fixed notation:
// 1e-4 <= |x| < 1e6.
const (
	sciLow  = -4
	sciHigh = 6
)

// FormatSig formats x with sig significant digits, keeping trailing zeros
// (FormatSig(0.012, 3) = "0.0120"). Magnitudes from 1e-4 up to 1e6 are
// written in fixed notation (FormatSig(123456, 3) = "123000"), others in
// e-notation without exponent padding (FormatSig(1.234e-5, 3) = "1.23e-5").
// Zero is "0"; NaN and infinities are "NaN", "Inf" and "-Inf". It panics if
// sig < 1.
func FormatSig(x float64, sig int) string {
	if sig < 1 {
		panic("report: FormatSig: sig must be at least 1, got " + strconv.Itoa(sig))
	}
	if s, ok := special(x); ok {
		return s
	}
	mant, exp, r := roundSig(x, sig)
	if exp < sciLow || exp >= sciHigh {
		return mant + "e" + strconv.Itoa(exp)
	}
	return strconv.FormatFloat(r, 'f', max(0, sig-1-exp), 64)
}

func special(x float64) (string, bool) {
	switch {
	case math.IsNaN(x):
		return "NaN", true
	case math.IsInf(x, 1):
		return "Inf", true
	case math.IsInf(x, -1):
		return "-Inf", true
	case x == 0:
		return "0", true
	}
	return "", false
}

// roundSig rounds x (finite, non-zero) to sig significant digits: the
// mantissa as text, the decimal exponent after rounding, and the rounded
// value.
func roundSig(x float64, sig int) (mant string, exp int, rounded float64) {
	s := strconv.FormatFloat(x, 'e', sig-1, 64)
	i := strings.IndexByte(s, 'e')
	exp, _ = strconv.Atoi(s[i+1:])
	rounded, _ = strconv.ParseFloat(s, 64)
	return s[:i], exp, rounded
}

// MeanSD formats a mean and its standard deviation as "0.0123 ± 0.0004":
// the mean with sig significant digits (as FormatSig), the deviation to the
// same decimal place as the mean's last digit. In e-notation both share
// the mean's exponent: "(1.23 ± 0.04)e-5". A zero mean takes its precision
// from the deviation. It panics if sig < 1.
func MeanSD(mean, sd float64, sig int) string {
	if sig < 1 {
		panic("report: MeanSD: sig must be at least 1, got " + strconv.Itoa(sig))
	}
	sd = math.Abs(sd)
	if math.IsNaN(mean) || math.IsInf(mean, 0) || math.IsNaN(sd) || math.IsInf(sd, 0) {
		return FormatSig(mean, sig) + " ± " + FormatSig(sd, sig)
	}
	ref := mean
	if ref == 0 {
		ref = sd
	}
	if ref == 0 {
		return "0 ± 0"
	}
	_, exp, _ := roundSig(ref, sig)
	if exp < sciLow || exp >= sciHigh {
		scale := math.Pow(10, float64(exp))
		d := sig - 1
		return "(" + strconv.FormatFloat(mean/scale, 'f', d, 64) + " ± " +
			strconv.FormatFloat(sd/scale, 'f', d, 64) + ")e" + strconv.Itoa(exp)
	}
	d := max(0, sig-1-exp)
	m := FormatSig(mean, sig)
	if mean == 0 {
		m = strconv.FormatFloat(0, 'f', d, 64)
	}
	return m + " ± " + strconv.FormatFloat(sd, 'f', d, 64)
}

// Percent formats a fraction as a percentage with the given number of
// decimals: Percent(0.98765, 1) = "98.8%". NaN is "NaN". It panics if
// decimals < 0.
func Percent(frac float64, decimals int) string {
	if decimals < 0 {
		panic("report: Percent: decimals must be >= 0, got " + strconv.Itoa(decimals))
	}
	if math.IsNaN(frac) {
		return "NaN"
	}
	if math.IsInf(frac, 0) {
		s, _ := special(frac)
		return s
	}
	return strconv.FormatFloat(100*frac, 'f', decimals, 64) + "%"
}

// FuncMap returns the formatting helpers for a text/template (assignable to
// template.FuncMap): {{sig .X 3}}, {{meansd .Mean .SD 3}}, {{pct .Acc 1}},
// and for strings from outside the template {{text .S}}, {{code .S}},
// {{fence .S}} and {{verbatim .S}} (see Text, Code, Fence, Verbatim).
func FuncMap() map[string]any {
	return map[string]any{
		"sig":      FormatSig,
		"meansd":   MeanSD,
		"pct":      Percent,
		"text":     Text,
		"code":     Code,
		"fence":    Fence,
		"verbatim": Verbatim,
	}
}
