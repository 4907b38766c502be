package crate

import (
	"regexp"
	"strings"
)

// A Provenance is what a data folder's README says of one file.
type Provenance struct {
	Title       string // the heading after the file's name
	License     string // a URL where the licence is a known one, else ""
	LicenseName string // the licence as the README words it
}

var (
	heading = regexp.MustCompile("^## `?([^`:]+)`?: (.*)$")
	licence = regexp.MustCompile(`^- \*\*Licen[cs]e:\*\* (.*)$`)
)

// knownLicences maps words of a README's licence line to the licence's URL.
var knownLicences = []struct{ words, url string }{
	{"CC BY 4.0", "https://creativecommons.org/licenses/by/4.0/"},
	{"CC0", "https://creativecommons.org/publicdomain/zero/1.0/"},
	{"public domain", "https://creativecommons.org/publicdomain/mark/1.0/"},
}

// ReadProvenance reads a data README in which each file has a section
// "## name: title" with a line "- **Licence:** text" (data/README.md),
// keyed by the file's name.
func ReadProvenance(readme []byte) map[string]Provenance {
	out := map[string]Provenance{}
	var cur string
	for _, line := range strings.Split(string(readme), "\n") {
		line = strings.TrimRight(line, "\r")
		if m := heading.FindStringSubmatch(line); m != nil {
			cur = strings.TrimSpace(m[1])
			out[cur] = Provenance{Title: strings.TrimSpace(m[2])}
			continue
		}
		if strings.HasPrefix(line, "## ") {
			cur = ""
			continue
		}
		if m := licence.FindStringSubmatch(line); m != nil && cur != "" {
			p := out[cur]
			p.LicenseName = strings.TrimSpace(m[1])
			for _, k := range knownLicences {
				if strings.Contains(strings.ToLower(p.LicenseName), strings.ToLower(k.words)) {
					p.License = k.url
					break
				}
			}
			out[cur] = p
		}
	}
	return out
}
