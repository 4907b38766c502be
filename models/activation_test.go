package models

import "testing"

// TestActivationTeX checks that every activation a layer may use has a
// formula for the report's Methods section.
func TestActivationTeX(t *testing.T) {
	for _, a := range append(append([]Activation{}, HiddenActivations...), OutputActivations...) {
		if a.TeX() == "" {
			t.Errorf("%s has no TeX formula", a)
		}
	}
}
