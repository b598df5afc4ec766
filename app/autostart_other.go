//go:build !windows

package app

func runKeyExists() bool                   { return false }
func setRunKey(bool, string, string) error { return nil }
