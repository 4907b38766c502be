package stages

import (
	"fmt"
	"strings"

	"github.com/repro-dev/repro/models"
)

// HiddenActivations names the hidden-layer activations the networks of the
// profile use (of the terrain grid and the digits grid), in the order of
// models.HiddenActivations, each with its formula from models.Activation.TeX:
// "hidden activations sigmoid $…$, ReLU $…$ or leaky ReLU $…$". Its digits
// are the formulas' constants, not results (a literal).
func (d *reportData) HiddenActivations() literal {
	used := map[string]bool{}
	for _, r := range d.Reg {
		used[r.Label] = true
	}
	for _, h := range d.digitsHiddens() {
		used[h] = true
	}
	var parts []string
	for _, a := range models.HiddenActivations {
		if used[string(a)] {
			parts = append(parts, fmt.Sprintf("%s $%s$", a.Name(), a.TeX()))
		}
	}
	switch len(parts) {
	case 0:
		return "no hidden activation"
	case 1:
		return literal("hidden activation " + parts[0])
	}
	return literal("hidden activations " + strings.Join(parts[:len(parts)-1], ", ") + " or " + parts[len(parts)-1])
}
