package market

import (
	"strings"
	"unicode/utf8"
)

// Truncate cuts s to at most n bytes of valid UTF-8: a reason goes on chain, which
// refuses text that is not UTF-8, so a cut never splits a character, and bytes that
// were not UTF-8 to begin with (an error can quote anything) become U+FFFD.
func Truncate(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
