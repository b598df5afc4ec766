// Package posixlocale gives Fyne a locale it can parse. Fyne reads the locale while
// its packages initialize and logs an error for the POSIX locale ("C", "C.UTF-8"),
// which servers and containers commonly use; the message would precede every CLI
// command's output. Imported for its side effect from main, this package initializes
// first (it depends on nothing but os) and maps such a locale to en_US.UTF-8, which is
// what Fyne falls back to anyway. Any real locale is left alone.
package posixlocale
