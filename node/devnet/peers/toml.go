package peers

import (
	"fmt"
	"strings"
)

// Setting is one key of a CometBFT config.toml: Section is the table ("" for the
// top level, "p2p", "consensus", ...), Value the TOML text of the value ("\"0s\"",
// "true").
type Setting struct {
	Section, Key, Value string
}

// SetTOML sets each key in the config.toml text, which must already have it in that
// section (CometBFT writes every key with its default): a key that is not there is an
// error, so a renamed setting in another release is not silently left at its default.
func SetTOML(text string, settings []Setting) (string, error) {
	lines := strings.Split(text, "\n")
	for _, s := range settings {
		section, found := "", false
		for i, l := range lines {
			t := strings.TrimSpace(l)
			if strings.HasPrefix(t, "[") && strings.HasSuffix(t, "]") {
				section = strings.TrimSpace(strings.Trim(t, "[]"))
				continue
			}
			if section != s.Section {
				continue
			}
			k, _, ok := strings.Cut(t, "=")
			if ok && strings.TrimSpace(k) == s.Key {
				lines[i] = s.Key + " = " + s.Value
				found = true
				break
			}
		}
		if !found {
			return "", fmt.Errorf("%w: no key %q in section [%s]", ErrTOML, s.Key, s.Section)
		}
	}
	return strings.Join(lines, "\n"), nil
}
