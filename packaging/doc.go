// Package packaging checks the release artifacts that the recipes beside it make: two
// release builds of daoli-trustee from different directories compared byte for byte
// (reproducible_test.go). It holds no code of its own; the recipe is release.sh.
package packaging
