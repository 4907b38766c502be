package report

import (
	"regexp"
	"strings"
)

var (
	tagRE   = regexp.MustCompile(`<([a-zA-Z][a-zA-Z0-9:-]*)((?:\s+[^\s=>]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]+))?)*)\s*/?>`)
	attrRE  = regexp.MustCompile(`([^\s=>]+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s>]+))?`)
	styleRE = regexp.MustCompile(`(?s)<style[^>]*>(.*?)</style>`)
	cssURL  = regexp.MustCompile(`url\(\s*['"]?([^'")\s]*)`)
)

// externalRefs lists what in page would make a browser fetch something:
// src/href-like attributes with http(s):, ftp: or protocol-relative URLs
// (except <a href>, a link the reader may follow), and CSS url() or @import
// that is not a data: URI or a fragment. It is a scanner for the pages
// Render writes, not a general HTML parser.
func externalRefs(page []byte) []string {
	var bad []string
	for _, m := range tagRE.FindAllSubmatch(page, -1) {
		tag := strings.ToLower(string(m[1]))
		for _, a := range attrRE.FindAllSubmatch(m[2], -1) {
			name := strings.ToLower(string(a[1]))
			val := strings.Trim(string(a[2]), `"'`)
			switch name {
			case "src", "href", "xlink:href", "srcset", "poster", "data", "action", "formaction", "background", "manifest", "ping":
			default:
				if strings.Contains(val, "url(") {
					bad = append(bad, cssExternal(val)...)
				}
				continue
			}
			v := strings.ToLower(strings.TrimSpace(val))
			external := strings.HasPrefix(v, "http:") || strings.HasPrefix(v, "https:") || strings.HasPrefix(v, "//") || strings.HasPrefix(v, "ftp:")
			if external && !(tag == "a" && name == "href") {
				bad = append(bad, "<"+tag+" "+name+"="+val+">")
			}
		}
	}
	for _, m := range styleRE.FindAllSubmatch(page, -1) {
		bad = append(bad, cssExternal(string(m[1]))...)
	}
	return bad
}

func cssExternal(css string) []string {
	var bad []string
	if strings.Contains(strings.ToLower(css), "@import") {
		bad = append(bad, "@import")
	}
	for _, m := range cssURL.FindAllStringSubmatch(css, -1) {
		if !strings.HasPrefix(m[1], "data:") && !strings.HasPrefix(m[1], "#") {
			bad = append(bad, "url("+m[1]+")")
		}
	}
	return bad
}
